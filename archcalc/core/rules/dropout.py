"""Rules for dropout: the identity at inference, a random mask in training."""

from __future__ import annotations

from ..ir import Dropout
from . import NO_PARAMS, flags, rule
from .passthrough import no_macs, no_memory, no_ops, same_rf, same_shape
from .saved import MASK_BYTES, Extra, Saved

# the identity at inference: it returns its input, reads and writes nothing
flags("dropout", weighted=False, moves_bytes=False, any_layout=True)

rule("dropout", "shape")(same_shape)
rule("dropout", "rf")(same_rf)
rule("dropout", "params")(lambda a, ins: NO_PARAMS)
rule("dropout", "macs")(no_macs)


rule("dropout", "other_ops")(no_ops)  # the identity at inference
rule("dropout", "activation")(no_memory)  # it returns its input


@rule("dropout", "saved")
def dropout_saved(a: Dropout, ins, out, device):
    """A mask of the output's size; the output is a new tensor (training mode).

    On CUDA torch fuses dropout (native_dropout) and keeps a bool mask; elsewhere at::dropout multiplies by
    a scaled noise tensor of the activation dtype, and the multiply keeps that noise. With p = 0 torch
    returns the input itself (at::dropout's shortcut): nothing kept, the output is the input's storage.
    """
    if a.p == 0:
        return Saved(alias=0)
    return Saved(extras=(Extra("mask", out.elements, MASK_BYTES if device == "cuda" else None),))
