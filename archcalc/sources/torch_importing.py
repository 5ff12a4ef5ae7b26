"""The importer's helpers that turn torch's calling conventions into builder calls: sizes read from tensors
(with the batch apart), indexing, reshapes, pads in torch's order, splits, parameters used directly (a class
token, a position embedding, a layer scale). Mixed into torch_fx.Importer."""

from __future__ import annotations

from ..core import ir
from ..core.shape import is_symbolic, product, to_plain
from .torch_values import BATCH, Param, Tensor, UnsupportedOp


def _same(a, b) -> bool:
    if is_symbolic(a) or is_symbolic(b):
        return bool((a - b) == 0)
    return to_plain(a) == to_plain(b)


class ImportingMethods:
    """Uses the Importer's build, add_layer, node, params_seen."""

    def torch_dim(self, dim, x: Tensor):
        """torch's dim as the builder takes it (the builder refuses the batch axis, dim 0)."""
        if isinstance(dim, bool) or not isinstance(dim, int):
            raise UnsupportedOp(f"a dim that is not a number ({dim!r})")
        return dim

    def node_target_name(self) -> str:
        from .torch_functions import function_key

        return function_key(self.node.target)

    def sizes(self, x: Tensor) -> tuple:
        """x.shape as the model reads it: the batch, then the sample's sizes."""
        return (BATCH, *x.shape.dims)

    def axis_size(self, x: Tensor, dim: int) -> int:
        if dim == 0:
            raise UnsupportedOp("splitting along the batch axis")
        size = x.shape.dims[dim - 1 if dim > 0 else dim]
        if is_symbolic(size):
            raise UnsupportedOp("a split along an axis of symbolic size")
        return to_plain(size)

    def uses(self, *params) -> None:
        """Parameters read directly by an operation: counted by that operation's layer."""
        for p in params:
            if isinstance(p, Param):
                self.params_seen.update(name for name, _, _ in p.sources())
            elif p is not None:
                raise UnsupportedOp(f"a computed weight ({type(p).__name__})")

    def uses_tracked(self, running_mean) -> None:
        """A batch norm's num_batches_tracked buffer, beside its running mean, belongs to the same layer."""
        if isinstance(running_mean, Param) and running_mean.name.endswith("running_mean"):
            self.params_seen.add(running_mean.name[: -len("running_mean")] + "num_batches_tracked")

    # --- layout --------------------------------------------------------------------------------------------
    def flatten(self, x: Tensor, start: int, end: int, name) -> Tensor:
        rank = x.shape.rank + 1
        start, end = start % rank, end % rank
        if start == 0:
            raise UnsupportedOp("flatten of the batch axis (start_dim 0)")
        if start == end:
            return x
        return self.build("flatten", x, name, start_dim=start, end_dim=end)

    def reshape(self, x: Tensor, sizes: list) -> Tensor:
        """view/reshape: the first size must be the batch (x.size(0)), or -1 standing for it."""
        if sizes and sizes[0] is BATCH:
            per = sizes[1:]
        elif sizes and sizes[0] == -1 and BATCH not in sizes and -1 not in sizes[1:] and \
                _same(product(sizes[1:]), x.shape.elements):
            per = sizes[1:]
        else:
            raise UnsupportedOp("a reshape that does not keep the batch axis first")
        if BATCH in per:
            raise UnsupportedOp("a reshape that moves the batch axis")
        if not per:
            raise UnsupportedOp("a reshape to the batch alone")
        if all(isinstance(s, int) and not isinstance(s, bool) for s in per):
            return self.build("reshape", x, None, sizes=per)
        return self.add_layer("reshape", ir.Reshape(tuple(to_plain(s) for s in per)), [x])

    def index(self, x: Tensor, index) -> Tensor:
        """x[...] with ints (select), slices of step 1 and an Ellipsis; the batch axis taken whole."""
        index = index if isinstance(index, tuple) else (index,)
        if not index or index[0] != slice(None) and index[0] is not Ellipsis:
            raise UnsupportedOp("indexing the batch axis")
        if Ellipsis in index:
            at = index.index(Ellipsis)
            fill = x.shape.rank + 1 - (len(index) - 1)
            index = index[:at] + (slice(None),) * fill + index[at + 1:]
        dim, out = 1, x
        for item in index[1:]:
            if isinstance(item, bool) or item is None:
                raise UnsupportedOp("indexing with None or a boolean")
            if isinstance(item, int):
                size = out.shape.dims[dim - 1]
                position = item + size if item < 0 and not is_symbolic(size) else item
                out = self.build("select", out, None, dim=dim, index=position)
                continue
            if not isinstance(item, slice) or item.step not in (None, 1) or \
                    any(v is not None and not isinstance(v, int) for v in (item.start, item.stop)):
                raise UnsupportedOp(f"indexing with {type(item).__name__} (a slice of step 1 with whole-number ends)")
            if item != slice(None):
                size = out.shape.dims[dim - 1]
                start, stop, _ = item.indices(size) if not is_symbolic(size) else (item.start or 0, item.stop, 1)
                if stop is None:
                    raise UnsupportedOp("an open slice of a symbolic axis")
                out = self.build("slice", out, None, start=start, stop=stop, dim=dim)
            dim += 1
        return out

    def split(self, x: Tensor, sizes: list, dim: int) -> tuple:
        parts, start = [], 0
        for size in sizes:
            parts.append(self.build("slice", x, None, start=start, stop=start + size, dim=dim))
            start += size
        return tuple(parts)

    # --- layers with torch's conventions ---------------------------------------------------------------------
    def adaptive(self, kind: str, x: Tensor, output, dims: int, name) -> Tensor:
        sizes = list(output) if isinstance(output, (list, tuple)) else [output] * dims
        spatial = x.shape.spatial
        sizes = [spatial[i] if s is None else s for i, s in enumerate(sizes)]  # None keeps the input's size
        return self.build(kind, x, name, output=tuple(sizes), dims=dims)

    def upsample(self, x: Tensor, size, scale, mode, align_corners, name) -> Tensor:
        return self.build("upsample", x, name, size=size, scale=scale, mode=mode, align_corners=align_corners,
                          dims=len(x.shape.spatial))

    def pad(self, x: Tensor, pads: tuple, value: float, name) -> Tensor:
        """torch's pads run from the last axis backwards (left, right, top, bottom, ...); the pad kind takes
        one (before, after) pair per spatial axis in axis order."""
        pairs = [tuple(pads[i:i + 2]) for i in range(0, len(pads), 2)][::-1]
        axes = len(x.shape.spatial)
        if len(pairs) > axes:
            raise UnsupportedOp("padding the channel axis")
        pairs = [(0, 0)] * (axes - len(pairs)) + pairs
        return self.build("pad", x, name, pads=[list(p) for p in pairs], value=value, dims=axes)

    # --- parameters used by operations ----------------------------------------------------------------------
    def class_token(self, x: Tensor, params: list, dim) -> Tensor:
        if dim != 1 or any(len(p.shape) != 3 or p.shape[0] != 1 for p in params):
            raise UnsupportedOp("torch.cat of parameters other than tokens before the sequence")
        self.uses(*params)
        return self.build("class_token", x, None, count=sum(p.shape[1] for p in params))

    def with_param(self, kind: str, x: Tensor, p: Param) -> Tensor:
        """x + P (a position embedding of x's shape) or x * P (one factor per channel: a layer scale)."""
        dims = tuple(d for d in p.shape)
        while dims and dims[0] == 1 and len(dims) > x.shape.rank:
            dims = dims[1:]
        if kind == "add" and len(dims) == x.shape.rank and all(_same(a, b) for a, b in zip(dims, x.shape.dims)):
            self.uses(p)
            return self.build("pos_embed", x, None)
        channel = x.shape.roles.find("C")
        per_channel = [1] * x.shape.rank
        if channel >= 0:
            per_channel[channel] = x.shape.dims[channel]
        if kind == "mul" and channel >= 0 and p.numel == x.shape.dims[channel] and \
                list(dims) == per_channel[len(per_channel) - len(dims):]:
            self.uses(p)
            return self.build("scale", x, None)
        return self.learned(kind, x, p, dims)

    def learned(self, kind: str, x: Tensor, p: Param, dims: tuple) -> Tensor:
        """Any other parameter joined to x: the bias or gain kind, with the elements it is made of."""
        if len(dims) > x.shape.rank:
            raise UnsupportedOp(f"{kind} of an activation and a parameter of shape {tuple(p.shape)}")
        params = sum(n for _, n, buffer in p.sources() if not buffer)
        buffers = sum(n for _, n, buffer in p.sources() if buffer)
        self.uses(p)
        return self.build("bias" if kind == "add" else "gain", x, None, shape=list(dims), params=params,
                          buffers=buffers)
