"""Rules for fully connected layers, flatten, dropout and softmax."""

from __future__ import annotations

from ...errors import ShapeError
from ..ir import Linear
from ..receptive import global_rf
from ..shape import Shape
from . import NO_PARAMS, Params, ShapeOut, rule
from .passthrough import no_macs, same_rf, same_shape


def _to_global(a, in_rfs, ins):
    """Every output sees the whole input."""
    rf = in_rfs[0]
    return (rf if rf.is_global else global_rf(len(rf.size), rf.jump)), None


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


rule("linear", "rf")(_to_global)


@rule("flatten", "shape")
def flatten_shape(a, ins):
    """Output: one vector of C x H x W."""
    (x,) = ins
    return ShapeOut(Shape(x.elements), f"{x} -> {x.elements}")


rule(("flatten", "dropout", "softmax"), "params")(lambda a, ins: NO_PARAMS)
rule(("flatten", "dropout", "softmax"), "macs")(no_macs)
rule("flatten", "rf")(_to_global)
rule(("dropout", "softmax"), "shape")(same_shape)
rule(("dropout", "softmax"), "rf")(same_rf)


@rule(("flatten", "dropout"), "other_ops")
def view_other_ops(a, ins, out):
    """None: flatten is a view, dropout is the identity at inference."""
    return 0


@rule(("flatten", "dropout"), "activation")
def view_activation(a, ins, out):
    """None: flatten is a view of its input; dropout at inference returns its input."""
    return 0


@rule("softmax", "other_ops")
def softmax_other_ops(a, ins, out):
    """Approximate: an exp, an add and a divide per element."""
    return 3 * out.elements


@rule("softmax", "activation")
def softmax_activation(a, ins, out):
    """Elements: the output is a new tensor."""
    return out.elements
