"""Checks the builder applies to every layer's attributes when it is made: one GraphError naming the layer."""

from __future__ import annotations

from ..errors import GraphError
from ..limits import MAX_SIZE


def axes_of(model, name, dims, *values) -> int:
    """How many spatial axes a layer works on: `dims` (1, 2 or 3, as torch's Conv1d/2d/3d), else the length of
    the first per-axis list among `values`, else 2."""
    lengths = [len(v) for v in values if isinstance(v, (list, tuple))]
    axes = dims if dims is not None else (lengths[0] if lengths else 2)
    if isinstance(axes, bool) or axes not in (1, 2, 3):
        raise GraphError(f"{model}: layer {name or '(unnamed)'}: dims must be 1, 2 or 3, got {axes!r}")
    return axes


def check_printable(what: str, text) -> None:
    """Names end up in tables, JSON and terminals: no newlines, control characters or lone surrogates."""
    if not isinstance(text, str) or not text or not text.isprintable():
        shown = text.encode("unicode_escape", "backslashreplace").decode("ascii") if isinstance(text, str) else text
        raise GraphError(f"{what} must be printable text, got '{shown}'")


def check_positive(model, name, **fields) -> None:
    for key, values in fields.items():
        for v in values:
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise GraphError(f"{model}: layer {name or '(unnamed)'}: {key} must be a positive integer, got {v!r}")
            if v > MAX_SIZE:
                raise GraphError(f"{model}: layer {name or '(unnamed)'}: {key} is above 10^18, the largest value "
                                 "archcalc takes")


def check_non_negative(model, name, **fields) -> None:
    for key, values in fields.items():
        for v in values:
            if not isinstance(v, int) or isinstance(v, bool) or v < 0:
                raise GraphError(f"{model}: layer {name or '(unnamed)'}: {key} must be 0 or more, got {v!r}")
