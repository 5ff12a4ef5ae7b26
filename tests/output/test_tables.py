"""archcalc.output.tables: one emit, one writer per format, the formats a command offers."""

from __future__ import annotations

import csv
import io
import json
from enum import Enum

import pytest

from archcalc.output.tables import WRITERS, Format, Table, choices_text, emit, offer


def table(**more) -> Table:
    fields = dict(title="t", header=("name", "n"), rows=[["a|b", "1,000"], ["c", "2"]], right=("n",))
    return Table(**{**fields, **more})


def printed(capsys, fmt, t) -> str:
    emit(fmt, t)
    return capsys.readouterr().out


def test_every_format_has_one_writer():
    assert set(WRITERS) == set(Format)


def test_markdown_blocks_are_a_blank_line_apart(capsys):
    t = table(paragraphs=["- one\n- two", "**last**"])
    assert printed(capsys, Format.markdown, t) == (
        "| name | n |\n|---|---:|\n| a\\|b | 1,000 |\n| c | 2 |\n\n- one\n- two\n\n**last**\n")  # n: right


def test_markdown_headings_and_following_tables(capsys):
    t = table(heading="first", then=[Table("rich title", ("x",), [["1"]], heading="second")])
    assert printed(capsys, Format.markdown, t) == (
        "**first**\n\n| name | n |\n|---|---:|\n| a\\|b | 1,000 |\n| c | 2 |\n\n**second**\n\n| x |\n|---|\n| 1 |\n")


def test_csv_writes_the_figures_when_given(capsys):
    assert list(csv.reader(io.StringIO(printed(capsys, Format.csv, table())))) == \
        [["name", "n"], ["a|b", "1,000"], ["c", "2"]]
    raw = table(figures=(["name", "n"], [["a", 1000], ["c", None], ["d", 0.5]]))
    assert printed(capsys, Format.csv, raw) == "name,n\na,1000\nc,\nd,0.5\n"


def test_json_dumps_an_object_and_prints_text_as_it_is(capsys):
    doc = {"schema": 1, "word": "가장 길다"}
    assert printed(capsys, Format.json, table(document=doc)) == json.dumps(doc, indent=1, ensure_ascii=False) + "\n"
    assert printed(capsys, Format.json, table(document='{"a":1}')) == '{"a":1}\n'


def test_lazy_parts_are_computed_only_by_the_formats_that_show_them(capsys):
    def never():
        raise AssertionError("computed for a format that does not show it")

    printed(capsys, Format.json, table(rows=never, notes=never, document=lambda: {"a": 1}))
    assert "1,000" in printed(capsys, Format.markdown, table(notes=never, document=never))
    assert printed(capsys, Format.csv, table(rows=lambda: [["x", "y"]], notes=never)) == "name,n\nx,y\n"


def test_the_table_writer_prints_notes_in_rich_markup(capsys):
    out = printed(capsys, Format.table, table(notes=["[bold]label[/]: value", "[dim]quiet[/]"]))
    assert "label: value\nquiet\n" in out and "[bold]" not in out
    assert out.splitlines()[0].rstrip() == "t"  # the title, left-justified over the table


def test_the_html_table_and_latex_writers_take_the_cells(capsys):
    html = printed(capsys, Format.html_table, table())
    assert html.startswith('<table class="dataframe">') and "<td>a|b</td>" in html
    latex = printed(capsys, Format.latex, table())  # a whole document (tests/output/test_publishing.py)
    assert latex.rstrip().endswith("\\end{document}") and "a\\ensuremath{|}b & 1,000 \\\\" in latex


def test_offer_makes_a_commands_choices():
    offered = offer("Some", Format.table, ("html", Format.html_table), Format.json)
    assert issubclass(offered, Enum) and issubclass(offered, str)
    assert [m.value for m in offered] == ["table", "html", "json"]
    assert [Format[m.name] for m in offered] == [Format.table, Format.html_table, Format.json]


def test_emit_takes_an_offered_member(capsys):
    offered = offer("Some", ("html", Format.html_table))
    assert printed(capsys, offered["html_table"], table()).startswith("<table")


def test_choices_text():
    assert choices_text([Format.table, Format.csv, Format.json]) == "table, csv or json"
    assert choices_text([Format.table], {Format.table: "table (rich)"}) == "table (rich)"


def test_rich_cells_are_text_not_markup():
    """A derivation such as '[dilated kernel 2*(3-1)+1 = 5]' or a field '[[before, after], ...]' is shown as
    written: rich would read square brackets as style tags and drop them."""
    from rich.console import Console

    from archcalc.output.tables import rich_table

    console = Console(width=200, record=True)
    console.print(rich_table("t", ["a"], [["(9 + 2*2 - 5)/1 + 1 = 9 [dilated kernel 2*(3-1)+1 = 5]"],
                                          ["pads = [[before, after], ...]"]]))
    text = console.export_text()
    assert "[dilated kernel 2*(3-1)+1 = 5]" in text and "[[before, after], ...]" in text
