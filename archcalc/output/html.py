"""A table as one self-contained HTML page: the title, the table (numbers right-aligned), the notes.

Nothing is fetched: the style and the script sit in the page, there are no fonts, images or links, so the
file opens the same offline, in a mail or in a CI artifact. Every column sorts on a click on its header
(again: the other way): numbers by their value, which each cell carries in data-value (a cell shows
"1,234,567" or "416.52K"), taken from the Table's raw figures where they match the column, else read from
the cell; cells without a figure ("-", empty) stay last.
"""

from __future__ import annotations

import math
import re
from html import escape

STYLE = """\
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em; color: #222; }
h1 { font-size: 1.2em; }
table { border-collapse: collapse; font-size: 0.9em; }
th, td { padding: 0.25em 0.7em; border-bottom: 1px solid #ddd; text-align: left; vertical-align: top; }
th { border-bottom: 2px solid #888; cursor: pointer; user-select: none; white-space: nowrap; }
th[aria-sort="ascending"]::after { content: " \\25B2"; }
th[aria-sort="descending"]::after { content: " \\25BC"; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
p.note { margin: 0.3em 0; font-size: 0.9em; }
table + p.note { margin-top: 1em; }"""


def inline(markup: str) -> str:
    """A note in rich markup as HTML: its text as the console shows it, bold spans as <strong>, other styles
    (colours, dim) dropped."""
    from rich.text import Text

    text = Text.from_markup(markup)
    out, cursor = [], 0
    for span in sorted(text.spans, key=lambda s: s.start):
        if span.start < cursor:  # nested styles: the outer span has placed its text already
            continue
        piece = escape(text.plain[span.start:span.end])
        out += [escape(text.plain[cursor:span.start]), f"<strong>{piece}</strong>" if "bold" in str(span.style)
                else piece]
        cursor = span.end
    return "".join(out) + escape(text.plain[cursor:])


# sorts every table.sortable of the page on a click on a header (Enter too): first ascending, then the other
# way; numbers by data-value, words in natural order (layer10 after layer9); missing cells last either way
SCRIPT = """\
(function () {
  function rank(cell, numeric) {
    var text = cell.textContent.trim();
    if (numeric && cell.hasAttribute("data-value")) return [0, parseFloat(cell.getAttribute("data-value"))];
    return text === "" || text === "-" ? [2, ""] : [1, text];
  }
  function compare(a, b) {
    if (a[0] !== b[0]) return 0;
    if (a[0] === 0) return a[1] - b[1];
    return String(a[1]).localeCompare(String(b[1]), undefined, {numeric: true});
  }
  function sort(table, th) {
    var column = th.cellIndex, numeric = th.classList.contains("num");
    var down = th.getAttribute("aria-sort") === "ascending";
    var headers = table.tHead.rows[0].cells;
    for (var i = 0; i < headers.length; i++) headers[i].setAttribute("aria-sort", "none");
    th.setAttribute("aria-sort", down ? "descending" : "ascending");
    var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (x, y) {
      var a = rank(x.cells[column], numeric), b = rank(y.cells[column], numeric);
      if (a[0] !== b[0]) return a[0] - b[0];
      var c = compare(a, b);
      if (c !== 0) return down ? -c : c;
      return x.getAttribute("data-order") - y.getAttribute("data-order");
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }
  var tables = document.querySelectorAll("table.sortable");
  Array.prototype.forEach.call(tables, function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
      th.addEventListener("click", function () { sort(table, th); });
      th.addEventListener("keydown", function (e) { if (e.key === "Enter") sort(table, th); });
    });
  });
})();"""

PREFIX = {"": 1, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}
UNIT = {"": 1, "%": 1, "px": 1, "B": 1, "kB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12, "s": 1, "ms": 1e-3,
        "us": 1e-6, "µs": 1e-6}
_NUMBER = re.compile(r"([-+]?\d[\d,]*(?:\.\d+)?(?:[eE][-+]?\d+)?)\s*([KMGT]?)\s*(" + "|".join(
    sorted((u for u in UNIT if u), key=len, reverse=True)) + ")?")


def value(text):
    """The number a cell shows, in the cell's unit ("1,234,567", "416.52K" -> 416520.0, "4.10 kB" -> 4100.0);
    None for a cell that is no number ("-", "64*H", "7x5")."""
    match = _NUMBER.fullmatch(str(text).strip())
    if not match:
        return None
    number, prefix, unit = match.groups()
    return float(number.replace(",", "")) * PREFIX[prefix] * UNIT[unit or ""]


def _figure(x):
    """A raw figure as a float; None where it is no finite number."""
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
        return None
    return float(x)


def sort_values(header, rows, figures=None) -> list:
    """The value of each cell (None: no number), by row: a column's raw figures where `figures` (header, rows)
    has the table's shape and that column orders its rows as the cells do (the figures of some tables are
    other columns than the cells'), else the number each cell shows."""
    values = [[value(c) for c in row] for row in rows]
    if figures is None:
        return values
    _, raw = figures  # once: a command's figures may be computed when asked (summary's)
    raw = list(raw)
    if len(raw) != len(rows) or any(len(f) != len(header) for f in raw):
        return values
    for j in range(len(header)):
        pairs = [(_figure(f[j]), v[j]) for f, v in zip(raw, values) if v[j] is not None]
        if any(f is None for f, _ in pairs):
            continue
        shown = [v for _, v in sorted(pairs, key=lambda p: p[0])]
        if all(a <= b for a, b in zip(shown, shown[1:])):  # rounding may tie cells, never reorder them
            for f, v in zip(raw, values):
                v[j] = _figure(f[j]) if v[j] is not None else None
    return values


def table_html(header, rows, right, figures=None) -> list:
    """The lines of one sortable <table>; columns whose header is in `right` are right-aligned (class num)
    and their cells carry their value (data-value) to sort by."""
    align = [' class="num"' if h in right else "" for h in header]
    values = sort_values(header, rows, figures)
    lines = ['<table class="sortable">', "<thead>", "<tr>" + "".join(
        f'<th{a} tabindex="0" aria-sort="none">{escape(str(h))}</th>' for h, a in zip(header, align))
        + "</tr>", "</thead>", "<tbody>"]
    for i, (row, row_values) in enumerate(zip(rows, values)):
        cells = []
        for c, a, h, v in zip(row, align, header, row_values):
            data = f' data-value="{v!r}"' if h in right and v is not None else ""
            cells.append(f"<td{a}{data}>{escape(str(c))}</td>")
        lines.append(f'<tr data-order="{i}">' + "".join(cells) + "</tr>")
    return lines + ["</tbody>", "</table>"]


def write_page(table) -> str:
    """A complete HTML5 page of an archcalc.output.tables.Table (and the tables that follow it), each table
    sortable; the notes (those of the columns shown) under the tables."""
    lines = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>{escape(table.title)}</title>", "<style>", STYLE, "</style>", "</head>", "<body>"]
    for i, t in enumerate((table, *table.then)):
        lines.append(f"<h1>{escape(t.title)}</h1>" if i == 0 else f"<h2>{escape(t.title)}</h2>")
        lines += table_html(t.header, t.cells(), t.right, table.figures if i == 0 else None)
    lines += [f'<p class="note">{inline(note)}</p>' for note in table.notes_for(table.header)]
    return "\n".join([*lines, "<script>", SCRIPT, "</script>", "</body>", "</html>"]) + "\n"
