"""x.expand(...) of a tensor with per-sample axes folded into its batch (torch_folding): BoTNet's relative
logits, `x.reshape(B * heads, H, 1, W, W).expand(-1, -1, H, -1, -1)`, stretch a unit axis of each of the
heads folded into the first axis. The first size keeps the folded batch (-1, or the same B * heads), so per
sample the view is the expand of the sample's (heads, ...) tensor with the folded axes kept: the expand kind
(a view, no arithmetic). Registered over torch_reductions' expand (imported after it in torch_functions)."""

from __future__ import annotations

from ..core.ir import Expand
from ..core.shape import is_symbolic
from .torch_functions import METHODS
from .torch_values import Tensor, UnsupportedOp


def folded_expand(imp, x: Tensor, sizes: list) -> Tensor:
    f = imp.fold(x)
    if len(sizes) != imp.torch_rank(x):
        raise UnsupportedOp(".expand() of folded samples to a new number of axes")
    if not (isinstance(sizes[0], int) and sizes[0] == -1 or sizes[0] == imp.sizes(x)[0]):
        raise UnsupportedOp(".expand() of folded samples to another first size")
    rest = [d if isinstance(s, int) and s == -1 else s for s, d in zip(sizes[1:], x.shape.dims[f:])]
    per = (*x.shape.dims[:f], *rest)
    if any(is_symbolic(s) for s in per):
        out = imp.add_layer("expand", Expand(per), [x])
    else:
        out = imp.build("expand", x, None, sizes=per)
    return imp.set_fold(out, f)


def _expand(previous):
    def expand(imp, args, kwargs):
        x = args[0] if args else None
        if not isinstance(x, Tensor) or not imp.fold(x):
            return previous(imp, args, kwargs)
        sizes = list(args[1:]) or list(kwargs.get("size", ()))
        if len(sizes) == 1 and isinstance(sizes[0], (list, tuple)):
            sizes = list(sizes[0])
        return folded_expand(imp, x, sizes)
    expand.__doc__ = previous.__doc__
    return expand


METHODS["expand"] = _expand(METHODS["expand"])
