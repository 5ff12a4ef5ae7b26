"""Per-sample axes a model folds into the batch axis: windows as (B * nW, N, C), heads as (B * h, d, N).

torch's first axis is the batch, but window attention (MaxViT, DaViT) views a map of B samples as B * nW
windows, `x.view(-1, ws, ws, C)`, and reads `B_ = x.shape[0]` back for later views. Of a contiguous tensor
that view keeps each sample's elements together, sample b in rows b * nW to (b + 1) * nW - 1, so per
sample it is exactly an (nW, ws, ws, C) tensor: archcalc keeps that shape (a leading per-sample axis, so
every figure is per sample as elsewhere) and remembers that the model sees it folded into its first axis.
Its sizes read back as (N * nW, ws, ws, C) (`BatchTimes`), its torch dims shift past the folded axis, and a
view to (B, ...) or (-1, ...) of exactly one sample's elements unfolds it. x.flatten(0, k) folds the sample's
first k axes the same way (FoldIntoBatch: LeViT's BatchNorm1d on tokens); torch_fold_ops runs the layers that
read axes by position (norms, convs, timm's Attention) on folded tensors. A view of the batch into a size
that is not a whole number of samples, or an operation on the folded first axis itself, stays refused.
"""

from __future__ import annotations

from ..core.ir import INPUT
from ..core.shape import is_symbolic, product, to_plain
from .torch_values import BATCH, Tensor, UnsupportedOp


class BatchTimes:
    """The batch size times k (k > 1, per sample): the first size of a tensor that folds k positions of each
    sample into its batch axis, or `B * heads` computed by the model."""

    def __init__(self, k):
        self.k = k

    def __repr__(self) -> str:
        return f"N*{self.k}"

    def __eq__(self, other) -> bool:
        return isinstance(other, BatchTimes) and _same(self.k, other.k)

    def __hash__(self) -> int:
        return hash(("BatchTimes", str(self.k)))

    def __mul__(self, other):
        return times(self.k, other)

    __rmul__ = __mul__

    def __floordiv__(self, other):
        return divided(self.k, other)

    __truediv__ = __floordiv__


def times(k, other):
    """BATCH * k * other, checked to be a whole size."""
    if isinstance(other, bool) or not (isinstance(other, int) or is_symbolic(other) or hasattr(other, "is_Integer")):
        raise UnsupportedOp(f"arithmetic on the batch size (times {type(other).__name__})")
    return batch_times(to_plain(k * other))


def divided(k, other):
    """BATCH * k / other: a whole number of samples' parts, or refused (windows merged across samples)."""
    if isinstance(other, float) and other.is_integer():
        other = int(other)
    if not isinstance(other, int) and not is_symbolic(other):
        raise UnsupportedOp(f"arithmetic on the batch size (divided by {type(other).__name__})")
    q = to_plain(k / other) if is_symbolic(k) or is_symbolic(other) else (k // other if k % other == 0 else None)
    if q is None or getattr(q, "is_integer", True) is False:
        raise UnsupportedOp("arithmetic on the batch size (a division that splits a sample)")
    return batch_times(q)


def batch_times(k):
    return BATCH if _same(k, 1) else BatchTimes(k)


def _same(a, b) -> bool:
    if is_symbolic(a) or is_symbolic(b):
        return bool((a - b) == 0)
    return to_plain(a) == to_plain(b)


def is_batch(value) -> bool:
    return value is BATCH or isinstance(value, BatchTimes)


class FoldingMethods:
    """Mixed into the importer (torch_importing.ImportingMethods): which tensors are folded, and torch's
    sizes and dims of them. Uses the Importer's layers and shapes."""

    def fold(self, x: Tensor) -> int:
        """How many leading per-sample axes of x the model sees inside its first axis (0: none). Recorded for
        the views that fold and unfold; any other layer keeps its inputs' (an elementwise op, a linear
        layer, a matmul and a softmax work on the trailing axes)."""
        if not self.__dict__.get("folding"):
            return 0
        folds = self.__dict__["folds"]
        todo = [x.layer]
        while todo:
            name = todo[-1]
            if name in folds:
                todo.pop()
                continue
            layer = self._layer_named(name)
            missing = [n for n in (layer.inputs if layer is not None else ()) if n not in folds]
            if missing:
                todo.extend(missing)
                continue
            f = max((folds[n] for n in layer.inputs), default=0) if layer is not None else 0
            if f and f >= self.shapes[name].rank:
                raise UnsupportedOp("an operation over the axes folded into the batch axis")
            folds[name] = f
            todo.pop()
        return folds[x.layer]

    def set_fold(self, x: Tensor, f: int) -> Tensor:
        folds = self.__dict__.setdefault("folds", {})
        if f and not self.__dict__.get("folding"):  # the first fold: every layer before it is plain
            folds.update({layer.name: 0 for layer in self.layers if layer.name not in folds})
            folds.setdefault(INPUT, 0)
            self.__dict__["folding"] = True
        folds[x.layer] = f
        return x

    def _layer_named(self, name: str):
        index = self.__dict__.setdefault("_layers_by_name", {})
        if name not in index:
            index.update({layer.name: layer for layer in self.layers})
        return index.get(name)

    def sizes(self, x: Tensor) -> tuple:
        """x.shape as the model reads it: the batch (times any folded axes), then the sample's other sizes."""
        f = self.fold(x)
        return (batch_times(product(x.shape.dims[:f])) if f else BATCH, *x.shape.dims[f:])

    def torch_rank(self, x: Tensor) -> int:
        return x.shape.rank + 1 - self.fold(x)

    def sample_dim(self, dim: int, x: Tensor) -> int:
        """A torch dim of x as the builder takes it (0 the batch; past any folded axes); negative kept."""
        if dim == 0 or dim == -self.torch_rank(x):
            raise UnsupportedOp("an operation along the batch axis")
        return dim + self.fold(x) if dim > 0 else dim

    def unfolded_order(self, x: Tensor, order: list) -> list:
        """A permute's torch order over x's builder axes: torch's axis 0 is the batch and the folded axes."""
        f = self.fold(x)
        out = []
        for o in order:
            out += list(range(f + 1)) if o == 0 else [o + f]
        return out

    def per_sample(self, x: Tensor, sizes: list) -> tuple:
        """(the sample's sizes, its fold) of a view of x to torch's `sizes`: the first the batch, the batch times
        k (k per-sample positions folded into it), or -1 for a whole number of samples' parts."""
        first, rest = sizes[0], list(sizes[1:])
        if any(is_batch(s) for s in rest):
            raise UnsupportedOp("a reshape that moves the batch axis")
        if first is BATCH:
            return rest, 0
        if isinstance(first, BatchTimes):
            return [first.k, *rest], 1
        if not _same(first, -1) or any(_same(s, -1) for s in rest if not is_batch(s)):
            raise UnsupportedOp("a reshape that does not keep the batch axis first")
        known = product(rest)
        if is_symbolic(known) or is_symbolic(x.shape.elements):
            k = to_plain(x.shape.elements / known)
        elif x.shape.elements % known:
            raise UnsupportedOp("a reshape that splits a sample across the batch axis")
        else:
            k = x.shape.elements // known
        return (rest, 0) if _same(k, 1) else ([k, *rest], 1)


class FoldIntoBatch:
    """Mixed into the importer beside FoldingMethods: x.flatten(0, end) (LeViT's LinearNorm runs BatchNorm1d on
    (B * N, C)): torch axes 1..end join the batch, each sample's rows together (the batch axis is the
    outermost, permuted or not), so per sample the tensor is unchanged and only its fold grows (one leading
    axis of their product)."""

    def fold_into_batch(self, x: Tensor, end: int, name) -> Tensor:
        from ..core import ir

        f = self.fold(x)
        if f + end >= x.shape.rank:
            raise UnsupportedOp("flatten of every axis into the batch axis")
        if f + end > 1:
            out = self.build("flatten", x, name, start_dim=1, end_dim=f + end)
        else:  # one axis folded, as it lies: a view naming the new tensor, whose fold it records
            out = self.add_layer("reshape", ir.Reshape(tuple(to_plain(d) for d in x.shape.dims), x.shape.roles),
                                 [x], name)
        return self.set_fold(out, 1)
