"""Rules for fully connected layers: nn.Linear on the last axis (a flat vector, or tokens x channels)."""

from __future__ import annotations

from ...errors import ShapeError
from ..ir import Linear
from ..shape import SPATIAL, TOKENS, product
from . import Params, ShapeOut, flags, rule
from .reshape import flat_rf
from .saved import Saved

flags("linear", weighted=True, moves_bytes=True, any_layout=True)


@rule("linear", "shape")
def linear_shape(a: Linear, ins):
    """Output: the last axis becomes out_features (a flat vector, or tokens x channels)."""
    (x,) = ins
    if x.spatial and x.channels_first:  # torch would act on the last spatial axis: a flatten is missing
        raise ShapeError(f"needs a flat input, got {x}; put a flatten (or global pooling and flatten) before it")
    out = x.with_dims((*x.dims[:-1], a.out_features))
    positions = "" if x.rank == 1 else f" at each of {'x'.join(str(d) for d in x.dims[:-1])} positions"
    return ShapeOut(out, f"{x.dims[-1]} -> {a.out_features}{positions}")


@rule("linear", "params")
def linear_params(a: Linear, ins):
    """Elements: in x out weights, one bias per output."""
    return Params(weights=ins[0].dims[-1] * a.out_features, biases=a.out_features if a.bias else 0)


@rule("linear", "macs")
def linear_macs(a: Linear, ins, out):
    """MACs: in x out at each position (every axis but the last)."""
    return product(ins[0].dims[:-1]) * ins[0].dims[-1] * a.out_features


@rule("linear", "other_ops")
def linear_other_ops(a: Linear, ins, out):
    """One bias add per output element."""
    return out.elements if a.bias else 0


@rule("linear", "activation")
def linear_activation(a, ins, out):
    """Elements: the output is a new tensor."""
    return out.elements


@rule("linear", "rf")
def linear_rf(a, in_rfs, ins):
    """Mixing the channels of each position keeps the field; mixing positions (a spatial last axis) makes it
    global."""
    if ins[0].roles[-1] in (SPATIAL, TOKENS):
        return flat_rf(a, in_rfs, ins)
    return in_rfs[0], None


@rule("linear", "saved")
def linear_saved(a: Linear, ins, out, device):
    """addmm / mm: the input matrix and the weight (a parameter, not counted)."""
    return Saved(inputs=(0,), trainable=True)
