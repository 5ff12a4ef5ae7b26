"""Rules for two layers that return their input at inference: `identity` (nn.Identity) and `drop_path`
(stochastic depth on a residual branch, timm's DropPath).

Neither computes anything nor takes memory at inference (moves_bytes False: the output is the input). In
training drop_path multiplies each sample by a random 0 or 1/(1 - p), which is what it keeps for backward.
"""

from __future__ import annotations

from ..ir import DropPath
from . import NO_PARAMS, flags, rule
from .passthrough import no_macs, same_rf, same_shape
from .saved import Extra, Saved

KINDS = ("identity", "drop_path")

flags(KINDS, weighted=False, moves_bytes=False, any_layout=True)
rule(KINDS, "shape")(same_shape)
rule(KINDS, "rf")(same_rf)
rule(KINDS, "params")(lambda a, ins: NO_PARAMS)
rule(KINDS, "macs")(no_macs)


@rule(KINDS, "other_ops")
def passthrough_other_ops(a, ins, out):
    """None: both return their input at inference."""
    return 0


@rule(KINDS, "activation")
def passthrough_activation(a, ins, out):
    """None: the output is the input tensor itself (an alias)."""
    return 0


@rule("identity", "saved")
def identity_saved(a, ins, out, device):
    """Nothing saved; the output is the input's storage."""
    return Saved(alias=0)


@rule("drop_path", "saved")
def drop_path_saved(a: DropPath, ins, out, device):
    """Training, as timm computes it: x.div(1 - p) keeps nothing (a divide by a number); .mul(mask) keeps
    the mask (it needs no gradient, so x's quotient is not kept): one element per sample, of shape
    (N, 1, 1, ...), in the activation dtype. The output is a new tensor. With p = 0 the module returns
    its input unchanged: nothing saved, the output is the input's storage."""
    if a.p == 0:
        return Saved(alias=0)
    return Saved(extras=(Extra("per-sample mask", 1),))
