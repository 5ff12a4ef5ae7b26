"""Activations: the elementwise ones, all from one factory (a name, an approximate cost in ops per element
and what backward keeps), and softmax over channels."""

from __future__ import annotations

from ..ir import Softmax
from ..receptive import whole
from ..shape import SPATIAL, TOKENS
from . import NO_PARAMS, ShapeOut, flags, rule
from .passthrough import no_macs, same_rf, same_shape
from .saved import Extra, Saved, inplace_alias

# ops per element; the transcendental ones are counted as a handful of ops, an approximation
ACTIVATION_COST = {
    "relu": 1,       # max(x, 0)
    "relu6": 2,      # min(max(x, 0), 6)
    "leaky_relu": 2,  # compare, multiply
    "elu": 3,
    "gelu": 8,
    "silu": 5,       # x * sigmoid(x)
    "sigmoid": 4,    # exp, add, divide
    "tanh": 5,
    "hardswish": 4,
    "hardsigmoid": 3,
    "mish": 7,       # x * tanh(softplus(x)): exp, log1p, tanh, multiply
}


# activations whose backward formula uses the result (relu, sigmoid, tanh: d/dx from y) keep the output;
# the others keep the input. For an in-place op both are the same storage.
def result_saved(a, ins, out, device):
    """threshold_backward / sigmoid_backward / tanh_backward take the result."""
    return Saved(output=True, alias=inplace_alias(a))


def input_or_result_saved(a, ins, out, device):
    """leaky_relu / elu backward take the input; their in-place forms take the result, the same storage."""
    return Saved(inputs=(0,), alias=inplace_alias(a))


def input_saved(a, ins, out, device):
    """hardtanh / gelu / silu / hardswish / hardsigmoid / mish backward take the input. In place, the op would
    overwrite it, so autograd keeps a copy of the original input (seen with saved_tensors_hooks: a storage
    apart from the output's)."""
    if getattr(a, "inplace", False):
        return Saved(extras=(Extra("copy of the input", out.elements),), alias=0)
    return Saved(inputs=(0,))


BACKWARD_KEEPS = {
    "relu": result_saved, "sigmoid": result_saved, "tanh": result_saved,
    "leaky_relu": input_or_result_saved, "elu": input_or_result_saved,
    "relu6": input_saved, "gelu": input_saved, "silu": input_saved, "hardswish": input_saved,
    "hardsigmoid": input_saved, "mish": input_saved,
}


def _make(kind: str, cost: int) -> None:
    flags(kind, weighted=False, moves_bytes=True, any_layout=True)
    rule(kind, "shape")(same_shape)
    rule(kind, "rf")(same_rf)
    rule(kind, "macs")(no_macs)
    rule(kind, "params")(lambda a, ins: NO_PARAMS)
    rule(kind, "saved")(BACKWARD_KEEPS[kind])

    @rule(kind, "other_ops")
    def other_ops(a, ins, out):
        return out.elements * cost

    other_ops.__doc__ = f"Approximate: {cost} op(s) per element."

    @rule(kind, "activation")
    def activation(a, ins, out):
        """Elements: none when the op works in place, else the output."""
        return 0 if getattr(a, "inplace", False) else out.elements


for _kind, _cost in ACTIVATION_COST.items():
    _make(_kind, _cost)


flags("softmax", weighted=False, moves_bytes=True, any_layout=True)
@rule("softmax", "shape")
def softmax_shape(a: Softmax, ins):
    """Output shape equals the input shape; the axis must exist (None: the channel axis)."""
    axis = ins[0].channel_axis(a.axis, "softmax axis")
    return ShapeOut(ins[0], f"along axis {axis} ({ins[0].dims[axis]} values)")


@rule("softmax", "rf")
def softmax_rf(a: Softmax, in_rfs, ins):
    """Along channels the field is as it was; along spatial or token axes (attention's weights) each output
    depends on every position: global."""
    axis = ins[0].channel_axis(a.axis, "softmax axis")
    rf = in_rfs[0]
    if ins[0].roles[axis] in (SPATIAL, TOKENS) :
        return whole(rf), None
    return rf, None
rule("softmax", "macs")(no_macs)
rule("softmax", "params")(lambda a, ins: NO_PARAMS)


@rule("softmax", "other_ops")
def softmax_other_ops(a, ins, out):
    """Approximate: an exp, an add and a divide per element."""
    return 3 * out.elements


@rule("softmax", "activation")
def softmax_activation(a, ins, out):
    """Elements: the output is a new tensor."""
    return out.elements


@rule("softmax", "saved")
def softmax_saved(a, ins, out, device):
    """_softmax_backward_data takes the result."""
    return Saved(output=True)
