"""The importer's handler for branches stacked on a new first axis and then averaged or summed over it
(CrossViT's head: `torch.mean(torch.stack([head(x) for ...], dim=0), dim=0)`): a mean (or add) join of the
branches. The stacked tensor itself, with a new axis before the batch, exists in no other form in the IR,
so any other use of it stays refused. Registered in torch_functions' tables, wrapping the stack and
reduce handlers."""

from __future__ import annotations

from .torch_functions import FUNCTIONS, METHODS
from .torch_values import Tensor, UnsupportedOp


class Stacked:
    """Activations stacked along a new axis 0, in front of the batch: waiting for a reduction over it."""

    def __init__(self, tensors):
        self.tensors = list(tensors)


def _dim(args, kwargs, position: int):
    return kwargs.get("dim", args[position] if len(args) > position else None)


def _stack(inner):
    def handler(imp, args, kwargs):
        tensors = args[0] if args else kwargs.get("tensors")
        stacked_first = _dim(args, kwargs, 1) in (0, None)  # dim 0, torch's default
        if stacked_first and tensors and all(isinstance(t, Tensor) for t in tensors):
            return Stacked(tensors)
        return inner(imp, args, kwargs)
    return handler


def _reduce(inner, join: str):
    def handler(imp, args, kwargs):
        if args and isinstance(args[0], Stacked):
            dim = _dim(args, kwargs, 1)
            if dim != 0 or kwargs.get("keepdim"):
                raise UnsupportedOp("a reduction of stacked branches other than over the new axis 0")
            tensors = args[0].tensors
            return tensors[0] if len(tensors) == 1 else imp.build(join, tensors, None)
        return inner(imp, args, kwargs)
    return handler


FUNCTIONS["torch.stack"] = _stack(FUNCTIONS["torch.stack"])
for _join, _name in (("mean", "mean"), ("add", "sum")):
    FUNCTIONS[f"torch.{_name}"] = _reduce(FUNCTIONS[f"torch.{_name}"], _join)
    METHODS[_name] = _reduce(METHODS[_name], _join)
