"""The importer's torch.einsum of an activation and a learned tensor (SAM's and MViT-v2's decomposed
relative positions: `torch.einsum("bhwc,hkc->bhwk", q, rel_h)`, rel_h gathered from a learned table).

The equation is read as one matrix product: x's axes are put in the order (letters shared with P and kept,
letters of x alone, letters summed) and reshaped to (shared..., X, K); P (a parameter, its layout free) to
(shared..., K, M); one `param_matmul` gives (shared..., X, M), n x k x m MACs for each shared index, as the
bmm torch runs (FlopCounterMode); a reshape and a permute give the equation's output order. A letter of x
alone that the output drops (a sum over it), or any other form, is refused by name. Registered in
torch_functions' table, wrapping torch_einsum's handler."""

from __future__ import annotations

from ..core.shape import product
from .torch_functions import FUNCTIONS
from .torch_values import Param, Tensor, UnsupportedOp
from .torch_einsum import _parse


def _letters(imp, equation: str, x: Tensor, p: Param, x_first: bool) -> tuple:
    """(x's letters without the batch, P's letters, the output's without the batch), checked."""
    a, b, out = _parse(equation)
    xl, pl = (a, b) if x_first else (b, a)
    refuse = UnsupportedOp(f"torch.einsum '{equation}' of an activation and a parameter (not one matrix product "
                           "with the batch letter first)")
    if not xl or not out or xl[0] != out[0] or xl[0] in pl or len(xl) != imp.torch_rank(x) \
            or len(pl) != len(p.shape):
        raise refuse
    xl, out = xl[1:], out[1:]
    if len(set(xl)) != len(xl) or len(set(pl)) != len(pl) or set(out) - set(xl + pl) or len(set(out)) != len(out):
        raise refuse
    if any(c not in out and c not in pl for c in xl) or any(c not in out and c not in xl for c in pl):
        raise refuse  # a sum over one operand's own letter
    return xl, pl, out


def _permute(imp, x: Tensor, order: list) -> Tensor:
    """x's torch axes after the batch put in `order` (a no-op where it is already)."""
    if order == sorted(order):
        return x
    return imp.build("permute", x, None, dims=imp.unfolded_order(x, [0] + [1 + i for i in order]))


def _build(imp, equation: str, x: Tensor, p: Param, x_first: bool) -> Tensor:
    xl, pl, out = _letters(imp, equation, x, p, x_first)
    size = dict(zip(xl, imp.sizes(x)[1:]))
    psize = dict(zip(pl, p.shape))
    shared = [c for c in xl if c in pl and c in out]
    alone = [c for c in xl if c not in pl]
    summed = [c for c in xl if c in pl and c not in out]
    own = [c for c in pl if c not in xl]
    if any(size[c] != psize[c] for c in shared + summed):
        raise UnsupportedOp(f"torch.einsum '{equation}' with a letter of two sizes")
    size.update({c: psize[c] for c in own})
    x = _permute(imp, x, [xl.index(c) for c in shared + alone + summed])
    rows, inner, cols = product(size[c] for c in alone), product(size[c] for c in summed), product(size[c] for c in own)
    x = imp.reshape(x, [imp.sizes(x)[0], *(size[c] for c in shared), rows, inner])
    fresh = [(n, buffer) for name, n, buffer in p.sources() if name not in imp.params_seen]
    imp.uses(p)
    y = imp.build("param_matmul", x, None, shape=[*(size[c] for c in shared), inner, cols],
                  params=sum(n for n, b in fresh if not b), buffers=sum(n for n, b in fresh if b))
    made = shared + alone + own
    y = imp.reshape(y, [imp.sizes(y)[0], *(size[c] for c in made)])
    return _permute(imp, y, [made.index(c) for c in out])


def _wrap(previous):
    def einsum(imp, args, kwargs):
        operands = list(args[1:])
        if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
            operands = list(operands[0])
        if len(operands) == 2 and {type(v) for v in operands} != {Param} and all(
                isinstance(v, (Tensor, Param)) for v in operands) and any(isinstance(v, Param) for v in operands):
            x_first = isinstance(operands[0], Tensor)
            x, p = operands if x_first else operands[::-1]
            return _build(imp, args[0], x, p, x_first)
        return previous(imp, args, kwargs)
    return einsum


FUNCTIONS["torch.einsum"] = _wrap(FUNCTIONS["torch.einsum"])
