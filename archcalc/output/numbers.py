"""Numbers as people read them: the one family of formatters every table, line and note uses.

Each function takes a figure (an int, a float, a sympy expression where a size is symbolic, or None where a
figure does not exist) and returns its text. MB = 10^6 bytes (archcalc.conventions).
"""

from __future__ import annotations

import math

from ..conventions import MB
from ..core.shape import fmt_dim, to_plain

MISSING = "-"  # a figure that was not measured or does not exist, in a table for people


def si(value, unit: str = "") -> str:
    """1234567 -> '1.23M' (powers of 1000; K, M, G, T); a symbolic value as its formula."""
    value = to_plain(value)
    if not isinstance(value, (int, float)):
        return fmt_dim(value)
    for factor, prefix in ((10**12, "T"), (10**9, "G"), (10**6, "M"), (10**3, "K")):
        if abs(value) >= factor:
            return f"{value / factor:.2f}{prefix}{unit}"
    return f"{value:g}{unit}" if isinstance(value, float) else f"{value}{unit}"


def exact(value) -> str:
    """An integer with thousands separators; a symbolic value as its formula."""
    value = to_plain(value)
    return f"{value:,}" if isinstance(value, int) else fmt_dim(value)


def megabytes(nbytes) -> str:
    """Bytes as MB (10^6), two decimals, thousands separated; a formula as it is."""
    nbytes = to_plain(nbytes)
    if isinstance(nbytes, int):
        return f"{nbytes / MB:,.2f}"
    return fmt_dim(nbytes / MB)


def size(nbytes) -> str:
    """Bytes in the unit that reads best (powers of 1000): 812 B, 4.10 kB, 102.23 MB, 3.09 GB, 1.20 TB."""
    nbytes = to_plain(nbytes)
    if not isinstance(nbytes, (int, float)):
        return f"{fmt_dim(nbytes)} B"
    for factor, unit in ((10**12, "TB"), (10**9, "GB"), (MB, "MB"), (10**3, "kB")):
        if abs(nbytes) >= factor:
            return f"{nbytes / factor:,.2f} {unit}"
    return f"{nbytes:,.0f} B"


def fixed(value: float, decimals: int = 2, widen: bool = True) -> str:
    """A number with `decimals` decimals and thousands separators; with `widen`, small values get more
    decimals (up to 6) so that two significant digits show (0.062, not 0.06)."""
    if widen and value and abs(value) < 10 ** (1 - decimals):
        decimals = min(6, 1 - math.floor(math.log10(abs(value))))
    return f"{value:,.{decimals}f}"


def optional(value, spec: str) -> str:
    """format(value, spec), or '-' when the figure does not exist (a measurement that did not run)."""
    return MISSING if value is None else format(value, spec)


def short(value) -> str:
    """A pixel figure as short as it goes: 7, 3.5, 0.3333 (4 significant digits); '-' when missing."""
    if value is None:
        return MISSING
    if isinstance(value, float):
        return f"{value:.4g}" if not value.is_integer() else str(int(value))
    return str(value)


def axes(values) -> str:
    """One figure per spatial axis: (7, 7) -> '7'; (7, 5) -> '7x5'; each as short() writes it."""
    text = [short(v) for v in values]
    return text[0] if len(set(text)) == 1 else "x".join(text)


def ratio(value) -> str:
    """0.3333 -> '0.333x' (3 significant digits); a symbolic ratio as its formula."""
    try:
        return f"{float(value):.3g}x"
    except TypeError:
        return str(value)


def field(rf) -> str:
    """A receptive field's size: '11', '7x5' when the axes differ, 'global', '' when there is none."""
    if rf is None:
        return ""
    if rf.is_global:
        return "global"
    return "x".join(str(s) for s in rf.size) if len(set(rf.size)) > 1 else str(rf.size[0])


def figure(value) -> str:
    """A figure of any kind: an int with thousands separators, a shape list as 3x224x224, '-' when missing."""
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, list):
        return "x".join(str(v) for v in value)
    return MISSING if value is None else str(value)


def in_unit(value, unit: str) -> str:
    """A computed figure in the unit of the quoted one it is checked against: 12.00x, 93.00 MB, 138.36M."""
    if unit == "x":
        return f"{value:.2f}x"
    if unit == "bytes":
        return f"{value / MB:.2f} MB"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.2f}"
    large = unit in ("params", "MACs") and abs(value) >= 1e6
    return si(int(value)) if large else exact(int(value))
