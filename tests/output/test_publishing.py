"""Output that publishes: CSV with raw numbers, Markdown with right-aligned numbers, an HTML page that is a
whole document fetching nothing and carrying each number's value, LaTeX that pdflatex compiles as it is and
that fits the page, and notes only for the columns shown.

The LaTeX is compiled by a real pdflatex (TeX Live, from Debian's registry: scripts/install_test_tools.sh);
a machine without it fails here, saying how to install it.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
from html.parser import HTMLParser

import pytest

from archcalc.cli import run
from archcalc.output.html import sort_values
from archcalc.output.tables import Format, Table, emit

# a number as people read it: thousands separators, an SI prefix or a unit; never what a CSV cell should be
DISPLAY_NUMBER = re.compile(r"[-+]?\d{1,3}(,\d{3})+(\.\d+)?|[-+]?\d+(\.\d+)?\s?([KMGT]|[kMGT]?B|ms|%)")


def output(capsys, *args) -> str:
    assert run(list(args)) == 0
    return capsys.readouterr().out


def printed(capsys, fmt, table) -> str:
    emit(fmt, table)
    return capsys.readouterr().out


# each command with a CSV, the columns of its CSV that hold numbers (base units: counts, bytes, MACs), and
# those that quote a text as its source wrote it (claims: the lecture's '34,848')
CSV_NUMBERS = [
    (("compare", "alexnet", "vgg16", "googlenet"), ("params", "macs", "flops", "activation_bytes", "param_bytes",
                                                     "depth", "rf", "top1", "top1_per_gmac", "params_per_top1"), ()),
    (("summary", "vgg16"), ("params", "macs", "activation_bytes"), ()),
    (("summary", "resnet50", "--depth", "2"), ("params", "macs", "activation_bytes"), ()),
    (("memory", "vgg16"), ("output_bytes", "saved_bytes", "gradient_bytes", "backward_data_macs",
                           "backward_weight_macs"), ()),
    (("list",), ("params", "macs", "depth"), ()),
    (("claims",), ("computed", "ratio"), ("quoted", "quote")),
    (("rf", "googlenet"), ("jump", "start", "eff. pad"), ()),  # RF: pixels, or 'global'
]


def displayed(document, quotes) -> list:
    """The strings of a JSON document, outside the quoting keys, that are numbers written for people."""
    if isinstance(document, dict):
        return [s for k, v in document.items() if k not in quotes for s in displayed(v, quotes)]
    if isinstance(document, list):
        return [s for v in document for s in displayed(v, quotes)]
    return [document] if isinstance(document, str) and DISPLAY_NUMBER.fullmatch(document.strip()) else []


@pytest.mark.parametrize("args, numbers, quotes", CSV_NUMBERS, ids=[" ".join(c[0]) for c in CSV_NUMBERS])
def test_csv_cells_of_numbers_parse_as_numbers(capsys, args, numbers, quotes):
    """Every cell of a numeric column is a plain number (or empty: no figure), and no cell, nor any string of
    the JSON, is a number written for people ('9,408', '416.52K', '4.10 MB'), quotations apart."""
    rows = list(csv.DictReader(io.StringIO(output(capsys, *args, "--format", "csv"))))
    assert rows
    for row in rows:
        for key in numbers:
            if row[key] != "":
                float(row[key])  # raises on '61,100,840' or '714.19M'
        assert not [v for k, v in row.items() if k not in quotes and DISPLAY_NUMBER.fullmatch(v.strip())], row
    assert displayed(json.loads(output(capsys, *args, "--format", "json")), quotes) == []


def test_csv_numbers_are_the_figures(capsys):
    """The CSV carries exact counts: alexnet's and vgg16's parameters as torchvision's models have them
    (61,100,840 and 138,357,544), and vgg16's per-layer parameters add up to the same total."""
    compared = {r["model"]: r for r in csv.DictReader(io.StringIO(output(
        capsys, "compare", "alexnet", "vgg16", "--format", "csv")))}
    assert int(compared["alexnet"]["params"]) == 61_100_840 and int(compared["vgg16"]["params"]) == 138_357_544
    layers = csv.DictReader(io.StringIO(output(capsys, "summary", "vgg16", "--format", "csv")))
    assert sum(int(r["params"]) for r in layers) == 138_357_544


def alignment(markdown: str) -> dict:
    """Each header of the first Markdown table, and its alignment row's cell."""
    header, rule = markdown.splitlines()[:2]
    return dict(zip([c.strip() for c in header.strip("|").split("|")], rule.strip("|").split("|")))


def test_markdown_right_aligns_the_numbers(capsys):
    assert alignment(output(capsys, "compare", "alexnet", "vgg16", "--format", "markdown",
                            "--columns", "model,params,top1,top1_source")) == \
        {"model": "---", "params (M)": "---:", "top-1 %": "---:", "top-1 source": "---"}
    summary = alignment(output(capsys, "summary", "vgg16", "--format", "markdown"))
    assert {h for h, a in summary.items() if a == "---:"} == {"params", "MACs", "act. MB", "RF"}
    assert set(summary.values()) == {"---", "---:"}


class Page(HTMLParser):
    """Every tag opened and closed, each attribute, the text of the style and script, each cell's
    data-value (None without one) by row."""

    VOID = {"meta", "br", "hr", "img", "link", "input"}

    def __init__(self):
        super().__init__()
        self.stack, self.errors, self.attributes, self.values = [], [], [], []
        self.text = {"style": "", "script": "", "p": ""}
        self.declarations = []

    def handle_decl(self, decl):
        self.declarations.append(decl)

    def handle_starttag(self, tag, attrs):
        self.attributes += [(tag, k, v or "") for k, v in attrs]
        if tag == "tr":
            self.values.append([])
        elif tag in ("td", "th"):
            self.values[-1].append(dict(attrs).get("data-value"))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.errors.append(tag)

    def handle_data(self, data):
        if self.stack and self.stack[-1] in self.text:
            self.text[self.stack[-1]] += data


def parsed(text: str) -> Page:
    page = Page()
    page.feed(text)
    page.close()
    return page


def test_the_page_is_a_whole_document_that_fetches_nothing(capsys):
    """A page parses as one html element holding head and body, every tag closed in order; no attribute
    points anywhere (src, href, action), the style imports nothing, the script loads nothing."""
    text = output(capsys, "summary", "resnet50", "--depth", "2", "--format", "html")
    page = parsed(text)
    assert page.declarations == ["DOCTYPE html"] and page.errors == [] and page.stack == []
    assert text.startswith("<!DOCTYPE html>\n<html") and text.rstrip().endswith("</body>\n</html>")
    assert not [a for a in page.attributes if a[1] in ("src", "href", "action", "data", "poster")]
    assert not [a for a in page.attributes if "://" in a[2] or a[2].startswith("//")]
    assert "url(" not in page.text["style"] and "@import" not in page.text["style"]
    assert not re.search(r"fetch\(|XMLHttpRequest|import\(|https?:|\.src\b", page.text["script"])
    assert page.text["script"].count("addEventListener") == 2  # clicks and Enter on headers: sorting


def test_data_values_are_the_csv_figures(capsys):
    """Each number of vgg16's summary carries in data-value the raw figure its CSV cell holds (MACs
    70,276,800 rather than its text; act. MB 0.77 as 12,845,056 bytes)."""
    values = parsed(output(capsys, "summary", "vgg16", "--format", "html")).values
    rows = list(csv.reader(io.StringIO(output(capsys, "summary", "vgg16", "--format", "csv"))))
    header = rows[0]
    assert len(values) == len(rows)
    for row, row_values in zip(rows[1:], values[1:]):
        for key in ("params", "macs", "activation_bytes"):
            assert float(row_values[header.index(key)]) == float(row[header.index(key)])
        assert row_values[header.index("layer")] is None  # words sort by their text


def test_values_read_from_the_cells_where_no_figures_fit():
    """Without figures, or with figures that are other columns than the cells' (memory's), a number's value
    is read from its text: 1,234,567; 416.52K = 416,520; 4.10 kB = 4,100 bytes; '-' has none. Figures that
    order the rows as the cells do (bytes behind MB) are taken as they are."""
    header, rows = ["name", "n"], [["x", "1,234,567"], ["y", "416.52K"], ["z", "-"], ["w", "4.10 kB"]]
    read = [[None, 1_234_567.0], [None, 416_520.0], [None, None], [None, 4_100.0]]
    assert sort_values(header, rows) == read
    swapped = (["n", "name"], [[1_234_567, "x"], [416_520, "y"], [None, "z"], [4_100, "w"]])
    assert sort_values(header, rows, swapped) == read
    other_order = (header, [["x", 1], ["y", 3], ["z", None], ["w", 2]])  # not the cells' order: not theirs
    assert sort_values(header, rows, other_order) == read
    exact = (header, [["x", 1_234_567], ["y", 416_523], ["z", None], ["w", 4_096]])
    assert sort_values(header, rows, exact) == [[None, 1_234_567.0], [None, 416_523.0], [None, None], [None, 4_096.0]]


def noted() -> Table:
    return Table("t", ["model", "params"], [["a", "1"]], right=["params"], notes=["[bold]always[/]: shown"],
                 column_notes=[("params", "params: counted"), ("fwd ms", "fwd ms: not measured")])


def test_notes_only_for_the_columns_shown(capsys):
    """A note about a column (Table.column_notes) is printed only where that column is: the page, the
    Markdown and the LaTeX keep 'params: counted' and drop 'fwd ms: not measured' (no fwd ms column)."""
    for fmt in (Format.html, Format.markdown, Format.latex):
        text = printed(capsys, fmt, noted()).replace("\\allowbreak{}", "")  # LaTeX: a line may break there
        assert "params: counted" in text and "not measured" not in text, fmt
    assert "always" in printed(capsys, Format.html, noted())


def pdflatex(tmp_path, tex: str) -> str:
    """Compiles a document with pdflatex as it is, twice as its first line says (longtable measures its
    columns on the first run); returns the second run's log."""
    program = shutil.which("pdflatex")
    if program is None:
        pytest.fail("pdflatex is not installed: sh scripts/install_test_tools.sh (as root: apt-get install -y "
                    "texlive-latex-base texlive-latex-recommended)")
    (tmp_path / "doc.tex").write_text(tex, encoding="utf-8")
    for _ in range(2):
        done = subprocess.run([program, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", "doc.tex"],
                              cwd=tmp_path, capture_output=True, text=True, timeout=120)
        log = (tmp_path / "doc.log").read_text(encoding="latin-1")
        assert done.returncode == 0, log[-3000:]
    assert "Rerun LaTeX" not in log
    assert (tmp_path / "doc.pdf").stat().st_size > 1000
    return log


SPECIAL = Table("a_b & 50% of $x$ #1", ["what", "text", "MACs"],
                [["TeX's specials", r"a_b & c 50% $x$ #1 {y} ~ ^ C:\temp < > |", "1,000"],
                 ["symbols", "word · figure · rank, 3 × 3, → ≈ ≤ ≥ µs — ü", "416.52K"]], right=["MACs"],
                notes=["[dim]a note with a_b & 50% and https://docs.pytorch.org/vision/stable/models.html[/]"])


@pytest.mark.parametrize("args, pages", [(("compare", "alexnet", "vgg16", "googlenet"), 1), (("compare", "--seed"), 1),
                                         (("summary", "resnet50"), 2), (("summary", "lenet5", "--input", "1xHxW"), 1)],
                         ids=["compare", "compare --seed", "summary resnet50", "summary lenet5 symbolic"])
def test_latex_compiles_as_it_is_and_fits_the_page(capsys, tmp_path, args, pages):
    """pdflatex compiles the document with nothing added (the packages it loads are all it needs), and no
    line sticks out of the page: compare's 13 columns, the seed's 16 models, resnet50's layers over four
    pages, a symbolic summary whose formulas must wrap."""
    tex = output(capsys, *args, "--format", "latex")
    assert re.findall(r"\\usepackage(?:\[[^]]*\])?\{(\w+)\}", tex) == ["geometry", "booktabs", "longtable", "array"]
    assert "% It loads what it uses: geometry, booktabs, longtable, array." in tex
    log = pdflatex(tmp_path, tex)
    assert "Overfull \\hbox" not in log and "Undefined control sequence" not in log
    assert int(re.search(r"Output written on doc\.pdf \((\d+) pages?", log).group(1)) >= pages  # rows run on


def test_latex_escapes_what_tex_reads(capsys, tmp_path):
    """TeX's specials in titles, cells and notes, and the notes' symbols, compile and fit."""
    log = pdflatex(tmp_path, printed(capsys, Format.latex, SPECIAL))
    assert "Overfull \\hbox" not in log and "Missing character" not in log
