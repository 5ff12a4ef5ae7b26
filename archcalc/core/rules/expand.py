"""Rules for `expand`: x.expand(sizes), axes of size 1 stretched as a view (stride 0 along them). Nothing is
computed or written: no parameters, MACs, ops or new elements; the output is the input's storage. A later
reshape across a stretched axis is a copy (core/strides.py finds no strides for it, as torch does)."""

from __future__ import annotations

from ...errors import ShapeError
from ..ir import Expand
from ..shape import Shape, fmt_dim, product
from ..strides import normalise, row_major, sample_stride_of
from . import NO_PARAMS, ShapeOut, flags, rule
from .broadcast import same_dim
from .passthrough import no_macs, same_rf
from .saved import Saved

flags("expand", weighted=False, moves_bytes=False, any_layout=True)
rule("expand", "macs")(no_macs)
rule("expand", "params")(lambda a, ins: NO_PARAMS)
rule("expand", "rf")(same_rf)  # a stretched position is the one input position: the same field


@rule("expand", "shape")
def expand_shape(a: Expand, ins):
    """Output: `sizes` (-1 keeps an axis; only a size-1 axis may change), laid out with stride 0 along the
    stretched axes."""
    (x,) = ins
    if len(a.sizes) != x.rank:
        raise ShapeError(f"expand of {x} to {list(a.sizes)}: give one size per axis of a sample ({x.rank})")
    dims, strides = [], list(x.strides or row_major(x.dims))
    for i, (d, s) in enumerate(zip(x.dims, a.sizes)):
        if s == -1 or same_dim(d, s):
            dims.append(d)
        elif same_dim(d, 1):
            dims.append(s)
            strides[i] = 0
        else:
            raise ShapeError(f"expand of {x} to {list(a.sizes)}: axis {i} has size {fmt_dim(d)}, not 1")
    dims = tuple(dims)
    out = Shape(dims=dims, roles=x.roles, strides=normalise(dims, tuple(strides)),
                sample_stride=sample_stride_of(x, product(dims)))
    return ShapeOut(out, f"{x} -> {out} (a view, stride 0 along the stretched axes)")


@rule("expand", "other_ops")
def expand_other_ops(a, ins, out):
    """None: a view."""
    return 0


@rule("expand", "activation")
def expand_activation(a, ins, out):
    """Elements: none, a view of the input's storage."""
    return 0


@rule("expand", "saved")
def expand_saved(a, ins, out, device):
    """Nothing saved; the output is the input's storage."""
    return Saved(alias=0)
