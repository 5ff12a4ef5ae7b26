"""Rules for the normalisations that compute statistics per sample: layer norm (over the last axes as the tensor
is laid out, or over the channels at every position as ConvNeXt's LayerNorm2d), group norm, instance norm.

Unlike batch norm at inference, these compute their statistics from the sample itself, at inference too, so
their other ops include the statistics; and where the statistics span spatial positions, every output sees
every position along those axes: the receptive field becomes global there.
"""

from __future__ import annotations

from ...errors import ShapeError
from ..ir import GroupNorm, InstanceNorm, LayerNorm
from ..receptive import whole
from ..shape import SPATIAL, TOKENS, Shape, product
from . import Params, ShapeOut, flags, rule
from .passthrough import no_macs, same_shape
from .saved import STAT_BYTES, Extra, Saved

KINDS = ("layernorm", "groupnorm", "instancenorm")

flags("layernorm", weighted=False, moves_bytes=True, any_layout=True)  # channels_first checks its own
flags(("groupnorm", "instancenorm"), weighted=False, moves_bytes=True, any_layout=False)

rule(KINDS, "macs")(no_macs)  # normalisation is no multiply-accumulate (conventions: other ops)

# Approximate op counts of a normalisation computed from the sample (at inference too), per element: one add
# for the mean's sum, three for the variance (subtract the mean, square, add), two to normalise (subtract the
# mean, multiply by the inverse std); and per statistics group: divide the two sums, add eps, square root,
# reciprocal. The scale and the shift add one op per element each.
OPS_PER_ELEMENT = 6
OPS_PER_GROUP = 5


def stat_norm_ops(elements, groups, scale: bool, shift: bool):
    """Other ops of a normalisation with `groups` statistics over `elements` (approximate, see above)."""
    return elements * (OPS_PER_ELEMENT + int(scale) + int(shift)) + groups * OPS_PER_GROUP


def stat_bytes(device: str):
    """Bytes of the saved mean and inverse std: the activation dtype on the CPU; float32 on CUDA, where torch
    keeps half-precision statistics in float (its accumulate type; float64 input would keep float64)."""
    return STAT_BYTES if device == "cuda" else None


# --- layer norm ------------------------------------------------------------------------------------------------
def normalised_sizes(a: LayerNorm, x) -> tuple:
    """The sizes one statistic spans: the channels (channels_first), else the last `axes` axes of C x spatial."""
    if a.channels_first:
        if not x.channels_first:
            raise ShapeError(f"layer norm over the channels of a channels-first tensor; this one is {x.layout()} "
                             "(use channels_first: false, over the last axis)")
        return (x.channels,)
    dims = x.as_list()
    if isinstance(a.axes, bool) or not isinstance(a.axes, int) or not 1 <= a.axes <= len(dims):
        raise ShapeError(f"layer norm over {a.axes!r} axes of a {len(dims)}-axis tensor {x}: axes must be from 1 "
                         f"to {len(dims)}")
    return tuple(dims[len(dims) - a.axes:])


def statistics_per_sample(a: LayerNorm, x):
    """How many (mean, inverse std) pairs one sample has: its elements over the normalised size."""
    if a.channels_first:
        return product(x.spatial)
    dims = x.as_list()
    return product(dims[:len(dims) - a.axes])


@rule("layernorm", "shape")
def layernorm_shape(a: LayerNorm, ins):
    """Output shape equals the input shape; the axes must exist. Over the last axes, torch's layer norm writes
    a row-major tensor whatever the input's layout (a permuted input is read through a contiguous copy)."""
    x = ins[0]
    sizes = normalised_sizes(a, x)
    out = x if a.channels_first or x.contiguous else Shape(dims=x.dims, roles=x.roles)
    return ShapeOut(out, f"normalised over {'x'.join(str(s) for s in sizes)}")


@rule("layernorm", "params")
def layernorm_params(a: LayerNorm, ins):
    """One scale (weights) and one shift (biases) per normalised element: 2 x their product with affine and
    bias; a symbolic normalised size gives a formula."""
    n = product(normalised_sizes(a, ins[0]))
    return Params(weights=n if a.affine else 0, biases=n if a.affine and a.bias else 0)


@rule("layernorm", "other_ops")
def layernorm_other_ops(a: LayerNorm, ins, out):
    """Approximate: statistics and normalisation per element, plus per statistic (stat_norm_ops)."""
    return stat_norm_ops(out.elements, statistics_per_sample(a, ins[0]), a.affine, a.affine and a.bias)


@rule("layernorm", "rf")
def layernorm_rf(a: LayerNorm, in_rfs, ins):
    """Over the channels (channels_first, or the channel axis alone of a flat vector): the field as it was.
    Over spatial axes (axes >= 1 on CxHxW takes W): each output mixes every position along those axes, so the
    field is global there; a field is global or not as a whole, so it is reported global."""
    (x,) = ins
    places = len([r for r in x.roles if r in (SPATIAL, TOKENS)])
    spatial_axes = 0 if a.channels_first else len([r for r in x.roles[x.rank - a.axes:] if r in (SPATIAL, TOKENS)])
    if spatial_axes == 0 or in_rfs[0].is_global:
        return in_rfs[0], None
    note = None if spatial_axes == places else (
        f"layer norm over the last {spatial_axes} of {places} spatial axes: global along those, "
        "reported global as a whole")
    return whole(in_rfs[0]), note


@rule("layernorm", "saved")
def layernorm_saved(a: LayerNorm, ins, out, device):
    """native_layer_norm keeps its input, and a mean and an inverse std per statistic (weight and bias are
    parameters, not counted); measured with saved_tensors_hooks."""
    n = statistics_per_sample(a, ins[0])
    stats = tuple(Extra(what, n, stat_bytes(device)) for what in ("mean", "inverse std"))
    return Saved(inputs=(0,), extras=stats, trainable=a.affine)


# --- group norm -------------------------------------------------------------------------------------------------
@rule("groupnorm", "shape")
def groupnorm_shape(a: GroupNorm, ins):
    """Output shape equals the input shape; the channels must split into `groups` equal groups."""
    c = ins[0].channels
    if isinstance(c, int) and c % a.groups:
        raise ShapeError(f"group norm: {c} channels do not divide into {a.groups} groups")
    return same_shape(a, ins)


@rule("groupnorm", "params")
def groupnorm_params(a: GroupNorm, ins):
    """A scale (weights) and a shift (biases) per channel with affine: 2 x C (C without the shift)."""
    c = ins[0].channels
    return Params(weights=c if a.affine else 0, biases=c if a.affine and a.bias else 0)


@rule("groupnorm", "other_ops")
def groupnorm_other_ops(a: GroupNorm, ins, out):
    """Approximate: statistics and normalisation per element, plus per group (stat_norm_ops)."""
    return stat_norm_ops(out.elements, a.groups, a.affine, a.affine and a.bias)


@rule("groupnorm", "saved")
def groupnorm_saved(a: GroupNorm, ins, out, device):
    """native_group_norm keeps its input, and a mean and an inverse std per (sample, group), in the input's
    dtype on CPU and CUDA alike (measured with saved_tensors_hooks). F.group_norm hands it input.contiguous():
    a permuted input, or a part of each sample (SHViT's channel split) at batch 2 or more, is kept as a
    contiguous copy instead (at batch 1 such a part is one contiguous block: the input itself)."""
    x = ins[0]
    stats = tuple(Extra(what, a.groups) for what in ("mean", "inverse std"))
    copy = "contiguous copy of the input"
    if not x.contiguous:
        return Saved(extras=(Extra(copy, x.elements),) + stats, trainable=a.affine)
    if x.sample_stride is not None and x.sample_stride != x.elements:
        return Saved(batch_one_inputs=(0,), extras=(Extra(copy, x.elements, batch_one=False),) + stats,
                     trainable=a.affine)
    return Saved(inputs=(0,), extras=stats, trainable=a.affine)


# --- instance norm ----------------------------------------------------------------------------------------------
@rule("instancenorm", "shape")
def instancenorm_shape(a: InstanceNorm, ins):
    """Output shape equals the input shape; statistics per channel need spatial axes (1 to 3, as torch's 1d-3d)."""
    if not 1 <= len(ins[0].spatial) <= 3:
        raise ShapeError(f"instance norm needs 1 to 3 spatial axes, got input {ins[0]}")
    return same_shape(a, ins)


@rule("instancenorm", "params")
def instancenorm_params(a: InstanceNorm, ins):
    """A scale and a shift per channel with affine; buffers: running mean and var, and the batch counter."""
    c = ins[0].channels
    buffers = 2 * c + 1 if a.track_running_stats else 0  # +1: num_batches_tracked, as batch norm's
    return Params(weights=c if a.affine else 0, biases=c if a.affine else 0, buffers=buffers)


@rule("instancenorm", "other_ops")
def instancenorm_other_ops(a: InstanceNorm, ins, out):
    """Approximate: statistics and normalisation per element, plus per channel (stat_norm_ops)."""
    return stat_norm_ops(out.elements, ins[0].channels, a.affine, a.affine)


@rule(("groupnorm", "instancenorm"), "rf")
def spatial_stats_rf(a, in_rfs, ins):
    """Statistics over every spatial position of a group or channel: every output sees the whole input."""
    return whole(in_rfs[0]), None


@rule("instancenorm", "saved")
def instancenorm_saved(a: InstanceNorm, ins, out, device):
    """F.instance_norm runs batch norm on the input viewed as (1, N*C, ...): it keeps that view (the input's
    storage), a mean and an inverse std per (sample, channel), and the copies it makes by repeating the weight
    and the running mean and var N times (new tensors in the activation dtype, so counted)."""
    c = ins[0].channels
    extras = [Extra(what, c, stat_bytes(device)) for what in ("mean", "inverse std")]
    if a.affine:
        extras.append(Extra("weight repeated per sample", c))
    if a.track_running_stats:
        extras += [Extra(f"running {what} repeated per sample", c) for what in ("mean", "var")]
    return Saved(inputs=(0,), extras=tuple(extras), trainable=a.affine)


@rule(KINDS, "activation")
def stat_norm_activation(a, ins, out):
    """Elements: the output is a new tensor."""
    return out.elements
