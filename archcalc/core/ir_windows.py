"""Attribute types of the window kinds of Swin Transformers (re-exported by core/ir.py): attention inside
non-overlapping windows of a channels-last map, and the 2x2 patch merging between stages."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import GraphError


def _pair(value, what: str) -> tuple:
    """An int or two ints as (height, width), normalised once."""
    values = (value, value) if isinstance(value, int) and not isinstance(value, bool) else tuple(value)
    if len(values) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in values):
        raise GraphError(f"window attention: {what} must be an integer or two integers (height, width), got "
                         f"{value!r}")
    return values


@dataclass(frozen=True)
class WindowAttention:
    """Multi-head self-attention inside windows of `window` positions on an H x W x C map (channels last), as
    torchvision's shifted_window_attention computes it: the map padded at the bottom and right to a multiple
    of the window, rolled back by `shift` (the shifted windows, with a mask: no MACs), a qkv linear (C -> 3C),
    softmax(q k^T + bias) v per head and window, an output linear, the roll and padding undone.

    cosine: Swin V2's scaled cosine attention (q and k normalised, times exp(clamped logit scale), one per
    head); cpb_hidden: the width of V2's continuous position-bias MLP (Linear(2, hidden) with bias, ReLU,
    Linear(hidden, heads) without), 0 for V1's table of (2 wh - 1)(2 ww - 1) x heads learned biases. Both keep
    the relative position index (N^2 int64 for N = wh ww window tokens) as a buffer, V2 also its
    (2 wh - 1)(2 ww - 1) x 2 coordinate table."""

    heads: int
    window: tuple
    shift: tuple = (0, 0)
    qkv_bias: bool = True
    proj_bias: bool = True
    cosine: bool = False
    cpb_hidden: int = 0

    def __post_init__(self):
        object.__setattr__(self, "window", _pair(self.window, "window"))
        object.__setattr__(self, "shift", _pair(self.shift, "shift"))
        if min(self.window) < 1 or isinstance(self.heads, bool) or not isinstance(self.heads, int) or self.heads < 1:
            raise GraphError(f"window attention: heads and window must be positive, got heads {self.heads!r}, "
                             f"window {self.window}")
        if any(s >= w for s, w in zip(self.shift, self.window)):
            raise GraphError(f"window attention: shift {self.shift} must be smaller than the window {self.window}")


@dataclass(frozen=True)
class PatchMerge:
    """Swin's patch merging without its norm and linear (torchvision's _patch_merging_pad): an H x W x C map
    (channels last) padded to even sizes, each 2 x 2 block's four positions put side by side on the channels,
    in the order (0, 0), (1, 0), (0, 1), (1, 1): ceil(H/2) x ceil(W/2) x 4C. A copy; no arithmetic."""


@dataclass(frozen=True)
class Roll:
    """torch.roll: each of `axes` (counted after the batch, negative from the end) shifted by its `shifts`
    entry, the elements leaving one end coming back at the other (Swin's cyclic shift of the windows). A copy."""

    shifts: tuple
    axes: tuple

    def __post_init__(self):
        shifts = (self.shifts,) if isinstance(self.shifts, int) else tuple(self.shifts)
        axes = (self.axes,) if isinstance(self.axes, int) else tuple(self.axes)
        if len(shifts) != len(axes) or not axes or \
                not all(isinstance(v, int) and not isinstance(v, bool) for v in shifts + axes):
            raise GraphError(f"roll: shifts {self.shifts!r} and axes {self.axes!r} must be integers, one shift per axis")
        object.__setattr__(self, "shifts", shifts)
        object.__setattr__(self, "axes", axes)
