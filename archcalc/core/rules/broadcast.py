"""Broadcasting elementwise products: `mul` (a squeeze-and-excitation gate, a layer scale), and the numpy
broadcast-shape helper that `add` shares (merge.py).

Broadcasting follows numpy over the per-sample shape (the batch axis is apart and equal): the shapes are
aligned at their last axis, and on each axis the sizes are equal or one of them is 1, which stretches.
"""

from __future__ import annotations

from ...errors import ShapeError
from ..ir import Mul
from ..receptive import merge_rf
from ..shape import Shape, fmt_dim, is_symbolic
from ..strides import laid_out_like
from . import NO_PARAMS, ShapeOut, flags, rule
from .passthrough import no_macs
from .saved import Extra, Saved


def same_dim(a, b) -> bool:
    """Equal sizes, symbolic ones included (H - 1 + 1 and H are the same size)."""
    if a is b:
        return True
    if is_symbolic(a) or is_symbolic(b):
        return bool((a - b) == 0) or str(a) == str(b)
    return a == b


def _axis(p, q):
    """The broadcast size of one axis, or None where the two sizes do not broadcast."""
    if same_dim(p, q) or same_dim(q, 1):
        return p
    if same_dim(p, 1):
        return q
    return None


def broadcast_shape(ins, what: str = "inputs") -> Shape:
    """The numpy broadcast of the inputs' per-sample shapes; inputs of one shape give the first input itself.

    A ShapeError names every input's shape on one line; where the axis that fails is the output's channel
    axis it says "different channel counts", else "different spatial sizes" (the words of the equal-shape
    joins, so older messages stay as they were).
    """
    dims = list(ins[0].as_list())
    for x in ins[1:]:
        other = x.as_list()
        rank = max(len(dims), len(other))
        left = [1] * (rank - len(dims)) + dims  # numpy aligns the shapes at their last axis
        right = [1] * (rank - len(other)) + other
        merged = [_axis(p, q) for p, q in zip(left, right)]
        if None in merged:
            bad = merged.index(None)
            kind = "channel counts" if bad == 0 else "spatial sizes"
            shapes = ", ".join(str(i) for i in ins)
            raise ShapeError(f"{what} have different {kind}: {shapes} (they do not broadcast: axis {bad + 1} is "
                             f"{fmt_dim(left[bad])} against {fmt_dim(right[bad])})")
        dims = merged
    if all(x == ins[0] for x in ins[1:]):
        return ins[0]  # the common case (residual joins): the very same Shape, so reports stay byte-identical
    widest = max(ins, key=lambda x: x.rank)  # its roles name the axes (the first of the widest inputs)
    full = next((x for x in ins if x.rank == len(dims) and all(same_dim(p, q) for p, q in zip(x.dims, dims))), None)
    strides = laid_out_like(tuple(dims), full) if full is not None else None  # torch keeps a permuted layout
    return Shape(dims=tuple(dims), roles=widest.roles, strides=strides)


def check_inplace(ins, out: Shape, kind: str) -> None:
    """An in-place op writes into its first input, so the output must have that input's shape."""
    first = ins[0]
    if len(first.as_list()) != len(out.as_list()) or not all(
            same_dim(p, q) for p, q in zip(first.as_list(), out.as_list())):
        raise ShapeError(f"{kind} in place writes into its first input {first}, but the inputs broadcast to "
                         f"{out}: {', '.join(str(i) for i in ins)}")


flags("mul", weighted=False, moves_bytes=True, any_layout=True)
rule("mul", "params")(lambda a, ins: NO_PARAMS)
rule("mul", "macs")(no_macs)  # an elementwise product is no multiply-accumulate (conventions: other ops)


@rule("mul", "shape")
def mul_shape(a: Mul, ins):
    """Output: the broadcast of the two inputs' shapes (numpy rules)."""
    if len(ins) != 2:
        raise ShapeError(f"mul takes two inputs, got {len(ins)}")
    out = broadcast_shape(ins)
    if a.inplace:
        check_inplace(ins, out, "mul")
    return ShapeOut(out, f"{ins[0]} * {ins[1]} -> {out}")


@rule("mul", "other_ops")
def mul_other_ops(a: Mul, ins, out):
    """One multiply per output element."""
    return out.elements


@rule("mul", "activation")
def mul_activation(a: Mul, ins, out):
    """Elements: none when multiplied in place into the first input, else the output."""
    return 0 if a.inplace else out.elements


@rule("mul", "rf")
def mul_field(a, in_rfs, ins):
    """A gate (squeeze-and-excitation: one input global, computed after global pooling) scales the trunk:
    the field stays the trunk's, as the receptive field is usually quoted for SE networks, with a note that
    every output also depends on the whole input through the gate. Otherwise the largest field over the
    inputs, as at any merge."""
    local = [rf for rf in in_rfs if not rf.is_global]
    if local and len(local) < len(in_rfs):
        rf, note = merge_rf(local)
        gate = "scaled by a gate computed from the whole input (squeeze-and-excitation): the field shown is the " \
               "gated map's; through the gate every output also depends on every input pixel"
        return rf, note or gate
    return merge_rf(in_rfs)


@rule("mul", "saved")
def mul_saved(a: Mul, ins, out, device):
    """mul's backward takes each input for the other's gradient: each is kept when the other requires grad
    (both, inside a network). In place (mul_), the first input is overwritten, so autograd keeps a copy of
    the original first input (a storage apart from the output's) and the second input."""
    if a.inplace:
        return Saved(inputs=(1,), extras=(Extra("copy of the first input", ins[0].elements, of_input=0),), alias=0,
                     cross=True)
    return Saved(inputs=(0, 1), cross=True)
