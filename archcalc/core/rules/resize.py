"""Rules for upsampling by interpolation (nn.Upsample, F.interpolate) and explicit padding (F.pad,
nn.ConstantPad1d/2d/3d)."""

from __future__ import annotations

import math

from ...errors import ShapeError
from ..ir import Pad, Upsample
from ..receptive import RF, global_rf
from ..shape import SPATIAL, TOKENS, Shape, fmt_dim, to_plain
from . import NO_PARAMS, ShapeOut, flags, rule
from .saved import Saved
from .window import AXIS_NAMES

flags("upsample", weighted=False, moves_bytes=True, any_layout=False)
flags("pad", weighted=False, moves_bytes=True, any_layout=True)  # spatial or token axes, wherever they lie

# the rank each interpolation mode works on (torch refuses e.g. bilinear on a 1-D input); nearest takes any
MODE_AXES = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}
# input points blended into one output element per axis: nearest copies one, linear modes 2, bicubic 4
POINTS_PER_AXIS = {"nearest": 1, "linear": 2, "bilinear": 2, "trilinear": 2, "bicubic": 4}


def _derivation(texts) -> str:
    axes = AXIS_NAMES.get(len(texts), "0123456789")
    return texts[0] if len(set(texts)) == 1 else "; ".join(f"{axes[i]}: {t}" for i, t in enumerate(texts))


def scaled_size(n, scale):
    """floor(n * scale), as torch computes an output size from a scale factor (in double precision)."""
    if isinstance(scale, int):
        return to_plain(n * scale)
    if isinstance(n, int):
        return math.floor(n * scale)
    import sympy

    return to_plain(sympy.floor(n * sympy.Rational(str(scale))))


def _scale_text(n, scale, out) -> str:
    """'28*2 = 56', or '28*1.5 = 42' / '27*1.5 = 40.5 -> 40 (floor)' for a fractional scale."""
    if isinstance(n, int) and not isinstance(scale, int) and n * scale != out:
        return f"{n}*{scale} = {n * scale:g} -> {out} (floor)"
    return f"{fmt_dim(n)}*{scale} = {fmt_dim(out)}"


@rule("upsample", "shape")
def upsample_shape(a: Upsample, ins):
    """Output shape: same channels, `size`, or floor(n * scale) per axis."""
    (x,) = ins
    axes = len(a.size or a.scale)
    if len(x.spatial) != axes:
        raise ShapeError(f"expects a {axes}-D feature map, got input {x}")
    if MODE_AXES.get(a.mode, axes) != axes:
        raise ShapeError(f"mode '{a.mode}' works on {MODE_AXES[a.mode]}-D inputs, got a {axes}-D input {x}")
    if a.size is not None:
        sizes = tuple(a.size)
        texts = [f"{fmt_dim(n)} -> {o}" for n, o in zip(x.spatial, sizes)]
    else:
        sizes = tuple(scaled_size(n, s) for n, s in zip(x.spatial, a.scale))
        texts = [_scale_text(n, s, o) for n, s, o in zip(x.spatial, a.scale, sizes)]
    for o in sizes:
        if isinstance(o, int) and o < 1:
            raise ShapeError(f"output size {o} is below 1")
    return ShapeOut(Shape(x.channels, sizes), f"{a.mode}: {_derivation(texts)}")


@rule(("upsample", "pad"), "params")
def resize_params(a, ins):
    """No parameters."""
    return NO_PARAMS


@rule(("upsample", "pad"), "macs")
def resize_macs(a, ins, out):
    """No multiply-accumulates: interpolation weights are not a layer's (conventions: other ops)."""
    return 0


@rule("upsample", "other_ops")
def upsample_other_ops(a: Upsample, ins, out):
    """Per output element, approximately: blending P input points (P = 2 per axis for the linear modes, 4 for
    bicubic) takes P multiplies and P - 1 adds; nearest copies, 0. Index and weight arithmetic not counted."""
    points = POINTS_PER_AXIS[a.mode] ** len(out.spatial)
    return 0 if points == 1 else out.elements * (2 * points - 1)


@rule(("upsample", "pad"), "activation")
def resize_activation(a, ins, out):
    """Elements: the output is a new tensor."""
    return out.elements


@rule("upsample", "rf")
def upsample_rf(a: Upsample, in_rfs, ins):
    """Each output blends P neighbouring input units per axis (1 nearest, 2 linear, 4 bicubic): field grows
    by (P - 1) jumps, jump divides by the scale; start: the first output's field centred on its source point.
    Approximate (noted) unless nearest with a whole scale, where output y copies input floor(y / scale)."""
    rf = in_rfs[0]
    (x,) = ins
    scales = a.scale or tuple(o / n if isinstance(n, int) else None for n, o in zip(x.spatial, a.size))
    if rf.is_global:
        return rf, None
    if None in scales:
        return global_rf(len(scales), rf.jump), ("upsampling to a fixed size depends on the symbolic input size: "
                                                 "field taken as the whole input")
    points = POINTS_PER_AXIS[a.mode]
    size = tuple(_tidy(r + (points - 1) * j) for r, j in zip(rf.size, rf.jump))
    jump = tuple(_tidy(j / s) for j, s in zip(rf.jump, scales))
    start = tuple(s0 + (points - 1) / 2 * j for s0, j in zip(rf.start, rf.jump))
    exact = points == 1 and all(float(s).is_integer() for s in scales)
    note = None if exact else (f"{a.mode} upsampling: the field steps unevenly from one output to the next; "
                               "the widest field and the mean step are shown (approximate)")
    return RF(size, jump, start), note


def _tidy(value):
    return int(value) if isinstance(value, float) and value.is_integer() else value


@rule("upsample", "saved")
def upsample_saved(a: Upsample, ins, out, device):
    """upsample_*: backward keeps only the sizes and scales, no tensor."""
    return Saved()


# --- pad -----------------------------------------------------------------------------------------------------
@rule("pad", "shape")
def pad_shape(a: Pad, ins):
    """Output shape: n + before + after per axis; a negative side crops, as F.pad allows. The axes padded are
    the spatial ones (CxHxW), or the token axis of a tokens tensor (CoaT pads heads x tokens x width by one
    token); never the channels."""
    (x,) = ins
    places = [i for i, r in enumerate(x.roles) if r in (SPATIAL, TOKENS)]
    if len(places) != len(a.pads):
        raise ShapeError(f"pads {len(a.pads)} spatial axes, got input {x} ({x.layout()})")
    sizes, texts = [], []
    for n, (before, after) in zip((x.dims[i] for i in places), a.pads):
        out = to_plain(n + before + after)
        if isinstance(out, int) and out < 1:
            raise ShapeError(f"padding ({before}, {after}) leaves {out} of {fmt_dim(n)} positions")
        sizes.append(out)
        texts.append(f"{fmt_dim(n)} {'+' if before >= 0 else '-'} {abs(before)} "
                     f"{'+' if after >= 0 else '-'} {abs(after)} = {fmt_dim(out)}")
    dims = list(x.dims)
    for i, size in zip(places, sizes):
        dims[i] = size
    return ShapeOut(Shape(dims=tuple(dims), roles=x.roles), _derivation(texts))


@rule("pad", "other_ops")
def pad_other_ops(a: Pad, ins, out):
    """No arithmetic: a copy and a fill."""
    return 0


@rule("pad", "rf")
def pad_rf(a: Pad, in_rfs, ins):
    """Same field and jump; output y is input y - before, so the start moves left by `before` jumps."""
    rf = in_rfs[0]
    if rf.is_global or TOKENS in ins[0].roles:  # tokens added or cut: the others keep their fields
        return rf, None
    start = tuple(s0 - before * j for s0, j, (before, _) in zip(rf.start, rf.jump, a.pads))
    return RF(rf.size, rf.jump, start), None


@rule("pad", "saved")
def pad_saved(a: Pad, ins, out, device):
    """constant_pad_nd: backward keeps only the pad widths, no tensor."""
    return Saved()
