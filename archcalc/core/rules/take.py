"""Rules for `take`: x[..., [i0, i1, ...]], the positions of a fixed list along one axis, in its order (a
gather by an index list that the model holds: CSATv2's zigzag order of DCT coefficients). A new tensor, no
arithmetic; backward keeps the index list (int64, once for the batch).

Receptive field: along a channel or other axis, as it was; along a spatial or token axis an output position
is some input position, no longer a sliding window: taken as global (an upper bound)."""

from __future__ import annotations

from ...errors import ShapeError
from ..ir import Take
from ..receptive import whole
from ..shape import SPATIAL, TOKENS, is_symbolic
from . import NO_PARAMS, ShapeOut, flags, rule
from .passthrough import no_macs
from .saved import Extra, Saved

flags("take", weighted=False, moves_bytes=True, any_layout=True)
rule("take", "params")(lambda a, ins: NO_PARAMS)
rule("take", "macs")(no_macs)


@rule("take", "shape")
def take_shape(a: Take, ins):
    """Output: the axis holds len(indices) positions; each index must lie in the axis (negative from its end)."""
    (x,) = ins
    axis = x.axis(a.axis, "take axis")
    n = x.dims[axis]
    if not a.indices or any(isinstance(i, bool) or not isinstance(i, int) for i in a.indices):
        raise ShapeError(f"take along axis {a.axis} of {x}: indices must be a list of whole numbers")
    if not is_symbolic(n) and any(not -n <= i < n for i in a.indices):
        raise ShapeError(f"take along axis {a.axis} of {x}: an index outside 0..{n - 1}")
    out = x.with_dims(tuple(len(a.indices) if i == axis else d for i, d in enumerate(x.dims)))
    return ShapeOut(out, f"{len(a.indices)} of {n} positions along axis {axis}, in a fixed order")


@rule("take", "other_ops")
def take_other_ops(a, ins, out):
    """None: a copy."""
    return 0


@rule("take", "activation")
def take_activation(a, ins, out):
    """Elements: a new tensor."""
    return out.elements


@rule("take", "rf")
def take_rf(a: Take, in_rfs, ins):
    """Along channels (or heads, a head's width): as it was; along a spatial or token axis: global."""
    x = ins[0]
    if x.roles[x.axis(a.axis, "take axis")] in (SPATIAL, TOKENS):
        return whole(in_rfs[0]), "positions gathered in a fixed order: taken as global"
    return in_rfs[0], None


@rule("take", "saved")
def take_saved(a: Take, ins, out, device):
    """index backward keeps the index list, an int64 tensor for the whole batch (saved_tensors_hooks)."""
    return Saved(extras=(Extra("index list", len(a.indices), 8, per_sample=False),))
