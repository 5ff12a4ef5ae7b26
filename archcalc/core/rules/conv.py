"""Rules for 2-D convolution (any kernel, stride, padding, dilation, groups; bias optional)."""

from __future__ import annotations

from ...errors import ShapeError
from ..ir import Conv
from ..receptive import window_rf
from ..shape import product
from . import Params, flags, rule
from .saved import Saved
from .window import window_shape

flags("conv", weighted=True, moves_bytes=True)


@rule("conv", "shape")
def conv_shape(a: Conv, ins):
    """Output shape: out_channels x sliding-window sizes."""
    (x,) = ins
    if isinstance(x.channels, int) and x.channels % a.groups:
        raise ShapeError(f"{x.channels} input channels do not split into {a.groups} groups")
    if a.out_channels % a.groups:
        raise ShapeError(f"{a.out_channels} output channels do not split into {a.groups} groups")
    return window_shape(x, a.out_channels, a.kernel, a.stride, a.padding, a.dilation)


@rule("conv", "params")
def conv_params(a: Conv, ins):
    """Elements: out x (in/groups) x kh x kw weights, plus one bias per output channel."""
    (x,) = ins
    weights = a.out_channels * (x.channels // a.groups) * product(a.kernel)
    return Params(weights=weights, biases=a.out_channels if a.bias else 0)


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
    """Field grows by (dilated kernel - 1) jumps; jump multiplies by the stride."""
    return window_rf(in_rfs[0], a.kernel, a.stride, a.padding, a.dilation), None


@rule("conv", "saved")
def conv_saved(a: Conv, ins, out, device):
    """convolution: its input (for the weight's grad) and its weight (a parameter, not counted)."""
    return Saved(inputs=(0,), trainable=True)
