"""`archcalc summary --format html`: one self-contained page whose table holds exactly the cells of
`--format markdown` (the raw figures of `--format csv` in data-value, tests/output/test_publishing.py),
numbers right-aligned, with the title and the totals and notes."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from archcalc.cli import run


class Page(HTMLParser):
    """The cells of every table row, each cell's class, the paragraphs, the text of each element, every tag."""

    def __init__(self):
        super().__init__()
        self.rows, self.classes, self.tags, self.paragraphs, self.text = [], [], [], [], {}
        self._cell = self._open = self._paragraph = None

    def handle_decl(self, decl):
        self.tags.append(f"!{decl}")

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self._open = tag
        if tag == "tr":
            self.rows.append([])
            self.classes.append([])
        elif tag in ("td", "th"):
            self._cell = ""
            self.classes[-1].append(dict(attrs).get("class"))
        elif tag == "p":
            self._paragraph = ""

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data
        elif self._paragraph is not None:
            self._paragraph += data
        elif self._open is not None:
            self.text.setdefault(self._open, []).append(data)

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self.rows[-1].append(self._cell)
            self._cell = None
        elif tag == "p":
            self.paragraphs.append(self._paragraph)
            self._paragraph = None
        self._open = None


def output(capsys, *args) -> str:
    assert run(list(args)) == 0
    return capsys.readouterr().out


def page(capsys, *args) -> Page:
    parser = Page()
    parser.feed(output(capsys, *args))
    parser.close()
    return parser


@pytest.mark.parametrize("args", [("vgg16",), ("resnet50", "--depth", "2"), ("lenet5", "--input", "1xHxW"),
                                  ("stochastic-depth-110",)])
def test_cells_equal_the_markdown_cells(capsys, args):
    html = page(capsys, "summary", *args, "--format", "html")
    lines = output(capsys, "summary", *args, "--format", "markdown").split("\n\n")[0].splitlines()
    cells = [[c.strip().replace("\\|", "|") for c in line.strip("|").split(" | ")] for line in lines]
    assert html.rows == [cells[0], *cells[2:]]  # the Markdown's second line is the alignment row


def test_a_complete_self_contained_page(capsys):
    text = output(capsys, "summary", "vgg16", "--format", "html")
    html = Page()
    html.feed(text)
    assert text.startswith("<!DOCTYPE html>\n") and text.rstrip().endswith("</html>")
    assert html.tags[:4] == ["!DOCTYPE html", "html", "head", "meta"]
    assert "style" in html.tags and "table" in html.tags
    # nothing fetched from elsewhere: no stylesheets, images or frames; the one script is inline
    assert not {"link", "img", "iframe"} & set(html.tags) and html.tags.count("script") == 1
    assert "src=" not in text and "href=" not in text and "@import" not in text and "url(" not in text
    assert html.text["title"] == ["vgg16 at 3x224x224 (batch 1, float32)"] == html.text["h1"]


def test_numbers_right_aligned_words_left(capsys):
    html = page(capsys, "summary", "vgg16", "--format", "html")
    header = html.rows[0]
    right = {h for h, c in zip(header, html.classes[0]) if c == "num"}
    assert right == {"params", "MACs", "act. MB", "RF"}
    assert all(classes == html.classes[0] for classes in html.classes)  # every row aligned as its header
    assert ".num { text-align: right" in output(capsys, "summary", "vgg16", "--format", "html")


def test_totals_and_notes_follow_the_table(capsys):
    html = page(capsys, "summary", "vgg16", "--format", "html")
    assert html.paragraphs[0] == "parameters: 138,357,544 (138.36M; weights 138,344,128, biases 13,416; buffers 0)"
    assert "depth: 16 (weighted layers on the longest path: conv, linear, attention)" in html.paragraphs
    assert any(p.startswith("source: ") for p in html.paragraphs)
    text = output(capsys, "summary", "vgg16", "--format", "html")
    assert '<p class="note"><strong>parameters</strong>: 138,357,544' in text  # labels bold, as in the terminal


def test_cells_are_escaped(capsys):
    text = output(capsys, "summary", "lenet5", "--format", "html")
    assert "<td>120x1x1 -&gt; 120</td>" in text  # the flatten's arithmetic holds a '>'


def test_only_summary_offers_a_page(capsys):
    assert run(["list", "--format", "html"]) == 2
    assert "'html' is not one of" in capsys.readouterr().err
