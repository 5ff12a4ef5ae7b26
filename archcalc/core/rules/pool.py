"""Rules for max and average pooling (padding, dilation, ceil mode) and adaptive / global pooling."""

from __future__ import annotations

from ...errors import ShapeError
from ..ir import AdaptivePool, Pool
from ..receptive import global_rf, uneven_windows_rf, window_rf
from ..shape import Shape, ceil_div, product
from . import NO_PARAMS, ShapeOut, flags, rule
from .saved import INDEX_BYTES, Extra, Saved
from .window import window_shape

POOLS = ("maxpool", "avgpool")
ADAPTIVE = ("adaptive_avgpool", "adaptive_maxpool")

flags(POOLS + ADAPTIVE, weighted=False, moves_bytes=True, any_layout=False)


@rule(POOLS, "shape")
def pool_shape(a: Pool, ins):
    """Output shape: same channels, sliding-window sizes."""
    (x,) = ins
    for k, p in zip(a.kernel, a.padding):
        if p > k // 2:  # PyTorch's own limit: padding at most half the kernel
            raise ShapeError(f"padding {p} is more than half the kernel {k}")
    return window_shape(x, x.channels, a.kernel, a.stride, a.padding, a.dilation, a.ceil_mode)


@rule(POOLS + ADAPTIVE, "params")
def pool_params(a, ins):
    """Pooling has no parameters."""
    return NO_PARAMS


@rule(POOLS + ADAPTIVE, "macs")
def pool_macs(a, ins, out):
    """Pooling has no multiply-accumulates."""
    return 0


@rule("maxpool", "other_ops")
def maxpool_other_ops(a: Pool, ins, out):
    """Comparisons: kh x kw - 1 per output element (padding included, an upper bound)."""
    return out.elements * (product(a.kernel) - 1)


@rule("avgpool", "other_ops")
def avgpool_other_ops(a: Pool, ins, out):
    """Adds and one divide: kh x kw per output element."""
    return out.elements * product(a.kernel)


@rule(POOLS + ADAPTIVE, "activation")
def pool_activation(a, ins, out):
    """Elements: the output is a new tensor."""
    return out.elements


@rule(POOLS, "rf")
def pool_rf(a: Pool, in_rfs, ins):
    """Like a convolution of the same window; a window over the whole input is global pooling."""
    (x,) = ins
    # the papers write global average pooling as a fixed window (GoogLeNet's 7x7/1 on 7x7, NiN's 6x6):
    # its one output sees the whole input, as after adaptive pooling to 1x1
    if all(isinstance(n, int) and d * (k - 1) + 1 >= n + 2 * p
           for n, k, p, d in zip(x.spatial, a.kernel, a.padding, a.dilation)):
        return global_rf(len(a.kernel), in_rfs[0].jump), None
    return window_rf(in_rfs[0], a.kernel, a.stride, a.padding, a.dilation), None


def adaptive_windows(size, out):
    """(kernel, stride) of adaptive pooling along one axis when out divides size; None otherwise."""
    if isinstance(size, int) and size % out == 0:
        return size // out, size // out  # (kernel, stride): regular windows
    return None


@rule(ADAPTIVE, "shape")
def adaptive_shape(a: AdaptivePool, ins):
    """Output shape: same channels, the requested spatial size."""
    (x,) = ins
    if len(x.spatial) != len(a.output):
        raise ShapeError(f"expects a {len(a.output)}-D feature map, got input {x}")
    notes = []
    for n, o in zip(x.spatial, a.output):
        if isinstance(n, int) and n < o:
            notes.append(("note", f"input {n} is smaller than output {o}: windows overlap and repeat pixels"))
    size = "x".join(str(n) for n in x.spatial)
    target = "x".join(str(o) for o in a.output)
    return ShapeOut(Shape(x.channels, tuple(a.output)), f"adaptive {size} -> {target}", tuple(notes))


@rule("adaptive_avgpool", "other_ops")
def adaptive_avg_other_ops(a: AdaptivePool, ins, out):
    """Adds and one divide per window element; windows of ceil(n/o) per axis (exact when o divides n)."""
    (x,) = ins
    window = product(ceil_div(n, o) if isinstance(n, int) else n / o for n, o in zip(x.spatial, a.output))
    return out.elements * window


@rule("adaptive_maxpool", "other_ops")
def adaptive_max_other_ops(a: AdaptivePool, ins, out):
    """Comparisons: window - 1 per output element, windows of ceil(n/o) per axis."""
    (x,) = ins
    window = product(ceil_div(n, o) if isinstance(n, int) else n / o for n, o in zip(x.spatial, a.output))
    return out.elements * (window - 1)


@rule(ADAPTIVE, "rf")
def adaptive_rf(a: AdaptivePool, in_rfs, ins):
    """A regular window where the output divides the input; the widest of PyTorch's uneven windows where it
    does not (noted); the whole input for global pooling (output 1) or a symbolic input size."""
    rf = in_rfs[0]
    (x,) = ins
    axes = len(a.output)
    if rf.is_global or all(o == 1 for o in a.output):
        return global_rf(axes, rf.jump), None
    if not all(isinstance(n, int) for n in x.spatial):
        return global_rf(axes, rf.jump), ("adaptive windows depend on the symbolic input size: "
                                          "field taken as the whole input")
    regular = [adaptive_windows(n, o) for n, o in zip(x.spatial, a.output)]
    if any(r is None for r in regular):
        return uneven_windows_rf(rf, tuple(x.spatial), tuple(a.output))
    return window_rf(rf, tuple(k for k, _ in regular), tuple(s for _, s in regular), (0,) * axes, (1,) * axes), None


@rule(("maxpool", "adaptive_maxpool"), "saved")
def maxpool_saved(a, ins, out, device):
    """max_pool2d_with_indices: its input and the int64 index of each output's maximum."""
    return Saved(inputs=(0,), extras=(Extra("indices", out.elements, INDEX_BYTES),))


@rule("avgpool", "saved")
def avgpool_saved(a: Pool, ins, out, device):
    """avg_pool2d: its input (the backward formula takes `self`)."""
    return Saved(inputs=(0,))


@rule("adaptive_avgpool", "saved")
def adaptive_avgpool_saved(a: AdaptivePool, ins, out, device):
    """Its input; to a 1x1 output torch computes a mean instead, whose backward keeps only sizes."""
    if all(o == 1 for o in a.output):
        return Saved()
    return Saved(inputs=(0,))
