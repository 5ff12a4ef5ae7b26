"""A table as one self-contained HTML page: the title, the table (numbers right-aligned), the notes.

Nothing is fetched: the style sits in the page, there are no scripts, fonts or images, so the file opens
the same offline, in a mail or in a CI artifact.
"""

from __future__ import annotations

from html import escape

STYLE = """\
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em; color: #222; }
h1 { font-size: 1.2em; }
table { border-collapse: collapse; font-size: 0.9em; }
th, td { padding: 0.25em 0.7em; border-bottom: 1px solid #ddd; text-align: left; vertical-align: top; }
th { border-bottom: 2px solid #888; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
p.note { margin: 0.3em 0; font-size: 0.9em; }"""


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


def table_html(header, rows, right) -> list:
    """The lines of one <table>; columns whose header is in `right` are right-aligned (class num)."""
    align = [' class="num"' if h in right else "" for h in header]
    lines = ["<table>", "<thead>", "<tr>" + "".join(f"<th{a}>{escape(str(h))}</th>" for h, a in zip(header, align))
             + "</tr>", "</thead>", "<tbody>"]
    for row in rows:
        lines.append("<tr>" + "".join(f"<td{a}>{escape(str(c))}</td>" for c, a in zip(row, align)) + "</tr>")
    return lines + ["</tbody>", "</table>"]


def write_page(table) -> str:
    """A complete HTML5 page of an archcalc.output.tables.Table (and the tables that follow it)."""
    lines = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
             f"<title>{escape(table.title)}</title>", "<style>", STYLE, "</style>", "</head>", "<body>"]
    for i, t in enumerate((table, *table.then)):
        lines.append(f"<h1>{escape(t.title)}</h1>" if i == 0 else f"<h2>{escape(t.title)}</h2>")
        lines += table_html(t.header, t.cells(), t.right)
    lines += [f'<p class="note">{inline(note)}</p>' for note in table.lines()]
    return "\n".join([*lines, "</body>", "</html>"]) + "\n"
