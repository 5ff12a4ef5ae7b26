"""Shared rules for layers that keep their input's shape and field (norms, activations, dropout, softmax)."""

from __future__ import annotations

from . import ShapeOut


def same_shape(a, ins):
    """Output shape equals the input shape."""
    return ShapeOut(ins[0])


def same_rf(a, in_rfs, ins):
    """Elementwise or per-channel ops leave the receptive field as it is."""
    return in_rfs[0], None


def no_macs(a, ins, out):
    """No multiply-accumulates."""
    return 0


def no_ops(a, ins, out):
    """No arithmetic at all (a view, a permutation, the identity at inference)."""
    return 0


def no_memory(a, ins, out):
    """No new memory: the output is a view of the input, or the input itself."""
    return 0
