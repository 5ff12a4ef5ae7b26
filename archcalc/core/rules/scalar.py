"""Rules for an elementwise operation with a constant: `scalar` (x * 0.5, x + 1, x / 2, x - 3, x ** 2),
as models write them between layers (CaiT's and LeViT's scales, a square in a norm).

No parameters and no MACs: one op per element (other ops). A new tensor. Backward keeps nothing for a
sum or a product with a number; a power keeps its input (d x^p = p x^(p-1)).
"""

from __future__ import annotations

from ...errors import ShapeError
from ..ir import Scalar
from . import NO_PARAMS, ShapeOut, flags, rule
from .passthrough import no_macs, same_rf
from .saved import Extra, Saved

OPS = {"add": "+", "sub": "-", "rsub": "-", "mul": "*", "div": "/", "rdiv": "/", "pow": "**"}

flags("scalar", weighted=False, moves_bytes=True, any_layout=True)
rule("scalar", "params")(lambda a, ins: NO_PARAMS)
rule("scalar", "macs")(no_macs)
rule("scalar", "rf")(same_rf)


@rule("scalar", "shape")
def scalar_shape(a: Scalar, ins):
    """Output: the input's shape."""
    if a.op not in OPS:
        raise ShapeError(f"scalar op '{a.op}': expected one of {', '.join(OPS)}")
    x = ins[0]
    text = f"{a.value:g} {OPS[a.op]} x" if a.op.startswith("r") else f"x {OPS[a.op]} {a.value:g}"
    return ShapeOut(x.with_dims(x.dims), text)


@rule("scalar", "other_ops")
def scalar_other_ops(a, ins, out):
    """One op per element."""
    return out.elements


@rule("scalar", "activation")
def scalar_activation(a, ins, out):
    """Elements: a new tensor."""
    return out.elements


@rule("scalar", "saved")
def scalar_saved(a: Scalar, ins, out, device):
    """A power keeps its input; v / x is torch's reciprocal(x) * v, and the reciprocal keeps its result (a
    tensor of its own); a sum or product with a number keeps nothing."""
    if a.op == "pow":
        return Saved(inputs=(0,))
    if a.op == "rdiv":
        return Saved(extras=(Extra("reciprocal of the input", out.elements),))
    return Saved()
