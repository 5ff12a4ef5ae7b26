"""The values the PyTorch importer gives each traced node: a Tensor of the IR, a Param read directly, the
batch size, Python values (sizes); and the error for an operation it cannot map."""

from __future__ import annotations

from dataclasses import dataclass

from ..core.shape import Shape


class UnsupportedOp(Exception):
    """An operation the importer cannot map (caught per node, reported all together)."""

    def __init__(self, what: str):
        super().__init__(what)
        self.what = what


@dataclass(frozen=True)
class Tensor:
    """A value of the traced program that is a tensor of the IR: its layer's name and its shape (no batch)."""

    layer: str
    shape: Shape


@dataclass(frozen=True)
class Param:
    """A parameter or buffer read directly (get_attr): its qualified name and full shape."""

    name: str
    shape: tuple
    numel: int
    trainable: bool
    is_buffer: bool


class _Batch:
    """The batch size: whatever the caller runs the model at (x.size(0), x.shape[0])."""

    def __repr__(self) -> str:
        return "N"


BATCH = _Batch()


class _Poison:
    """The value of a node that could not be mapped: anything that reads it is unsupported too."""

    def __init__(self, what):
        self.what = what
