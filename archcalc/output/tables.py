"""Every command prints through one emit(format, table): a Table says what to print, a writer per format says how.

A format is one writer (a function Table -> text) plus its member of Format, registered in WRITERS; a
command offers the formats it supports through offer(), which makes the choices of its --format option.
Writers: rich tables for people, Markdown and CSV for documents, JSON for programs, an HTML page, and the
HTML and LaTeX tables pandas writes (compare's).
"""

from __future__ import annotations

import csv
import io
import json
import sys
from dataclasses import dataclass
from enum import Enum
from typing import Any, Callable, Collection, Optional, Sequence, Union

from ..errors import InputError
from . import html

Lazy = Union[Sequence, Callable[[], Sequence]]  # a function when computing it costs (sympy, an analysis)


class Format(str, Enum):
    """Every output format; the value is what --format takes unless a command offers it under another word."""

    table = "table"  # rich tables in the terminal
    markdown = "markdown"
    csv = "csv"
    json = "json"
    html = "html"  # a complete, self-contained page
    html_table = "html-table"  # the table alone, as pandas writes it (compare offers it as "html")
    latex = "latex"


@dataclass(frozen=True)
class Table:
    """What a command prints, in any format.

    `rows`, `notes` and `document` may be functions that return them: a format that does not show them never
    calls them (a symbolic model's cells cost a second of sympy printing that json does not need).
    """

    title: str
    header: Sequence[str]
    rows: Lazy  # cells, as text
    right: Collection[str] = ()  # headers of the right-aligned (numeric) columns
    notes: Lazy = ()  # lines under the table for people, in rich markup: totals, notes, diagnostics
    paragraphs: Sequence[str] = ()  # Markdown blocks under the Markdown table: a list of notes, derivations
    document: Any = None  # what json prints: an object, or JSON text printed as it is (or a function)
    figures: Optional[tuple] = None  # (header, rows) in base units, for csv, where the cells are rounded
    then: Sequence["Table"] = ()  # tables that follow on the same page (per-layer timings, totals): their
    # rows are shown by table, markdown and html; notes, paragraphs, document and figures are this table's
    heading: str = ""  # Markdown: a bold line above the table, for pages of several tables

    def cells(self) -> list:
        return list(self.rows() if callable(self.rows) else self.rows)

    def lines(self) -> list:
        return list(self.notes() if callable(self.notes) else self.notes)

    def json_document(self):
        return self.document() if callable(self.document) else self.document


def console():
    """A rich console; wide enough for the per-layer tables when output goes to a file or a pipe."""
    import shutil

    from rich.console import Console

    width = shutil.get_terminal_size((200, 40)).columns
    return Console(width=max(width, 160)) if not sys.stdout.isatty() else Console()


def rich_table(title: str, header, rows, right=()):
    """A rich Table; columns named in `right` are right-aligned."""
    from rich.table import Table as RichTable
    from rich.text import Text

    table = RichTable(title=title, title_justify="left", header_style="bold")
    for h in header:
        table.add_column(h, justify="right" if h in right else "left", overflow="fold")
    for row in rows:  # cells are plain text: "[dilated kernel ...]" or "[[before, after]]" are not markup
        table.add_row(*[Text(str(c)) for c in row])
    return table


def write_table(table: Table) -> str:
    """Rich tables and their notes, rendered as the terminal (or a 160-column file) shows them."""
    out = console()
    with out.capture() as captured:
        for t in (table, *table.then):
            out.print(rich_table(t.title, t.header, t.cells(), right=t.right))
        for line in table.lines():
            out.print(line, highlight=False)
    return captured.get()


def markdown_table(header, rows) -> str:
    """A GitHub Markdown table; pipes in cells are escaped."""
    def cell(text) -> str:
        return str(text).replace("|", "\\|")
    lines = ["| " + " | ".join(cell(h) for h in header) + " |",
             "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def write_markdown(table: Table) -> str:
    """The tables (each under its heading, if any), then the paragraphs; blocks apart by a blank line."""
    blocks = []
    for t in (table, *table.then):
        if t.heading:
            blocks.append(f"**{t.heading}**")
        blocks.append(markdown_table(t.header, t.cells()).rstrip("\n"))
    blocks += table.paragraphs
    return "\n\n".join(blocks) + "\n"


def write_csv(table: Table) -> str:
    """The first table's figures in base units where the command gives them, else its cells."""
    header, rows = table.figures if table.figures is not None else (table.header, table.cells())
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def write_json(table: Table) -> str:
    """The document, indented by 1; JSON text (a Report's own compact JSON) as it is."""
    document = table.json_document()
    text = document if isinstance(document, str) else json.dumps(document, indent=1, ensure_ascii=False, default=str)
    return text + "\n"


def _frame(table: Table):
    import pandas as pd

    return pd.DataFrame(table.cells(), columns=list(table.header))


def write_html_table(table: Table) -> str:
    """The cells as pandas writes an HTML table (no page around it)."""
    return _frame(table).to_html(index=False, na_rep="", border=0) + "\n"


def write_latex(table: Table) -> str:
    """A LaTeX tabular (booktabs rules) through pandas, which needs jinja2."""
    try:
        import jinja2  # noqa: F401  (pandas' LaTeX writer needs it; say so plainly)
    except ImportError:
        raise InputError("--format latex needs jinja2: pip install jinja2") from None
    return _frame(table).to_latex(index=False, escape=True)


WRITERS: dict = {
    Format.table: write_table,
    Format.markdown: write_markdown,
    Format.csv: write_csv,
    Format.json: write_json,
    Format.html: html.write_page,
    Format.html_table: write_html_table,
    Format.latex: write_latex,
}


def emit(format: Enum, table: Table) -> None:
    """Print `table` in `format`: a Format, or a member of a command's offer() (the same names)."""
    text = WRITERS[Format[format.name]](table)
    sys.stdout.write(text)
    sys.stdout.flush()


def offer(name: str, *choices) -> type:
    """The choices of one command's --format: each a Format, or (word, Format) to offer it under another word.

    typer makes its choices from an Enum's values; the members keep the Format's names, which emit() reads.
    """
    pairs = [c if isinstance(c, tuple) else (c.value, c) for c in choices]
    return Enum(name, [(fmt.name, word) for word, fmt in pairs], type=str)


def choices_text(formats, words=None) -> str:
    """'table, markdown, csv or json': the formats as users type them (or as `words` name them), for help
    texts and errors."""
    words = [(words or {}).get(f, f.value) for f in formats]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]
