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
