"""Attribute type of `param_matmul` (re-exported by core/ir.py): x @ P with a learned P of any rank."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ..errors import GraphError


@dataclass(frozen=True)
class ParamMatmul:
    """torch.matmul(x, P) with a learned P of `shape` (no batch axis; its leading axes broadcast against
    x's as torch.matmul broadcasts): SAM's and MViT-v2's decomposed relative positions, an einsum of the
    queries with a table gathered from a learned one. params / buffers: the elements P is made from (None:
    P's own elements are the parameters)."""

    shape: tuple
    params: Optional[int] = None
    buffers: int = 0

    def __post_init__(self):
        shape = tuple(self.shape)
        if len(shape) < 2 or not all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in shape):
            raise GraphError(f"param_matmul: shape must be 2 or more positive integers, got {self.shape!r}")
        object.__setattr__(self, "shape", shape)
