"""Rules for `roll` (torch.roll: a cyclic shift along some axes, Swin's shifted windows in timm's form, where
the block rolls the map before partitioning it and back after). A copy: no parameters, no arithmetic.

Along a spatial axis rolled by s, output position i holds input position i - s (mod n): its receptive field
is the input's moved by s positions, except for the s positions that wrapped round from the far end.
"""

from __future__ import annotations

from ..ir import Roll
from ..receptive import RF
from ..shape import SPATIAL, Shape, fmt_dim
from . import NO_PARAMS, ShapeOut, flags, rule
from .saved import Saved

flags("roll", weighted=False, moves_bytes=True, any_layout=True)

rule("roll", "params")(lambda a, ins: NO_PARAMS)
rule("roll", "macs")(lambda a, ins, out: 0)
rule("roll", "other_ops")(lambda a, ins, out: 0)


@rule("roll", "shape")
def roll_shape(a: Roll, ins):
    """Output: the input's shape (a new tensor: contiguous)."""
    (x,) = ins
    axes = [x.axis(axis, "roll axis") for axis in a.axes]
    moves = ", ".join(f"axis {i + 1} ({fmt_dim(x.dims[i])}) by {s}" for i, s in zip(axes, a.shifts))
    return ShapeOut(Shape(dims=x.dims, roles=x.roles), f"{x} rolled: {moves}")


@rule("roll", "activation")
def roll_activation(a, ins, out):
    """Elements: the output (torch.roll copies)."""
    return out.elements


@rule("roll", "rf")
def roll_rf(a: Roll, in_rfs, ins):
    """The field moved by the shift along each rolled spatial axis (start - s x jump); the positions that
    wrapped round see the other end of the map (noted)."""
    rf, (x,) = in_rfs[0], ins
    if rf.is_global:
        return rf, None
    spatial = [i for i, r in enumerate(x.roles) if r == SPATIAL]
    start = list(rf.start)
    moved = False
    for axis, shift in zip(a.axes, a.shifts):
        at = x.axis(axis, "roll axis")
        if at in spatial and shift:
            k = spatial.index(at)
            start[k] = start[k] - shift * rf.jump[k]
            moved = True
    note = "roll: the positions that wrap round see the far end of the map, not the field shown" if moved else None
    return RF(rf.size, rf.jump, tuple(start)), note


@rule("roll", "saved")
def roll_saved(a, ins, out, device):
    """Nothing: roll's backward is a roll back."""
    return Saved()
