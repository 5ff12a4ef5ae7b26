"""Elementwise activations, all from one factory: a name and an approximate cost in ops per element."""

from __future__ import annotations

from . import NO_PARAMS, rule
from .passthrough import no_macs, same_rf, same_shape

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
}


def _make(kind: str, cost: int) -> None:
    rule(kind, "shape")(same_shape)
    rule(kind, "rf")(same_rf)
    rule(kind, "macs")(no_macs)
    rule(kind, "params")(lambda a, ins: NO_PARAMS)

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
