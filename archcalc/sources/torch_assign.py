"""The importer's handler for a write into part of a tensor (`attn[:, :, 1:, 1:] = ...`, operator.setitem):
an `assign` layer, whose output then stands for the tensor in every later use (the fx graph keeps using
the old node: torch_fx rebinds it). torch.fx's plain trace cannot record an item assignment; the sized trace
(torch_trace.py) does. Registered in torch_functions' table."""

from __future__ import annotations

from ..core.ir import Assign
from .torch_functions import FUNCTIONS
from .torch_values import Tensor, UnsupportedOp


def _entries(key, rank: int) -> tuple:
    """The per-sample index entries of a torch index (its first entry is the batch axis, whole)."""
    key = key if isinstance(key, tuple) else (key,)
    if Ellipsis in key:
        at = key.index(Ellipsis)
        key = key[:at] + (slice(None),) * (rank + 1 - (len(key) - 1)) + key[at + 1:]
    if not key or key[0] != slice(None):
        raise UnsupportedOp("a write into part of a tensor that picks from the batch axis")
    entries = []
    for entry in key[1:]:
        if isinstance(entry, int) and not isinstance(entry, bool):
            entries.append(entry)
        elif isinstance(entry, slice) and entry.step in (None, 1) and all(
                v is None or isinstance(v, int) for v in (entry.start, entry.stop)):
            entries.append((entry.start, entry.stop))
        else:
            raise UnsupportedOp(f"a write into part of a tensor indexed by {type(entry).__name__}")
    return tuple(entries)


def setitem(imp, args, kwargs):
    x, key, value = args
    if not isinstance(x, Tensor) or not isinstance(value, Tensor):
        raise UnsupportedOp("a write into part of a tensor of anything but activations")
    if imp.fold(x):
        raise UnsupportedOp("a write into part of a tensor with axes folded into the batch")
    return imp.add_layer("assign", Assign(_entries(key, x.shape.rank)), [x, value])


FUNCTIONS["operator.setitem"] = setitem
