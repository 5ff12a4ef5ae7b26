"""Rules for graph merges: concatenation along channels and elementwise addition (which broadcasts)."""

from __future__ import annotations

from ...errors import ShapeError
from ..ir import Add, Concat
from ..receptive import merge_rf
from ..shape import is_symbolic
from . import NO_PARAMS, ShapeOut, flags, rule
from .broadcast import broadcast_shape, check_inplace
from .passthrough import no_macs
from .saved import Saved, inplace_alias

MERGES = ("concat", "add")

flags(MERGES, weighted=False, moves_bytes=True, any_layout=True)


def _same(a, b) -> bool:
    if a is b:  # the usual case: branches of one feature map share its size objects (no sympy subtraction)
        return True
    if is_symbolic(a) or is_symbolic(b):
        return bool((a - b) == 0) or str(a) == str(b)
    return a == b


@rule("concat", "shape")
def concat_shape(a: Concat, ins):
    """Output: the sum of the branches' sizes along the axis (the channels by default); every other axis
    must match (for channels: the same spatial size)."""
    first = ins[0]
    axis = first.channel_axis(a.axis, "concat axis")
    for x in ins[1:]:
        if x.rank != first.rank or x.roles != first.roles:
            raise ShapeError(f"branches have different layouts: {', '.join(f'{i} ({i.layout()})' for i in ins)}")
        if not all(_same(p, q) for k, (p, q) in enumerate(zip(x.dims, first.dims)) if k != axis):
            sizes = ", ".join(str(i) for i in ins)
            what = "spatial sizes" if first.roles[axis] == "C" else f"sizes off axis {axis}"
            raise ShapeError(f"branches have different {what}: {sizes}")
    total = sum((x.dims[axis] for x in ins[1:]), first.dims[axis])
    dims = first.dims[:axis] + (total,) + first.dims[axis + 1:]
    return ShapeOut(first.with_dims(dims), " + ".join(str(x.dims[axis]) for x in ins) + f" = {total}")


def common_shape(ins, what: str = "inputs"):
    """The one shape every input has (elementwise joins); a ShapeError names what differs."""
    first = ins[0]
    for x in ins[1:]:
        if not _same(x.channels, first.channels):
            raise ShapeError(f"{what} have different channel counts: {', '.join(str(i) for i in ins)}")
        if len(x.spatial) != len(first.spatial) or not all(_same(p, q) for p, q in zip(x.spatial, first.spatial)):
            raise ShapeError(f"{what} have different spatial sizes: {', '.join(str(i) for i in ins)}")
    return first


@rule("add", "shape")
def add_shape(a, ins):
    """Output: the numpy broadcast of the inputs (equal shapes for a residual join; `x + bias` or a layer
    scale broadcast); in place, it must be the first input's shape."""
    out = broadcast_shape(ins)
    if a.inplace:
        check_inplace(ins, out, "add")
    return ShapeOut(out)


rule(MERGES, "params")(lambda a, ins: NO_PARAMS)
rule(MERGES, "macs")(no_macs)


@rule("concat", "other_ops")
def concat_other_ops(a, ins, out):
    """None: a copy, no arithmetic."""
    return 0


@rule("add", "other_ops")
def add_other_ops(a: Add, ins, out):
    """One add per element for each input after the first."""
    return out.elements * (len(ins) - 1)


@rule("concat", "activation")
def concat_activation(a, ins, out):
    """Elements: torch.cat writes a new tensor."""
    return out.elements


@rule("add", "activation")
def add_activation(a: Add, ins, out):
    """Elements: none when added in place into the first input, else the output."""
    return 0 if a.inplace else out.elements


@rule(MERGES, "rf")
def merge_field(a, in_rfs, ins):
    """The largest field over the inputs; unequal jumps are reported."""
    return merge_rf(in_rfs)


@rule("concat", "saved")
def concat_saved(a, ins, out, device):
    """cat: nothing saved (backward splits by sizes); the output is a new tensor."""
    return Saved()


@rule("add", "saved")
def add_saved(a: Add, ins, out, device):
    """An add keeps nothing; in place it writes into its first input."""
    return Saved(alias=inplace_alias(a))
