"""Rules for flatten: a view that lays the channels and spatial axes of its input out as one vector."""

from __future__ import annotations

from ..receptive import global_rf
from ..shape import Shape
from . import NO_PARAMS, ShapeOut, flags, rule
from .passthrough import no_macs, no_memory, no_ops
from .saved import Saved

# a view: no arithmetic, no memory of its own, nothing moved
flags("flatten", weighted=False, moves_bytes=False, any_layout=True)


def flat_rf(a, in_rfs, ins):
    """Every element of a flat output sees the whole input (flatten, and linear on a flat input)."""
    rf = in_rfs[0]
    return (rf if rf.is_global else global_rf(len(rf.size), rf.jump)), None


@rule("flatten", "shape")
def flatten_shape(a, ins):
    """Output: one vector of C x H x W."""
    (x,) = ins
    return ShapeOut(Shape(x.elements), f"{x} -> {x.elements}")


rule("flatten", "params")(lambda a, ins: NO_PARAMS)
rule("flatten", "macs")(no_macs)
rule("flatten", "rf")(flat_rf)


rule("flatten", "other_ops")(no_ops)  # a view
rule("flatten", "activation")(no_memory)  # of its input's storage


@rule("flatten", "saved")
def flatten_saved(a, ins, out, device):
    """A view: nothing saved (its backward needs only sizes)."""
    return Saved(alias=0)
