"""Rules for batch normalisation and local response normalisation."""

from __future__ import annotations

from ...errors import ShapeError
from ..ir import LRN, BatchNorm
from ..shape import product
from . import NO_PARAMS, Params, flags, rule
from .passthrough import no_macs, same_rf, same_shape
from .saved import STAT_BYTES, Extra, Saved

flags(("batchnorm", "lrn"), weighted=False, moves_bytes=True, any_layout=False)

rule(("batchnorm", "lrn"), "shape")(same_shape)
rule(("batchnorm", "lrn"), "rf")(same_rf)
rule(("batchnorm", "lrn"), "macs")(no_macs)


@rule("batchnorm", "params")
def batchnorm_params(a: BatchNorm, ins):
    """Scale (weights) and shift (biases) per channel; buffers: running mean, running var, batch counter."""
    c = ins[0].channels
    buffers = 2 * c + 1 if a.track_running_stats else 0  # +1: num_batches_tracked, one integer
    return Params(weights=c if a.affine else 0, biases=c if a.affine else 0, buffers=buffers)


@rule("batchnorm", "other_ops")
def batchnorm_other_ops(a: BatchNorm, ins, out):
    """Inference: one multiply and one add per element (statistics folded into scale and shift)."""
    return 2 * out.elements


@rule("batchnorm", "activation")
def batchnorm_activation(a, ins, out):
    """Elements: the output is a new tensor."""
    return out.elements


@rule("lrn", "params")
def lrn_params(a: LRN, ins):
    """LRN has no parameters."""
    if isinstance(ins[0].channels, int) and a.size < 1:
        raise ShapeError(f"LRN size {a.size} must be at least 1")
    return NO_PARAMS


@rule("lrn", "other_ops")
def lrn_other_ops(a: LRN, ins, out):
    """Approximate, per element: a square, `size` adds over neighbouring channels, scale, shift, power, divide."""
    return out.elements * (a.size + 5)


@rule("lrn", "activation")
def lrn_activation(a, ins, out):
    """Elements: the output is a new tensor."""
    return out.elements


@rule("batchnorm", "saved")
def batchnorm_saved(a: BatchNorm, ins, out, device):
    """Training batch norm: its input, and the batch mean and inverse std per channel (float32)."""
    c = ins[0].channels
    stats = tuple(Extra(what, c, STAT_BYTES, per_sample=False) for what in ("batch mean", "batch inverse std"))
    return Saved(inputs=(0,), extras=stats, trainable=a.affine)


@rule("lrn", "saved")
def lrn_saved(a: LRN, ins, out, device):
    """F.local_response_norm as torch writes it: x*x, pad, avg_pool3d, *alpha, +k, **beta, x / div.

    avg_pool3d keeps the padded squares (C + size - 1 channels); pow keeps its base (the +k result);
    the division keeps x and the pow result; x*x keeps x (the same storage).
    """
    (x,) = ins
    plane = product(x.spatial)
    padded = (x.channels + a.size - 1) * plane
    return Saved(inputs=(0,), extras=(Extra("padded squares", padded), Extra("k + alpha*avg", out.elements),
                                      Extra("(k + alpha*avg)^beta", out.elements)))
