"""Rules for `normalize` (F.normalize: x / max(||x||_p, eps) along one axis, as cosine attention and
SwiftFormer use it).

No parameters, no MACs (torch's FlopCounterMode counts none either). Other ops, approximate: per element a
power, an add and a divide; per norm a root and a clamp. Backward keeps the input, the norms and the clamped
norms (norm keeps its input and result, clamp_min its input's mask as the result, div its divisor).
"""

from __future__ import annotations

from ..ir import Normalize
from ..receptive import whole
from ..shape import SPATIAL, TOKENS
from . import NO_PARAMS, ShapeOut, flags, rule
from .passthrough import no_macs
from .saved import Extra, Saved

flags("normalize", weighted=False, moves_bytes=True, any_layout=True)
rule("normalize", "params")(lambda a, ins: NO_PARAMS)
rule("normalize", "macs")(no_macs)


def _norms(a: Normalize, x) -> object:
    """How many norms one sample has: its elements over the normalised axis's size."""
    axis = x.channel_axis(a.axis, "normalize axis")
    return x.elements / x.dims[axis] if not isinstance(x.elements, int) else x.elements // x.dims[axis]


@rule("normalize", "shape")
def normalize_shape(a: Normalize, ins):
    """Output: the input's shape; the axis must exist (None: the channel axis)."""
    x = ins[0]
    axis = x.channel_axis(a.axis, "normalize axis")
    return ShapeOut(x.with_dims(x.dims), f"each vector of {x.dims[axis]} along axis {axis} to unit L{a.p:g} norm")


@rule("normalize", "other_ops")
def normalize_other_ops(a: Normalize, ins, out):
    """Approximate: 3 per element (power, add, divide), 2 per norm (root, clamp)."""
    return 3 * out.elements + 2 * _norms(a, ins[0])


@rule("normalize", "activation")
def normalize_activation(a, ins, out):
    """Elements: the output (the norms are freed when it is made)."""
    return out.elements


@rule("normalize", "rf")
def normalize_rf(a: Normalize, in_rfs, ins):
    """Along channels the field is as it was; along positions every output sees them all."""
    x, rf = ins[0], in_rfs[0]
    if x.roles[x.channel_axis(a.axis, "normalize axis")] in (SPATIAL, TOKENS) :
        return whole(rf), None
    return rf, None


@rule("normalize", "saved")
def normalize_saved(a: Normalize, ins, out, device):
    """The input (norm's and div's), the norms (norm's result) and the clamped norms (div's divisor)."""
    n = _norms(a, ins[0])
    return Saved(inputs=(0,), extras=(Extra("norms", n), Extra("clamped norms", n)))
