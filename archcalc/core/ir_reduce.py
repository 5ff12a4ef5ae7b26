"""Attribute types of the statistics a model computes over axes besides the mean, sum and norm (ir_tensors):
a variance (EvoNorm's group std, SimpleNorm) and a maximum or minimum (CBAM-style max over channels,
Hiera's max over a mask unit's positions). Re-exported by core/ir.py."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReduceVar:
    """x.var(dim, correction, keepdim) (x.std with `root`): the variance over some axes of a sample, divided by
    n - correction (torch's default correction 1, unbiased; 0: the population variance)."""

    axes: tuple
    keepdim: bool = False
    correction: int = 1
    root: bool = False


@dataclass(frozen=True)
class ReduceMax:
    """x.amax(dim, keepdim) (x.amin with op "min"): the largest (smallest) value over some axes of a sample."""

    axes: tuple
    keepdim: bool = False
    op: str = "max"


@dataclass(frozen=True)
class Expand:
    """x.expand(sizes): axes of size 1 stretched to `sizes` (per sample, -1 keeps an axis) as a view of stride
    0, no element written (EvoNorm's group std expanded over the group's channels and positions)."""

    sizes: tuple


@dataclass(frozen=True)
class Take:
    """x[:, ..., [i0, i1, ...]]: the positions `indices` of one axis, in that order (CSATv2's zigzag order of a
    DCT block's 64 coefficients): a new tensor, as torch's advanced indexing makes."""

    axis: int
    indices: tuple
