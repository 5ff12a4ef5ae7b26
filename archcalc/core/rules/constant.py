"""Rules for `constant`: x + C or x * C, C a tensor the model computes each forward from sizes alone, with no
parameter in it: a rotary position embedding's sin and cos tables (Su et al. 2021; EVA-02's and timm's
RoPE ViTs: x * cos + rotate_half(x) * sin), a position grid.

Parameters: none (C is no parameter, and no buffer the model keeps: the importer reads it from sizes). MACs:
none. Other ops: one add or multiply per output element; building C itself (aranges, sin, cos of a table
without the batch axis) is not counted: it does not grow with the batch, and torch's FlopCounterMode counts
none of it either. Backward keeps nothing of x; a product keeps C, one table for the whole batch.
"""

from __future__ import annotations

from ...errors import ShapeError
from ..ir import Constant
from ..shape import Shape, product
from . import NO_PARAMS, ShapeOut, flags, rule
from .broadcast import broadcast_shape
from .passthrough import no_macs, same_rf
from .saved import Extra, Saved

OPS = {"add": "+", "mul": "*"}
flags("constant", weighted=False, moves_bytes=True, any_layout=True)
rule("constant", "macs")(no_macs)
rule("constant", "rf")(same_rf)  # C holds no input pixel
rule("constant", "params")(lambda a, ins: NO_PARAMS)


@rule("constant", "shape")
def constant_shape(a: Constant, ins):
    """Output: x's shape; C must broadcast into it without growing it."""
    (x,) = ins
    if a.op not in OPS:
        raise ShapeError(f"constant op '{a.op}': expected add or mul")
    c = Shape(dims=tuple(a.shape), roles="_" * len(a.shape))
    out = broadcast_shape((x, c), f"constant {list(a.shape)} and the input")
    if out.dims != x.dims:
        raise ShapeError(f"a constant {list(a.shape)} would grow the input {x} to {out}")
    return ShapeOut(x, f"{x} {OPS[a.op]} a constant {'x'.join(map(str, a.shape)) or 'scalar'}")


@rule("constant", "other_ops")
def constant_other_ops(a, ins, out):
    """One add or multiply per element."""
    return out.elements


@rule("constant", "activation")
def constant_activation(a, ins, out):
    """Elements: a new tensor."""
    return out.elements


@rule("constant", "saved")
def constant_saved(a: Constant, ins, out, device):
    """Nothing of x: an add keeps nothing; a product keeps the table (x's gradient needs it), one tensor for
    the whole batch, made this forward (measured with saved_tensors_hooks)."""
    if a.op == "mul":
        return Saved(extras=(Extra("the constant table", product(a.shape), per_sample=False),))
    return Saved()
