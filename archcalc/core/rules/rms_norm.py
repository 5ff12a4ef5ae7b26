"""Rules for two norms computed from the sample:

- `rmsnorm`: root-mean-square normalisation (Zhang & Sennrich 2019; nn.RMSNorm, F.rms_norm, timm's RmsNorm)
  over the last `axes` axes: x / sqrt(mean(x^2) + eps) * weight. A weight per normalised element with
  affine, no bias.
- `reduce_norm`: x.norm(p, dim, keepdim), the Lp norm over some axes (ConvNeXt-V2's global response norm).

No parameters but rmsnorm's weight, and no MACs (conventions: normalisation is other ops; torch's
FlopCounterMode counts none either). Where the statistics span spatial or token positions, every output sees
all of them: the field becomes global, as for layer norm.
"""

from __future__ import annotations

from ...errors import ShapeError
from ..ir import ReduceNorm, RMSNorm
from ..receptive import whole
from ..shape import SPATIAL, TOKENS, Shape, product
from . import NO_PARAMS, Params, ShapeOut, flags, rule
from .passthrough import no_macs
from .saved import Extra, Saved
from .tokens import reduced

KINDS = ("rmsnorm", "reduce_norm")
flags(KINDS, weighted=False, moves_bytes=True, any_layout=True)
rule(KINDS, "macs")(no_macs)

# Approximate op counts of an RMS norm, per element: a square, an add for the mean's sum, a multiply by the
# inverse root; per statistic: the divide of the sum, the add of eps, the inverse square root. The weight adds
# one multiply per element.
RMS_OPS_PER_ELEMENT = 3
RMS_OPS_PER_STATISTIC = 3


def _rms_axes(a: RMSNorm, x: Shape) -> range:
    if isinstance(a.axes, bool) or not isinstance(a.axes, int) or not 1 <= a.axes <= x.rank:
        raise ShapeError(f"rms norm over {a.axes!r} axes of a {x.rank}-axis tensor {x}: axes must be from 1 to "
                         f"{x.rank}")
    return range(x.rank - a.axes, x.rank)


def _statistics(a: RMSNorm, x: Shape):
    """How many root mean squares one sample has: the product of the axes not normalised."""
    return product(x.dims[:x.rank - a.axes])


@rule("rmsnorm", "shape")
def rmsnorm_shape(a: RMSNorm, ins):
    """Output shape equals the input shape; the axes must exist."""
    x = ins[0]
    sizes = [x.dims[i] for i in _rms_axes(a, x)]
    return ShapeOut(x.with_dims(x.dims), f"root mean square over {'x'.join(map(str, sizes))}")


@rule("rmsnorm", "params")
def rmsnorm_params(a: RMSNorm, ins):
    """A weight per normalised element with affine (no bias: an RMS norm has none)."""
    x = ins[0]
    return Params(weights=product(x.dims[i] for i in _rms_axes(a, x)) if a.affine else 0)


@rule("rmsnorm", "other_ops")
def rmsnorm_other_ops(a: RMSNorm, ins, out):
    """Approximate: 3 per element (+1 for the weight), 3 per statistic (see RMS_OPS_PER_ELEMENT)."""
    return out.elements * (RMS_OPS_PER_ELEMENT + int(a.affine)) + _statistics(a, ins[0]) * RMS_OPS_PER_STATISTIC


@rule("rmsnorm", "saved")
def rmsnorm_saved(a: RMSNorm, ins, out, device):
    """F.rms_norm as torch runs it on the CPU (pow, mean, add, rsqrt, mul, mul; measured with
    saved_tensors_hooks): the input, the inverse root per statistic, and with a weight the normalised input
    (the weight's gradient needs it), a new tensor of the input's size. On CUDA torch may run its fused kernel
    (aten._fused_rms_norm), which keeps less; that path is not measured yet: the figure is the CPU's."""
    extras = [Extra("inverse root mean square", _statistics(a, ins[0]))]
    if a.affine:
        extras.append(Extra("normalised input", out.elements))
    return Saved(inputs=(0,), extras=tuple(extras), trainable=a.affine)


@rule("rmsnorm", "rf")
def rmsnorm_rf(a: RMSNorm, in_rfs, ins):
    """Over the channels: the field as it was; over spatial or token axes: global (as for layer norm)."""
    x = ins[0]
    if any(x.roles[i] in (SPATIAL, TOKENS) for i in _rms_axes(a, x)):
        return whole(in_rfs[0]), None
    return in_rfs[0], None


# --- reduce_norm --------------------------------------------------------------------------------------------------
rule("reduce_norm", "params")(lambda a, ins: NO_PARAMS)


def _norm_axes(a: ReduceNorm, x: Shape) -> tuple:
    axes = tuple(sorted({x.axis(axis, "norm axis") for axis in a.axes}))
    if len(axes) != len(a.axes) or not axes:
        raise ShapeError(f"norm over {list(a.axes)} of {x}: name each axis once, at least one")
    return axes


@rule("reduce_norm", "shape")
def reduce_norm_shape(a: ReduceNorm, ins):
    """Output: the axes removed (kept as 1 with keepdim); p must be a positive number."""
    (x,) = ins
    if isinstance(a.p, bool) or not isinstance(a.p, (int, float)) or not a.p > 0:
        raise ShapeError(f"norm: p must be a positive number, got {a.p!r}")
    axes = _norm_axes(a, x)
    out = reduced(x, axes, a.keepdim)
    return ShapeOut(out, f"L{a.p:g} norm over {'x'.join(str(x.dims[i]) for i in axes)} of {x} -> {out}")


@rule("reduce_norm", "other_ops")
def reduce_norm_other_ops(a, ins, out):
    """Approximate: per input element a power and an add; per output a root."""
    return 2 * ins[0].elements + out.elements


@rule(KINDS, "activation")
def norm_activation(a, ins, out):
    """Elements: the output is a new tensor."""
    return out.elements


@rule("reduce_norm", "rf")
def reduce_norm_rf(a: ReduceNorm, in_rfs, ins):
    """Over spatial or token axes: every output sees all of them, global; over others: as it was."""
    x = ins[0]
    if any(x.roles[i] in (SPATIAL, TOKENS) for i in _norm_axes(a, x)):
        return whole(in_rfs[0]), None
    return in_rfs[0], None


@rule("reduce_norm", "saved")
def reduce_norm_saved(a, ins, out, device):
    """linalg_vector_norm keeps its input and its result (measured with saved_tensors_hooks)."""
    return Saved(inputs=(0,), output=True)
