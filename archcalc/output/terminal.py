"""Tables for people in a terminal, drawn to fit: columns drop or shorten by priority, never split mid-cell.

The width is the COLUMNS variable when it is set, else the terminal's; piped output without COLUMNS is
drawn at the table's natural width, plain, unwrapped. Columns empty in every row are not shown. When the
table is wider than that, whole columns are hidden, least important first (Table.keep names the ones that
must stay, in order; by default the first column stays, numeric columns outlast text, the widest text
column goes first), and a line under the table says which; prose columns (Table.wrap) wrap at spaces
instead; a text cell is cut with an ellipsis only when the columns that must stay do not fit; numbers
never are. --wide (Table.wide) shows every column at its natural width.

The rows are laid out here and framed with rich's own box (rich.box: its borders from the column widths);
rich's Table is not used for them because it measures and wraps every cell, 18 s for a 12,000-layer summary.
Cell widths are rich's (rich.cells); the notes under the table are rich markup, printed by rich.
"""

from __future__ import annotations

import os
import shutil
import sys
import textwrap
from typing import TYPE_CHECKING, Optional

from .numbers import MISSING

if TYPE_CHECKING:
    from .tables import Table

MIN_TEXT = 6  # a text column cut with an ellipsis keeps at least this many cells
MIN_PROSE = 16  # a prose column wraps to no fewer cells than this (or its longest word)


def terminal_width() -> Optional[int]:
    """COLUMNS when set, else the terminal's width; None when piped without COLUMNS (natural width)."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    if sys.stdout.isatty():
        return shutil.get_terminal_size().columns
    return None


def console(width: Optional[int] = None):
    """A rich console `width` wide (default: terminal_width()); piped without COLUMNS, one that does not wrap."""
    from rich.console import Console

    width = width or terminal_width()
    return Console(width=width) if width else Console(soft_wrap=True)


def rich_table(title: str, header, rows, right=()):
    """A rich Table (for callers that compose rich renderables); columns named in `right` are right-aligned."""
    from rich.table import Table as RichTable
    from rich.text import Text

    table = RichTable(title=title, title_justify="left", header_style="bold")
    for h in header:
        table.add_column(h, justify="right" if h in right else "left",
                         no_wrap=h in right, overflow="ellipsis" if h in right else "fold")
    for row in rows:  # cells are plain text: "[dilated kernel ...]" or "[[before, after]]" are not markup
        table.add_row(*[Text(str(c)) for c in row])
    return table


def cell_width(text: str) -> int:
    """Terminal cells `text` takes: its widest line (CJK characters take two)."""
    if text.isascii() and "\n" not in text:
        return len(text)
    from rich.cells import cell_len

    return max(cell_len(line) for line in text.split("\n"))


def cut(text: str, width: int, ellipsis: str = "…") -> str:
    """`text` in at most `width` cells, its end replaced by an ellipsis when it is longer."""
    if cell_width(text) <= width:
        return text
    if text.isascii():
        return text[:max(width - len(ellipsis), 0)] + ellipsis
    from rich.cells import set_cell_size

    return set_cell_size(text, max(width - len(ellipsis), 0)) + ellipsis


def drop_order(header, right, keep, natural) -> list:
    """Indices of the columns in the order they are hidden when the table is too wide; the column that
    must stay most (keep[0], else the first) is not among them."""
    kept = [header.index(h) for h in keep if h in header] or [0]
    rest = [j for j in range(len(header)) if j not in kept]
    text = sorted((j for j in rest if header[j] not in right), key=lambda j: -natural[j])
    numeric = [j for j in reversed(rest) if header[j] in right]
    return text + numeric + kept[:0:-1]


def _span(widths) -> int:
    """Cells a row of columns this wide takes: '│ a │ b │'."""
    return sum(widths) + 3 * len(widths) + 1


def layout(table: Table, rows: list, width: Optional[int]) -> tuple:
    """(shown column indices, their widths, hidden headers) for `rows` at `width` (None: natural)."""
    header = list(table.header)
    n = len(header)
    natural = [max([1, *(cell_width(h) for h in header[j].split()), *(cell_width(r[j]) for r in rows)])
               for j in range(n)]
    # a column empty in every row (no cell, or only MISSING's "-": no figure exists) is never shown
    shown = [j for j in range(n) if not rows or any(r[j].strip() not in ("", MISSING) for r in rows)]
    if table.wide or width is None:
        return shown, {j: max(natural[j], cell_width(header[j])) for j in shown}, []
    prose = set(table.wrap)
    least = {j: min(natural[j], max(MIN_PROSE, _longest_word(rows, j))) if header[j] in prose else natural[j]
             for j in shown}
    hidden = []
    for j in drop_order(header, table.right, table.keep, natural):
        if _span([least[k] for k in shown]) <= width:
            break
        if j in shown:
            shown.remove(j)
            hidden.append(header[j])
    widths = {j: least[j] for j in shown}
    for cut_first in (False, True):  # text columns first, then prose (its longest words cut)
        _shorten(widths, [j for j in shown if header[j] not in table.right and (header[j] in prose) == cut_first],
                 _span(widths.values()) - width)
    _widen(widths, [j for j in shown if header[j] in prose], natural, width - _span(widths.values()))
    # a header on one line where the spare cells allow it
    _widen(widths, shown, [cell_width(h) for h in header], width - _span(widths.values()))
    return shown, widths, hidden


def _longest_word(rows, j) -> int:
    return max((cell_width(w) for r in rows for w in r[j].split()), default=0)


def _shorten(widths: dict, text: list, excess: int) -> None:
    """Take `excess` cells from the widest text columns, none below MIN_TEXT: the last resort."""
    while excess > 0:
        wide = [j for j in text if widths[j] > MIN_TEXT]
        if not wide:
            return
        j = max(wide, key=lambda k: widths[k])
        others = [widths[k] for k in wide if k != j]
        step = min(excess, widths[j] - max(MIN_TEXT, max(others, default=0) - 1), widths[j] - MIN_TEXT)
        widths[j] -= max(step, 1)
        excess -= max(step, 1)


def _widen(widths: dict, columns: list, natural: list, spare: int) -> None:
    """Share the spare cells among `columns`, in proportion to what each lacks of its natural width."""
    lack = {j: max(0, natural[j] - widths[j]) for j in columns}
    total = sum(lack.values())
    if spare <= 0 or not total:
        return
    share = {j: lack[j] if total <= spare else lack[j] * spare // total for j in columns}
    left = min(spare, total) - sum(share.values())
    for j in columns:  # what the rounding down left, one cell each
        if left and share[j] < lack[j]:
            share[j] += 1
            left -= 1
        widths[j] += share[j]


def _lines(text: str, width: int, wraps: bool) -> list:
    if wraps:
        lines = textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False) or [""]
        return [cut(line, width) for line in lines]  # a word longer than the column: the last resort
    return [cut(line, width) for line in text.split("\n")]


def _pad(text: str, width: int, right: bool) -> str:
    space = " " * (width - cell_width(text))
    return space + text if right else text + space


def draw(table: Table, rows: list, shown: list, widths: dict, ansi: bool, box) -> list:
    """The lines of one table: its title, the boxed header and the rows."""
    header = list(table.header)
    right = [header[j] in table.right for j in shown]
    wraps = [header[j] in table.wrap for j in shown]
    ws = [widths[j] for j in shown]
    padded = [w + 2 for w in ws]  # a space either side of every cell, as rich pads them
    heads = (box.head_left, box.head_vertical, box.head_right)
    body = (box.mid_left, box.mid_vertical, box.mid_right)

    def row_lines(cells, sides, head=False) -> list:
        parts = [_lines(c, w, wrap or head) if (head or wrap or "\n" in c or cell_width(c) > w) else [c]
                 for c, w, wrap in zip(cells, ws, wraps)]
        height = max(len(p) for p in parts)
        out = []
        for i in range(height):
            texts = [_pad(p[i] if i < len(p) else "", w, r) for p, w, r in zip(parts, ws, right)]
            if head and ansi:
                texts = [f"\x1b[1m{t}\x1b[0m" for t in texts]
            out.append(sides[0] + " " + f" {sides[1]} ".join(texts) + " " + sides[2])
        return out

    lines = [f"\x1b[3m{line}\x1b[0m" if ansi else line for line in _title(table.title, _span(ws))]
    lines += [box.get_top(padded), *row_lines([header[j] for j in shown], heads, True),
              box.get_row(padded, "head")]
    fmt = body[0] + " " + f" {body[1]} ".join(f"{{:{'>' if r else '<'}{w}}}" for r, w in zip(right, ws)) \
        + " " + body[2]
    if not any(wraps) and all(_plain([r[j] for r in rows], widths[j]) for j in shown):
        lines += [fmt.format(*[r[j] for j in shown]) for r in rows]  # a 12,000-row table in a tenth of a second
    else:
        for r in rows:
            lines += row_lines([r[j] for j in shown], body)
    lines.append(box.get_bottom(padded))
    return lines


def _plain(cells: list, width: int) -> bool:
    """Whether every cell is one line of ASCII within `width`: padding is all it needs."""
    return all(c.isascii() and "\n" not in c for c in cells) and max(map(len, cells), default=0) <= width


def _title(title: str, width: int) -> list:
    if not title:
        return []
    return textwrap.wrap(title, width, break_long_words=False, break_on_hyphens=False) or [title]


def write_table(table: Table) -> str:
    """The tables, each drawn to fit the width, then the notes; a line after a table that hides columns."""
    width = terminal_width()
    out = console(width)
    ansi = out.color_system is not None
    from rich import box as boxes  # rich's own boxes: the look its tables have, ASCII where UTF-8 is not

    encoding = (getattr(sys.stdout, "encoding", None) or "utf-8").lower()
    box = boxes.HEAVY_HEAD if encoding.startswith("utf") else boxes.ASCII_DOUBLE_HEAD
    blocks, first = [], None
    for t in (table, *table.then):
        rows = [[str(c) for c in row] for row in t.cells()]
        shown, widths, hidden = layout(t, rows, width)
        first = [t.header[j] for j in shown] if first is None else first
        blocks += draw(t, rows, shown, widths, ansi, box)
        if hidden:
            blocks += _hidden_note(hidden, width, ansi)
    with out.capture() as captured:
        for line in table.notes_for(first):  # a column's notes only where the column is shown
            out.print(line, highlight=False)
    return "\n".join(blocks) + "\n" + captured.get()


def _hidden_note(hidden: list, width: Optional[int], ansi: bool) -> list:
    where = f"at {width} columns" if width else ""
    text = f"not shown {where}: {', '.join(hidden)} (--wide shows every column)"
    lines = textwrap.wrap(text, width, break_long_words=False) if width else [text]
    return [f"\x1b[2m{line}\x1b[0m" if ansi else line for line in lines]
