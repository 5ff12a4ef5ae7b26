"""Every command prints through one emit(format, table): a Table says what to print, a writer per format says how.

A format is one writer (a function Table -> text) plus its member of Format, registered in WRITERS; a
command offers the formats it supports through offer(), which makes the choices of its --format option.
Writers: rich tables for people, Markdown and CSV for documents, JSON for programs, an HTML page, and the
HTML and LaTeX tables pandas writes (compare's).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from enum import Enum
from typing import Any, Callable, Collection, Optional, Sequence, Union

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
    wide: bool = False  # the terminal's writer shows every column, however wide (--wide)
    keep: Sequence[str] = ()  # terminal, too wide a table: the headers in the order they stay, the first never
    # hidden; unlisted columns go before them (the widest text first, then numbers from the right), then the
    # listed from the last; default: only the first column is sure to stay
    wrap: Collection[str] = ()  # terminal: headers of prose columns that wrap at spaces rather than hide
    column_notes: Sequence[tuple] = ()  # (header, note in rich markup): a note about one column, printed after
    # the notes only where that column is shown (a writer that hides columns passes the shown ones to notes_for)

    def cells(self) -> list:
        return list(self.rows() if callable(self.rows) else self.rows)

    def lines(self) -> list:
        return list(self.notes() if callable(self.notes) else self.notes)

    def notes_for(self, shown: Collection[str]) -> list:
        """The notes, then the column notes of the columns in `shown` (headers)."""
        return self.lines() + [note for header, note in self.column_notes if header in shown]

    def json_document(self):
        return self.document() if callable(self.document) else self.document


from .terminal import console, rich_table, write_table  # noqa: E402  (console, rich_table: re-exported)
from .writers import markdown_table, write_csv, write_html_table, write_json, write_latex, write_markdown  # noqa: E402

__all__ = ["Format", "Table", "WRITERS", "emit", "offer", "choices_text", "console", "rich_table", "markdown_table"]

WRITERS: dict = {
    Format.table: write_table,
    Format.markdown: write_markdown,
    Format.csv: write_csv,
    Format.json: write_json,
    Format.html: html.write_page,
    Format.html_table: write_html_table,
    Format.latex: write_latex,
}


def emit(format: Enum, table: Table, wide: bool = False) -> None:
    """Print `table` in `format`: a Format, or a member of a command's offer() (the same names); `wide`:
    every column in the terminal, however wide (--wide)."""
    if wide:
        from dataclasses import replace

        table = replace(table, wide=True)
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
