"""Rules for convolution over 1, 2 or 3 axes (any kernel, stride, padding or torch's 'same', dilation,
groups; bias optional)."""

from __future__ import annotations

from ...errors import ShapeError
from ..ir import Conv
from ..receptive import window_rf
from ..shape import Shape, product
from . import Params, flags, rule
from .saved import STAT_BYTES, Extra, Saved
from .window import same_shape, window_shape

flags("conv", weighted=True, moves_bytes=True, any_layout=False)


@rule("conv", "shape")
def conv_shape(a: Conv, ins):
    """Output shape: out_channels x sliding-window sizes."""
    (x,) = ins
    if isinstance(x.channels, int) and x.channels % a.groups:
        raise ShapeError(f"{x.channels} input channels do not split into {a.groups} groups")
    if a.out_channels % a.groups:
        raise ShapeError(f"{a.out_channels} output channels do not split into {a.groups} groups")
    if a.same:
        if any(s != 1 for s in a.stride):  # torch: "padding='same' is not supported for strided convolutions"
            raise ShapeError(f"padding 'same' needs stride 1, got stride {a.stride}")
        return same_shape(x, a.out_channels, a.kernel, a.dilation)
    return window_shape(x, a.out_channels, a.kernel, a.stride, a.padding, a.dilation)


@rule("conv", "params")
def conv_params(a: Conv, ins):
    """Elements: out x (in/groups) x kh x kw weights (and one gain per output channel with a standardised,
    scaled weight), plus one bias per output channel."""
    (x,) = ins
    weights = a.out_channels * (x.channels // a.groups) * product(a.kernel)
    gains = a.out_channels if a.gain else 0
    return Params(weights=weights + gains, biases=a.out_channels if a.bias else 0)


@rule("conv", "macs")
def conv_macs(a: Conv, ins, out):
    """MACs: each output element takes (in/groups) x kh x kw multiply-accumulates."""
    (x,) = ins
    per_output = (x.channels // a.groups) * product(a.kernel)
    return out.elements * per_output


@rule("conv", "other_ops")
def conv_other_ops(a: Conv, ins, out):
    """Other ops: one bias add per output element when the conv has a bias."""
    return out.elements if a.bias else 0


@rule("conv", "activation")
def conv_activation(a: Conv, ins, out):
    """Elements: the output is a new tensor."""
    return out.elements


@rule("conv", "rf")
def conv_rf(a: Conv, in_rfs, ins):
    """Field grows by (dilated kernel - 1) jumps; jump multiplies by the stride. With 'same', `padding` holds
    the left part, which alone sets the start."""
    return window_rf(in_rfs[0], a.kernel, a.stride, a.padding, a.dilation), None


@rule("conv", "saved")
def conv_saved(a: Conv, ins, out, device):
    """convolution: its input (for the weight's grad) and its weight (a parameter, not counted). With 'same'
    padding whose total d*(k - 1) is odd on some axis, torch convolves a zero-padded copy of the input (one
    more on the right of such axes) and keeps that copy instead. A standardised weight is no parameter: the
    conv keeps it, and the batch norm that made it its per-channel mean and inverse std (and the gain times
    its scale, with a gain), all for the whole batch (_standardised_extras)."""
    totals = [d * (k - 1) for k, d in zip(a.kernel, a.dilation)]
    extras = _standardised_extras(a, ins) if a.standardised else ()
    if a.same and any(t % 2 for t in totals):
        (x,) = ins
        padded = Shape(x.channels, tuple(n + t % 2 for n, t in zip(x.spatial, totals))).elements
        return Saved(extras=(Extra("zero-padded copy of the input", padded),) + extras, trainable=True)
    return Saved(inputs=(0,), extras=extras, trainable=True)


def _standardised_extras(a: Conv, ins) -> tuple:
    """What weight standardisation keeps (timm's StdConv2d: F.batch_norm(w.reshape(1, out, -1), training=True)
    then conv(x, w_hat); ScaledStdConv2d passes gain * scale as the batch norm's weight): the standardised
    weight (the conv's), the batch norm's mean and inverse std (float32), and gain * scale (the batch norm's
    weight, a new tensor). Measured with saved_tensors_hooks on timm's modules (tests/pytorch/test_verify_timm.py)."""
    (x,) = ins
    weights = a.out_channels * (x.channels // a.groups) * product(a.kernel)
    extras = (Extra("standardised weight", weights, per_sample=False),
              Extra("weight mean", a.out_channels, STAT_BYTES, per_sample=False),
              Extra("weight inverse std", a.out_channels, STAT_BYTES, per_sample=False))
    if a.gain:
        extras += (Extra("gain times scale", a.out_channels, per_sample=False),)
    return extras
