"""Attribute type of the per-sample table kind (re-exported by core/ir.py): a tensor a model builds from sizes
alone but with the batch axis, `torch.zeros(B, H, W)` (EdgeNeXt's Fourier position encoding), so that torch
computes it, and every layer run on it, once per sample."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import GraphError


@dataclass(frozen=True)
class BatchTable:
    """A table of `shape` per sample (channels first: the first size read as channels), the same for every
    sample, built from sizes and numbers alone (no parameter, nothing of the input's values). The layer's input
    gives the batch only."""

    shape: tuple

    def __post_init__(self):
        shape = tuple(self.shape)
        if not shape or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 1 for d in shape):
            raise GraphError(f"batch_table: shape must be positive integers, got {self.shape!r}")
        object.__setattr__(self, "shape", shape)
