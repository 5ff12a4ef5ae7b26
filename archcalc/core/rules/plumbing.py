"""Rules for channel plumbing: `slice` (a contiguous range of channels, a view) and `channel_shuffle`
(ShuffleNet's permutation of channels across groups, Zhang et al. 2018, a copy).

Neither computes anything. A slice `x[:, start:stop]` is a view: no memory, nothing moved, and its output
shares the input's storage. The shuffle, view -> transpose -> contiguous -> view as torch writes it, writes a
permuted copy; its backward is the inverse permutation, so it keeps nothing.
"""

from __future__ import annotations

from ...errors import ShapeError
from ..ir import ChannelShuffle, Slice
from ..shape import Shape, is_symbolic, product, to_plain
from ..strides import normalise, row_major, sample_stride_of
from . import NO_PARAMS, ShapeOut, flags, rule
from .passthrough import no_macs, no_memory, no_ops, same_rf, same_shape
from .saved import Saved

KINDS = ("slice", "channel_shuffle")

flags("slice", weighted=False, moves_bytes=False, any_layout=True)  # a view: nothing read or written at inference
flags("channel_shuffle", weighted=False, moves_bytes=True, any_layout=False)  # .contiguous() writes the permuted copy
rule(KINDS, "params")(lambda a, ins: NO_PARAMS)
rule(KINDS, "macs")(no_macs)
rule(KINDS, "rf")(same_rf)  # both move whole channels: every position sees what it saw


def _surely_negative(value) -> bool | None:
    """Whether value < 0: True or False when it is known, None when it depends on a symbol."""
    if not is_symbolic(value):
        return to_plain(value) < 0
    return value.is_negative  # sympy: True, False or None (undecided)


@rule("slice", "shape")
def slice_shape(a: Slice, ins):
    """Output: stop - start positions of the axis (the channels by default), every other size kept. Needs
    0 <= start < stop <= the axis's size."""
    (x,) = ins
    axis = x.channel_axis(a.axis, "slice axis")
    size, what = x.dims[axis], "channels" if a.axis is None else f"positions of axis {a.axis}"
    if a.start < 0 or a.start >= a.stop:
        raise ShapeError(f"slice [{a.start}:{a.stop}] needs 0 <= start < stop")
    short = _surely_negative(size - a.stop)
    if short:
        raise ShapeError(f"slice [{a.start}:{a.stop}] ends past the input's {size} {what}")
    notes = () if short is False else (("info", f"slice [{a.start}:{a.stop}] assumes {size} >= {a.stop}"),)
    kept = a.stop - a.start
    dims = x.dims[:axis] + (kept,) + x.dims[axis + 1:]
    # a slice of the outermost axis (the channels of CxHxW) stays contiguous; of an inner one, a strided view
    out = Shape(dims=dims, roles=x.roles, strides=normalise(dims, x.strides or row_major(x.dims)),
                sample_stride=sample_stride_of(x, product(dims)))
    return ShapeOut(out, f"{what} {a.start}..{a.stop - 1} of {size}: {a.stop} - {a.start} = {kept}", notes)


@rule("channel_shuffle", "shape")
def channel_shuffle_shape(a: ChannelShuffle, ins):
    """Output: the input's shape; the channels must split into `groups` equal groups."""
    (x,) = ins
    if a.groups < 1:
        raise ShapeError(f"channel shuffle groups must be at least 1, got {a.groups}")
    left = _remainder(x.channels, a.groups)
    if left not in (0, None):
        raise ShapeError(f"channel shuffle: {x.channels} channels do not divide into {a.groups} groups "
                         f"({x.channels} mod {a.groups} = {left})")
    notes = (("info", f"channel shuffle assumes {x.channels} divides by {a.groups}"),) if left is None else ()
    out = same_shape(a, ins).shape
    return ShapeOut(out, f"{a.groups} groups of {_per_group(x.channels, a.groups)} channels, transposed", notes)


def _remainder(channels, groups: int):
    """channels mod groups: an int, or None when it depends on a symbol."""
    if not is_symbolic(channels):
        return to_plain(channels) % groups
    import sympy

    left = to_plain(sympy.Mod(channels, groups))
    return left if isinstance(left, int) else None


def _per_group(channels, groups: int):
    if not is_symbolic(channels):
        return to_plain(channels) // groups
    return to_plain(channels / groups)


rule(KINDS, "other_ops")(no_ops)  # a view or a permutation, no arithmetic
rule("slice", "activation")(no_memory)  # a view of the input's storage


@rule("channel_shuffle", "activation")
def channel_shuffle_activation(a, ins, out):
    """Elements: .contiguous() writes the permuted channels as a new tensor."""
    return out.elements


@rule("slice", "saved")
def slice_saved(a, ins, out, device):
    """A view: nothing saved (backward pads the gradient back by sizes); the output is the input's storage."""
    return Saved(alias=0)


@rule("channel_shuffle", "saved")
def channel_shuffle_saved(a, ins, out, device):
    """Nothing saved: view, transpose and contiguous need only sizes backward; the output is a new tensor."""
    return Saved()
