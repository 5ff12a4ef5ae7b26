"""Tables for people in a terminal: rich tables and their notes, as the console (or a pipe) shows them."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .tables import Table


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
