"""Rules for fully connected layers."""

from __future__ import annotations

from ...errors import ShapeError
from ..ir import Linear
from ..shape import Shape
from . import Params, ShapeOut, flags, rule
from .reshape import flat_rf
from .saved import Saved

flags("linear", weighted=True, moves_bytes=True, any_layout=True)


@rule("linear", "shape")
def linear_shape(a: Linear, ins):
    """Output: out_features, from a flat input."""
    (x,) = ins
    if x.spatial:
        raise ShapeError(f"needs a flat input, got {x}; put a flatten (or global pooling and flatten) before it")
    return ShapeOut(Shape(a.out_features), f"{x.channels} -> {a.out_features}")


@rule("linear", "params")
def linear_params(a: Linear, ins):
    """Elements: in x out weights, one bias per output."""
    return Params(weights=ins[0].channels * a.out_features, biases=a.out_features if a.bias else 0)


@rule("linear", "macs")
def linear_macs(a: Linear, ins, out):
    """MACs: in x out."""
    return ins[0].channels * a.out_features


@rule("linear", "other_ops")
def linear_other_ops(a: Linear, ins, out):
    """One bias add per output."""
    return a.out_features if a.bias else 0


@rule("linear", "activation")
def linear_activation(a, ins, out):
    """Elements: the output is a new tensor."""
    return out.elements


rule("linear", "rf")(flat_rf)


@rule("linear", "saved")
def linear_saved(a: Linear, ins, out, device):
    """addmm / mm: the input matrix and the weight (a parameter, not counted)."""
    return Saved(inputs=(0,), trainable=True)
