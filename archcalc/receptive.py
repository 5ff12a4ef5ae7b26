"""Receptive fields: size, jump (effective stride) and start (centre of the first output's field), per axis.

Coordinates are in input pixels, pixel i spanning [i, i+1), so the input itself has size 1, jump 1, start 0.5.
A size of None means the field is the whole input (after global pooling or a fully connected layer).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RF:
    """Receptive field per axis: size and jump in input pixels, start as a pixel coordinate."""

    size: tuple
    jump: tuple
    start: tuple

    @property
    def is_global(self) -> bool:
        return any(s is None for s in self.size)

    def to_json(self) -> dict:
        return {"size": list(self.size), "jump": list(self.jump), "start": list(self.start)}


def input_rf(axes: int) -> RF:
    """The field of an input pixel: itself."""
    return RF((1,) * axes, (1,) * axes, (0.5,) * axes)


def global_rf(axes: int, jump: tuple) -> RF:
    """The whole input: every output sees every input pixel."""
    return RF((None,) * axes, jump, (None,) * axes)


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


def merge_rf(rfs: list) -> tuple:
    """Field at a merge: the largest over the inputs, per axis. Returns (rf, note about unequal jumps)."""
    rfs = [r for r in rfs if r is not None]
    if any(r.is_global for r in rfs):
        return next(r for r in rfs if r.is_global), None
    axes = len(rfs[0].size)
    size, jump, start = [], [], []
    for a in range(axes):
        widest = max(rfs, key=lambda r: r.size[a])
        size.append(widest.size[a])
        jump.append(widest.jump[a])
        start.append(widest.start[a])
    jumps = sorted({r.jump for r in rfs})
    note = None
    if len(jumps) > 1:
        note = "branches merge with unequal jumps " + ", ".join(str(list(j)) for j in jumps)
    return RF(tuple(size), tuple(jump), tuple(start)), note
