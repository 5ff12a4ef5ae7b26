"""Rules for the sliding-window extraction kinds: `unfold` (im2col, F.unfold / nn.Unfold), `fold` (col2im,
F.fold / nn.Fold) and `unfold_axis` (Tensor.unfold(dim, size, step), a view).

None has parameters or multiply-accumulates (FlopCounterMode counts none for im2col or col2im either): unfold
writes each window out as a column (a copy, no arithmetic); fold adds each column back at its window (the adds
of overlapping windows are its other ops); Tensor.unfold is a strided view of its input, so a later reshape
decides, by torch's own stride rule, whether anything is copied. The receptive field is a window's, as for
pooling: a column (or a window along the unfolded axis) sees its whole window; fold's output sees the columns
whose windows cover it, as after a transposed conv of that kernel.
"""

from __future__ import annotations

from ...errors import ShapeError
from ..ir import Fold, Unfold, UnfoldAxis
from ..receptive import window_rf
from ..shape import CHANNELS, OTHER, SPATIAL, TOKENS, Shape, fmt_dim, product, window_output_size
from ..strides import normalise, row_major, sample_stride_of
from . import NO_PARAMS, ShapeOut, flags, rule
from .conv_transpose import conv_transpose_rf
from .saved import Saved
from .window import window_shape

KINDS = ("unfold", "fold", "unfold_axis")

flags("unfold", weighted=False, moves_bytes=True, any_layout=False)  # takes C x H x W, writes the columns
flags("fold", weighted=False, moves_bytes=True, any_layout=True)  # takes (C kh kw) x L columns
flags("unfold_axis", weighted=False, moves_bytes=False, any_layout=True)  # a view
rule(KINDS, "params")(lambda a, ins: NO_PARAMS)
rule(KINDS, "macs")(lambda a, ins, out: 0)


@rule("unfold", "shape")
def unfold_shape(a: Unfold, ins):
    """Output: (C kh kw) x L, L the windows a conv of this kernel, stride, padding and dilation visits."""
    (x,) = ins
    if len(x.spatial) != 2:
        raise ShapeError(f"unfold (im2col) takes a C x H x W map, got {x} ({x.layout()})")
    grid = window_shape(x, x.channels, a.kernel, a.stride, a.padding, a.dilation)
    rows, count = x.channels * product(a.kernel), product(grid.shape.spatial)
    out = Shape(dims=(rows, count), roles=CHANNELS + TOKENS)
    text = (f"{fmt_dim(x.channels)}*{a.kernel[0]}*{a.kernel[1]} = {fmt_dim(rows)} rows; windows {grid.derivation}: "
            f"L = {' * '.join(fmt_dim(n) for n in grid.shape.spatial)} = {fmt_dim(count)}")
    return ShapeOut(out, text, grid.diagnostics)


@rule("fold", "shape")
def fold_shape(a: Fold, ins):
    """Output: C x H x W of output_size, C the rows over kh kw; the columns must be as many as the windows."""
    (x,) = ins
    if x.rank != 2:
        raise ShapeError(f"fold (col2im) takes (C kh kw) x L columns, got {x} ({x.layout()})")
    rows, count, k = x.dims[0], x.dims[1], product(a.kernel)
    if isinstance(rows, int) and rows % k:
        raise ShapeError(f"fold: {rows} rows do not split into kernel {a.kernel[0]}x{a.kernel[1]} = {k} positions")
    windows = [window_output_size(n, kk, s, p, d) for n, kk, s, p, d in
               zip(a.output_size, a.kernel, a.stride, a.padding, a.dilation)]
    expected = product([w.value for w in windows])
    if isinstance(count, int) and count != expected:
        raise ShapeError(f"fold to {a.output_size[0]}x{a.output_size[1]}: {count} columns given, the windows are "
                         f"{' * '.join(str(w.value) for w in windows)} = {expected}")
    out = Shape(rows // k, a.output_size)
    return ShapeOut(out, f"{fmt_dim(rows)}/({a.kernel[0]}*{a.kernel[1]}) = {fmt_dim(rows // k)} channels at "
                         f"{a.output_size[0]}x{a.output_size[1]}; windows {'; '.join(w.text for w in windows)}")


@rule("unfold_axis", "shape")
def unfold_axis_shape(a: UnfoldAxis, ins):
    """Output: the axis as floor((n - size)/step) + 1 windows, and a new last axis of the window's `size`
    positions; a view: the windows axis strides `step` times the axis's stride, the new axis the axis's own."""
    (x,) = ins
    at = x.axis(a.axis, "unfold axis")
    res = window_output_size(x.dims[at], a.size, a.step, 0)
    if isinstance(res.value, int) and res.value < 1:
        raise ShapeError(f"unfold: window {a.size} is larger than axis {a.axis} ({fmt_dim(x.dims[at])}) of {x}")
    strides = x.strides or row_major(x.dims)
    dims = x.dims[:at] + (res.value,) + x.dims[at + 1:] + (a.size,)
    new = list(strides[:at]) + [strides[at] * a.step] + list(strides[at + 1:]) + [strides[at]]
    # the windows axis keeps its role; a window's positions are no channels and no field of their own
    out = Shape(dims=dims, roles=x.roles + OTHER, strides=normalise(dims, tuple(new)),
                sample_stride=sample_stride_of(x, product(dims)))
    return ShapeOut(out, f"axis {a.axis}: {res.text} windows of {a.size}, a new last axis -> {out}")


@rule("unfold", "other_ops")
def unfold_other_ops(a, ins, out):
    """None: a copy."""
    return 0


@rule("fold", "other_ops")
def fold_other_ops(a, ins, out):
    """Adds: one per column element (those falling in the padding included, an upper bound), as the adds of
    average pooling are counted."""
    return ins[0].elements


rule("unfold_axis", "other_ops")(lambda a, ins, out: 0)


@rule(("unfold", "fold"), "activation")
def copy_activation(a, ins, out):
    """Elements: the output is a new tensor."""
    return out.elements


@rule("unfold_axis", "activation")
def view_activation(a, ins, out):
    """None: a view of the input's storage."""
    return 0


@rule("unfold", "rf")
def unfold_rf(a: Unfold, in_rfs, ins):
    """Each column holds one window: the field of a conv (or pooling) of that window."""
    return window_rf(in_rfs[0], a.kernel, a.stride, a.padding, a.dilation), None


@rule("fold", "rf")
def fold_rf(a: Fold, in_rfs, ins):
    """Output pixel y gets the columns whose windows cover it: the field after a transposed conv of that kernel."""
    rf, note = conv_transpose_rf(a, in_rfs, ins)
    return rf, note and note.replace("transposed conv kernel", "fold (col2im) kernel", 1)


@rule("unfold_axis", "rf")
def unfold_axis_rf(a: UnfoldAxis, in_rfs, ins):
    """Along a spatial axis, a window of `size`, `step` apart (the positions inside it are read apart, on the
    new last axis: the field shown is the whole window's, as for pooling); any other axis: unchanged."""
    (x,) = ins
    at = x.axis(a.axis, "unfold axis")
    spatial = [i for i, r in enumerate(x.roles) if r == SPATIAL]
    rf = in_rfs[0]
    if at not in spatial or rf.is_global or len(spatial) != len(rf.size):
        return rf, None
    k = spatial.index(at)
    ones = [1] * len(rf.size)
    kernel, stride = list(ones), list(ones)
    kernel[k], stride[k] = a.size, a.step
    return window_rf(rf, tuple(kernel), tuple(stride), (0,) * len(ones), tuple(ones)), None


@rule(("unfold", "fold"), "saved")
def copy_saved(a, ins, out, device):
    """Nothing: the backward of unfold is fold and of fold is unfold, sizes only."""
    return Saved()


@rule("unfold_axis", "saved")
def view_saved(a, ins, out, device):
    """Nothing; the output is the input's storage."""
    return Saved(alias=0)
