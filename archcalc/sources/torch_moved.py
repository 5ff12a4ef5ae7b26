"""A reshape of a permute that moved the batch axis off the front, before the new first axis is indexed:
SAM's `qkv.permute(2, 0, 3, 1, 4).reshape(3, B * heads, N, -1).unbind(0)`. The new first axis (q, k, v)
stays first; each part, once indexed, is the permute's part (torch_views.Moved) reshaped to the rest of the
sizes, which may fold the heads into the batch (torch_folding). Registered in torch_functions' tables,
wrapping the reshape handlers."""

from __future__ import annotations

from .torch_functions import FUNCTIONS, METHODS
from .torch_values import UnsupportedOp
from .torch_views import Moved


class MovedThen(Moved):
    """A Moved value reshaped: each part taken from it is reshaped to `sizes` (the sizes after the first)."""

    def __init__(self, moved: Moved, sizes: list):
        super().__init__(moved.x, moved.order, moved.fold)
        self.before, self.sizes = moved, list(sizes)

    def take(self, imp, index):
        return imp.reshape(self.before.take(imp, index), self.sizes)


def _wrap(previous):
    def handler(imp, args, kwargs):
        if not (args and isinstance(args[0], Moved)):
            return previous(imp, args, kwargs)
        moved = args[0]
        sizes = args[1:] if len(args) > 2 or not isinstance(args[1] if len(args) > 1 else None, (tuple, list)) \
            else args[1]
        sizes = list(sizes or kwargs.get("shape", ()))
        first = moved.x.shape.dims[moved.order[0] - 1]
        if not sizes or sizes[0] != first:
            raise UnsupportedOp("a reshape of a permute that moved the batch axis, other than one that keeps its "
                                "new first axis")
        return MovedThen(moved, sizes[1:])
    return handler


FUNCTIONS["torch.reshape"] = _wrap(FUNCTIONS["torch.reshape"])
for _name in ("reshape", "view"):
    METHODS[_name] = _wrap(METHODS[_name])
