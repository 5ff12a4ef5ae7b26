"""The HTML page in a real browser: headless Chromium (Debian's, installed by scripts/install_test_tools.sh),
driven by playwright; nothing is downloaded, by the test or by the page.

Each test opens a page archcalc wrote, clicks a column header and reads the column back: numbers sort by
their value (a cell shows "70,276,800" or "416.52K"), a second click sorts the other way, rows stay whole,
and cells without a figure stay last.
"""

from __future__ import annotations

import csv
import io

import pytest

from archcalc.cli import run
from archcalc.output.html import write_page
from archcalc.output.tables import Table


@pytest.fixture
def open_page(browser, tmp_path):
    """Opens HTML text as a file in a new tab; every request the page makes beyond the file is refused and
    counted, so a test can assert that nothing was fetched."""
    pages, fetched = [], []

    def opener(text: str):
        path = tmp_path / f"page{len(pages)}.html"
        path.write_text(text, encoding="utf-8")
        page = browser.new_page()
        page.route("**/*", lambda route: (route.continue_() if route.request.url == path.as_uri()
                                          else (fetched.append(route.request.url), route.abort())))
        page.goto(path.as_uri())
        pages.append(page)
        return page

    yield opener, fetched
    for page in pages:
        page.close()


def column(page, table: int, header: str) -> list:
    """The cells of one column, top to bottom, as the page shows them now."""
    return page.evaluate("""([t, h]) => {
        const table = document.querySelectorAll("table")[t];
        const i = Array.from(table.tHead.rows[0].cells).findIndex(c => c.textContent === h);
        return Array.from(table.tBodies[0].rows, r => r.cells[i].textContent);
    }""", [table, header])


def click(page, table: int, header: str) -> None:
    page.locator("table").nth(table).locator("th", has_text=header).first.click()


def output(capsys, *args) -> str:
    assert run(list(args)) == 0
    return capsys.readouterr().out


def test_a_summary_sorts_by_value_both_ways(capsys, open_page):
    """vgg16's summary: MACs and params sort by their raw figure (the csv's), not by their text, and each
    row moves whole; the page fetched nothing."""
    opener, fetched = open_page
    page = opener(output(capsys, "summary", "vgg16", "--format", "html"))
    figures = list(csv.DictReader(io.StringIO(output(capsys, "summary", "vgg16", "--format", "csv"))))
    layers, macs = column(page, 0, "layer"), column(page, 0, "MACs")
    assert layers == [f["layer"] for f in figures]  # as written, before any click
    by_layer = {f["layer"]: int(f["macs"]) for f in figures}

    click(page, 0, "MACs")
    ascending = [by_layer[name] for name in column(page, 0, "layer")]
    assert ascending == sorted(by_layer.values())
    # text order would put "1,849,688,064" before "86,704,128"; the values say otherwise
    assert [int(text.replace(",", "")) for text in column(page, 0, "MACs")] == ascending
    assert sorted(zip(column(page, 0, "layer"), column(page, 0, "MACs"))) == sorted(zip(layers, macs))

    click(page, 0, "MACs")
    assert [by_layer[name] for name in column(page, 0, "layer")] == sorted(by_layer.values(), reverse=True)
    assert page.locator("th", has_text="MACs").first.get_attribute("aria-sort") == "descending"

    click(page, 0, "params")
    params = [int(text.replace(",", "")) for text in column(page, 0, "params")]
    assert params == sorted(int(f["params"]) for f in figures)
    assert fetched == []


def test_each_table_of_a_page_sorts_alone(open_page):
    """A page of two tables (Table.then): short forms (416.52K < 1.20M < 2.00G), a missing figure last in
    both directions, words in natural order (layer2 before layer10); sorting one table leaves the other."""
    first = Table("first", ["name", "MACs"], [["a", "2.00G"], ["b", "416.52K"], ["c", "-"], ["d", "1.20M"]],
                  right=["MACs"])
    second = Table("second", ["layer", "size"], [["layer10", "4.10 kB"], ["layer2", "102.23 MB"], ["layer1", "812 B"]],
                   right=["size"])
    opener, fetched = open_page
    page = opener(write_page(Table("page", first.header, first.rows, right=first.right, then=[second])))

    click(page, 0, "MACs")
    assert column(page, 0, "MACs") == ["416.52K", "1.20M", "2.00G", "-"]
    assert column(page, 0, "name") == ["b", "d", "a", "c"]
    click(page, 0, "MACs")
    assert column(page, 0, "MACs") == ["2.00G", "1.20M", "416.52K", "-"]
    assert column(page, 1, "layer") == ["layer10", "layer2", "layer1"]  # untouched

    click(page, 1, "size")  # 812 B < 4,100 B < 102,230,000 B
    assert column(page, 1, "layer") == ["layer1", "layer10", "layer2"]
    click(page, 1, "layer")
    assert column(page, 1, "layer") == ["layer1", "layer2", "layer10"]
    assert column(page, 0, "MACs") == ["2.00G", "1.20M", "416.52K", "-"]  # as the first table was left
    assert fetched == []
