"""The writers of every format but the terminal's and the page's: Markdown, CSV, JSON, pandas' HTML table
and LaTeX (a whole document, archcalc.output.latex).

Each is a function of a Table (archcalc.output.tables) that returns the text to print.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import csv
import io
import json

if TYPE_CHECKING:
    from .tables import Table


def markdown_table(header, rows, right=()) -> str:
    """A GitHub Markdown table; pipes in cells are escaped; the columns whose header is in `right` (numbers)
    right-aligned (|---:|)."""
    def cell(text) -> str:
        return str(text).replace("|", "\\|")
    lines = ["| " + " | ".join(cell(h) for h in header) + " |",
             "|" + "|".join("---:" if h in right else "---" for h in header) + "|"]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def plain(markup: str) -> str:
    """A note in rich markup as its text, for the documents (Markdown, LaTeX)."""
    from rich.text import Text

    return Text.from_markup(markup).plain


def write_markdown(table: Table) -> str:
    """The tables (each under its heading, if any), then the paragraphs, then the notes about the columns
    shown (Table.column_notes) as a list; blocks apart by a blank line."""
    blocks = []
    for t in (table, *table.then):
        if t.heading:
            blocks.append(f"**{t.heading}**")
        blocks.append(markdown_table(t.header, t.cells(), t.right).rstrip("\n"))
    blocks += table.paragraphs
    column_notes = [plain(note) for header, note in table.column_notes if header in table.header]
    if column_notes:
        blocks.append("\n".join(f"- {note}" for note in column_notes))
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
    """A complete LaTeX document (archcalc.output.latex): pdflatex compiles it as it is, the table fits the
    page; the notes of the columns shown follow it."""
    from . import latex

    return latex.document(table, table.notes_for(table.header))
