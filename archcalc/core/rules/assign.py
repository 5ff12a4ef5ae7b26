"""Rules for `assign` (`x[index] = v`, in place): the output is x itself, its shape and storage; v is copied
into the region. No parameters, no arithmetic (a copy), no new memory; backward keeps nothing (the gradient
of x outside the region passes through, inside it goes to v).
"""

from __future__ import annotations

from ...errors import ShapeError
from ..ir import Assign
from ..receptive import merge_rf
from ..shape import Shape, fmt_dim
from . import NO_PARAMS, ShapeOut, flags, rule
from .broadcast import broadcast_shape, same_dim
from .saved import Saved

flags("assign", weighted=False, moves_bytes=True, any_layout=True)

rule("assign", "params")(lambda a, ins: NO_PARAMS)
rule("assign", "macs")(lambda a, ins, out: 0)
rule("assign", "other_ops")(lambda a, ins, out: 0)
rule("assign", "activation")(lambda a, ins, out: 0)  # written into x's own storage


def region(a: Assign, x: Shape) -> list:
    """The sizes of the part of x that the index picks (an int entry drops its axis)."""
    if len(a.index) > x.rank:
        raise ShapeError(f"assign: {len(a.index)} index entries for a {x.rank}-axis tensor {x}")
    sizes = []
    for axis, entry in enumerate(a.index):
        n = x.dims[axis]
        if isinstance(entry, int):
            if not -n <= entry < n:
                raise ShapeError(f"assign: position {entry} is outside axis {axis + 1} of {x} ({fmt_dim(n)})")
            continue
        start, stop = entry
        start = 0 if start is None else (start + n if start < 0 else start)
        stop = n if stop is None else (stop + n if stop < 0 else min(stop, n))
        sizes.append(max(stop - start, 0))
    return sizes + list(x.dims[len(a.index):])


@rule("assign", "shape")
def assign_shape(a: Assign, ins):
    """Output: x's shape; v must broadcast to the region the index picks."""
    if len(ins) != 2:
        raise ShapeError(f"assign takes the tensor and the value written into it, got {len(ins)} inputs")
    x, v = ins
    sizes = region(a, x)
    part = Shape(dims=tuple(sizes), roles="_" * len(sizes)) if sizes else None
    if part is not None:
        fits = broadcast_shape((part, v), "the region and the value") if v.rank <= part.rank else None
        if fits is None or not all(same_dim(p, q) for p, q in zip(fits.dims, part.dims)):
            raise ShapeError(f"assign: the value {v} does not broadcast to the region {part} of {x}")
    where = "x".join(fmt_dim(s) for s in sizes) or "one element"
    return ShapeOut(Shape(dims=x.dims, roles=x.roles, strides=x.strides, sample_stride=x.sample_stride),
                    f"{where} of {x} overwritten by {v}, in place")


@rule("assign", "rf")
def assign_rf(a, in_rfs, ins):
    """Positions in the region see the value's field, the others x's: the larger of the two, as at a merge."""
    return merge_rf(list(in_rfs))


@rule("assign", "saved")
def assign_saved(a, ins, out, device):
    """Nothing: the backward of a copy into a slice keeps no tensor; the output is x's storage."""
    return Saved(alias=0)
