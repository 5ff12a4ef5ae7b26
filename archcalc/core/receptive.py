"""Receptive fields: size, jump (effective stride) and start (centre of the first output's field), per axis.

Coordinates are in input pixels, pixel i spanning [i, i+1), so the input itself has size 1, jump 1, start 0.5.
A size of None means the field is the whole input (after global pooling, a fully connected layer, attention).

The effective padding (Araujo, Norris, Sim, "Computing Receptive Fields of Convolutional Neural Networks",
Distill 2019, eq. for P_0) is how far the first output's field reaches left of pixel 0:
size/2 - start. Output unit i of a layer sees the pixels [i*jump - padding, i*jump - padding + size).
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class RF:
    """Receptive field per axis: size and jump in input pixels, start as a pixel coordinate."""

    size: tuple
    jump: tuple
    start: tuple

    @property
    def is_global(self) -> bool:
        return None in self.size

    @property
    def padding(self) -> tuple:
        """Effective padding per axis, in input pixels: how far the first unit's field lies left of pixel 0."""
        if self.is_global:
            return (None,) * len(self.size)
        return tuple(_tidy(r / 2 - s) for r, s in zip(self.size, self.start))

    def bounds(self, index: tuple) -> tuple:
        """(first pixel, last pixel + 1) per axis of the field of output unit `index` (may lie in padding)."""
        if self.is_global:
            raise ValueError("a global field has no bounds")
        return tuple((_tidy(s + i * j - r / 2), _tidy(s + i * j + r / 2))
                     for r, j, s, i in zip(self.size, self.jump, self.start, index))

    def to_json(self) -> dict:
        return {"size": list(self.size), "jump": list(self.jump), "start": list(self.start)}


def _tidy(value):
    """A float that is a whole number becomes an int (pixel indices print as 3, not 3.0)."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def input_rf(axes: int) -> RF:
    """The field of an input pixel: itself."""
    return RF((1,) * axes, (1,) * axes, (0.5,) * axes)


def global_rf(axes: int, jump: tuple) -> RF:
    """The whole input: every output sees every input pixel."""
    return RF((None,) * axes, jump, (None,) * axes)


def whole(rf: RF) -> RF:
    """The field once every output depends on every input pixel (after global pooling, a fully connected
    layer, attention, a softmax or mean over positions): global, with the jump it had."""
    return rf if rf.is_global else global_rf(len(rf.size), rf.jump)


def window_rf(rf: RF, kernel: tuple, stride: tuple, padding: tuple, dilation: tuple) -> RF:
    """The field after a sliding window (conv or pool): grows by (k_eff - 1) jumps, jump times stride."""
    if rf.is_global:
        return rf
    size, jump, start = [], [], []
    for r, j, s0, k, st, p, d in zip(rf.size, rf.jump, rf.start, kernel, stride, padding, dilation):
        k_eff = d * (k - 1) + 1  # span of the dilated kernel, in input units of this layer
        size.append(r + (k_eff - 1) * j)
        jump.append(j * st)
        start.append(s0 + ((k_eff - 1) / 2 - p) * j)  # centre of the first window, shifted by padding
    return RF(tuple(size), tuple(jump), tuple(start))


def uneven_windows_rf(rf: RF, sizes: tuple, outputs: tuple) -> tuple:
    """Adaptive pooling whose output does not divide its input: (field of the widest window, note).

    PyTorch's window i along an axis of n inputs and o outputs covers [floor(i*n/o), ceil((i+1)*n/o)), so
    windows differ in size by one and their step alternates. The size shown is the widest window's field;
    the jump is the mean step n/o times the incoming jump, an approximation where n/o is not whole.
    """
    if rf.is_global:
        return rf, None
    size, jump, start, widths_text, steps_text = [], [], [], [], []
    for r, j, s0, n, o in zip(rf.size, rf.jump, rf.start, sizes, outputs):
        starts = [(i * n) // o for i in range(o)]  # floor(i n / o)
        widths = [-((-(i + 1) * n) // o) - starts[i] for i in range(o)]  # ceil((i+1) n / o) - start
        steps = [b - a for a, b in zip(starts, starts[1:])] or [0]
        widest = max(widths)
        size.append(r + (widest - 1) * j)
        jump.append(_tidy(j * n / o))
        start.append(s0 + (widths[0] - 1) / 2 * j)  # the first window starts at pixel 0 of its input
        widths_text.append(_span(widths))
        steps_text.append(_span(steps))
    note = (f"adaptive pooling {' x '.join(map(str, sizes))} -> {' x '.join(map(str, outputs))}: windows of "
            f"{' x '.join(widths_text)} positions at steps of {' x '.join(steps_text)}; the widest window's "
            "field is shown, and the mean step as the jump (an approximation)")
    return RF(tuple(size), tuple(jump), tuple(start)), note


def _span(values) -> str:
    """'3' when all equal, '3-4' otherwise."""
    return str(min(values)) if min(values) == max(values) else f"{min(values)}-{max(values)}"


def merge_rf(rfs: list) -> tuple:
    """Field at a merge, per axis: the union of the inputs' fields. Returns (rf, note or None).

    Where the branches are centred alike (the usual case: Inception, residual and dense joins) the union is
    the largest field. Where they are not, the union is wider than any branch and a note says so. Unequal
    jumps are reported, never averaged: the field and jump shown are then those of the widest branch (the
    union would differ from one output unit to the next).
    """
    rfs = [r for r in rfs if r is not None]
    if any(r.is_global for r in rfs):
        return next(r for r in rfs if r.is_global), None
    axes = len(rfs[0].size)
    jumps = sorted({r.jump for r in rfs})
    if len(jumps) > 1:
        size, jump, start = [], [], []
        for a in range(axes):
            widest = max(rfs, key=lambda r: r.size[a])
            size.append(widest.size[a])
            jump.append(widest.jump[a])
            start.append(widest.start[a])
        note = "branches merge with unequal jumps " + ", ".join(str(list(j)) for j in jumps)
        return RF(tuple(size), tuple(jump), tuple(start)), note
    size, start = [], []
    for a in range(axes):
        low = min(r.start[a] - r.size[a] / 2 for r in rfs)  # leftmost edge over the branches
        high = max(r.start[a] + r.size[a] / 2 for r in rfs)  # rightmost edge
        size.append(_tidy(high - low))
        start.append((low + high) / 2)
    merged = RF(tuple(size), rfs[0].jump, tuple(start))
    note = None
    if any(merged.size[a] > max(r.size[a] for r in rfs) for a in range(axes)):
        note = (f"branch fields are not centred alike: their union, {'x'.join(str(s) for s in merged.size)}, "
                "is wider than any one branch")
    return merged, note


def minimal_containing_input(rf: RF) -> tuple:
    """Per axis, (smallest input length, output index) such that one output unit's field lies inside the input.

    Unit i sees [i*jump - padding, i*jump - padding + size): it must start at pixel 0 or later, so
    i = ceil(padding / jump), and the input must reach its far end. (The layer must also have an output i;
    callers check that with the engine.)
    """
    result = []
    for r, j, p in zip(rf.size, rf.jump, rf.padding):
        i = max(0, math.ceil(p / j))
        result.append((math.ceil(i * j - p + r), i))
    return tuple(result)
