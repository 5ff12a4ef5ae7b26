"""The importer's helpers that turn torch's calling conventions into builder calls: sizes read from tensors
(with the batch apart), indexing, reshapes, pads in torch's order, splits, parameters used directly (a class
token, a position embedding, a layer scale). Mixed into torch_fx.Importer."""

from __future__ import annotations

from ..core import ir
from ..core.shape import is_symbolic, to_plain
from .torch_folding import FoldIntoBatch, FoldingMethods
from .torch_values import Param, Tensor, UnsupportedOp


def _same(a, b) -> bool:
    if is_symbolic(a) or is_symbolic(b):
        return bool((a - b) == 0)
    return to_plain(a) == to_plain(b)


class ImportingMethods(FoldingMethods, FoldIntoBatch):
    """Uses the Importer's build, add_layer, node, params_seen (and layers, shapes: torch_folding)."""

    def torch_dim(self, dim, x: Tensor):
        """torch's dim as the builder takes it (the builder refuses the batch axis, dim 0), past any axes the
        model folds into the batch (torch_folding)."""
        if isinstance(dim, bool) or not isinstance(dim, int):
            raise UnsupportedOp(f"a dim that is not a number ({dim!r})")
        return self.sample_dim(dim, x) if dim else dim

    def node_target_name(self) -> str:
        from .torch_functions import function_key

        return function_key(self.node.target)

    def axis_size(self, x: Tensor, dim: int) -> int:
        if dim == 0:
            raise UnsupportedOp("splitting along the batch axis")
        dim = self.sample_dim(dim, x)
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
        rank, f = self.torch_rank(x), self.fold(x)
        start, end = start % rank, end % rank
        if start == 0:
            return self.fold_into_batch(x, end, name)
        if start == end:
            return x
        return self.build("flatten", x, name, start_dim=start + f, end_dim=end + f)

    def reshape(self, x: Tensor, sizes: list) -> Tensor:
        """view/reshape: the first size must be the batch (x.size(0)), the batch times k per-sample positions
        (windows: torch_folding), or -1 for a whole number of samples' parts."""
        if not sizes:
            raise UnsupportedOp("a reshape to no sizes")
        per, f = self.per_sample(x, list(sizes))
        if not per:
            raise UnsupportedOp("a reshape to the batch alone")
        if all(isinstance(s, int) and not isinstance(s, bool) for s in per):
            return self.set_fold(self.build("reshape", x, None, sizes=per), f)
        return self.set_fold(self.add_layer("reshape", ir.Reshape(tuple(to_plain(s) for s in per)), [x]), f)

    def index(self, x: Tensor, index) -> Tensor:
        """x[...] with ints (select), slices of step 1, None (a unit axis) and an Ellipsis; the batch axis whole."""
        index = index if isinstance(index, tuple) else (index,)
        if not index or index[0] != slice(None) and index[0] is not Ellipsis:
            raise UnsupportedOp("indexing the batch axis")
        if Ellipsis in index:
            at = index.index(Ellipsis)
            fill = self.torch_rank(x) - sum(1 for i in index if i is not Ellipsis and i is not None)
            index = index[:at] + (slice(None),) * fill + index[at + 1:]
        index = index[:1] + (slice(None),) * self.fold(x) + index[1:]  # the axes folded into the batch: whole
        dim, out = 1, x
        for item in index[1:]:
            if item is None:  # a new unit axis here: x[:, :, None]
                sizes = list(self.sizes(out))
                at = dim - self.fold(out)
                out = self.reshape(out, sizes[:at] + [1] + sizes[at:])
                dim += 1
                continue
            if isinstance(item, bool):
                raise UnsupportedOp("indexing with a boolean")
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
        parts, start, dim = [], 0, self.sample_dim(dim, x)
        for size in sizes:
            parts.append(self.build("slice", x, None, start=start, stop=start + size, dim=dim))
            start += size
        return tuple(parts)

    def read_as(self, x: Tensor, roles: str, name=None) -> Tensor:
        """x with its axes named anew (a view): what a layer that reads axes by position takes them for."""
        if x.shape.roles == roles:
            return x
        return self.add_layer("reshape", ir.Reshape(tuple(to_plain(d) for d in x.shape.dims), roles), [x], name)

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
        one (before, after) pair per spatial or token axis in axis order (CoaT pads heads x tokens x width by
        one token: (0, 0, 1, 0, 0, 0)). torch pads an axis by its position, whatever a model meant by it:
        another axis padded (BoTNet's relative logits, a linear layer's outputs shifted by one; EfficientViT's
        values given a row of ones) is named a token axis first, by a view. The channels of a channels-first
        map, the batch axis and the axes a model folded into it are never padded."""
        pairs = [tuple(pads[i:i + 2]) for i in range(0, len(pads), 2)][::-1]
        rank, roles = x.shape.rank, x.shape.roles
        if len(pairs) > self.torch_rank(x) - 1:
            raise UnsupportedOp("padding the batch axis")
        pairs = [(0, 0)] * (rank - len(pairs)) + pairs
        other = [i for i, p in enumerate(pairs) if roles[i] not in "ST" and tuple(p) != (0, 0)]
        if other and x.shape.channels_first:  # a map's channels (pad_channels' job, a shortcut's): not a token
            raise UnsupportedOp("padding the channel axis")
        if other:
            roles = "".join("T" if i in other else r for i, r in enumerate(roles))
            x = self.read_as(x, roles, f"{name}.axes" if name else None)
        places = [i for i, r in enumerate(roles) if r in "ST"]
        if len(places) > 3:
            raise UnsupportedOp(f"padding a tensor of {len(places)} spatial or token axes (at most 3)")
        return self.build("pad", x, name, pads=[list(pairs[i]) for i in places], value=value, dims=len(places))

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
        if all(name in self.params_seen for name, _, _ in p.sources()):
            return self.learned(kind, x, p, dims)  # counted by an earlier layer: no pos_embed or scale again
        if kind == "add" and len(dims) == x.shape.rank and all(_same(a, b) for a, b in zip(dims, x.shape.dims)) \
                and x.shape.rank == 2 and x.shape.roles[-1] == "C" \
                and len(p.sources()) == 1 and p.sources()[0][1] == _elements(dims):  # tokens x channels of one
            # parameter as it is; else (resampled to another grid: NaFlexViT) a learned bias of its elements
            self.uses(p)
            return self.build("pos_embed", x, None)
        channel = x.shape.roles.find("C")
        per_channel = [1] * x.shape.rank
        if channel >= 0:
            per_channel[channel] = x.shape.dims[channel]
        if kind == "mul" and channel >= 0 and p.numel == x.shape.dims[channel] and \
                not any(buffer for _, _, buffer in p.sources()) and \
                list(dims) == per_channel[len(per_channel) - len(dims):]:  # a learned scale; a buffer: a gain
            self.uses(p)
            return self.build("scale", x, None)
        return self.learned(kind, x, p, dims)

    def learned(self, kind: str, x: Tensor, p: Param, dims: tuple) -> Tensor:
        """Any other parameter joined to x: the bias or gain kind, with the elements it is made of."""
        if len(dims) > x.shape.rank:
            raise UnsupportedOp(f"{kind} of an activation and a parameter of shape {tuple(p.shape)}")
        fresh = [(n, buffer) for name, n, buffer in p.sources() if name not in self.params_seen]
        params = sum(n for n, buffer in fresh if not buffer)  # a parameter used again (CaiT's class token, in
        buffers = sum(n for n, buffer in fresh if buffer)  # its concat and its residual add) counts once
        self.uses(p)
        return self.build("bias" if kind == "add" else "gain", x, None, shape=list(dims), params=params,
                          buffers=buffers)


def _elements(dims) -> int:
    """Elements of a shape (sizes may be symbolic: then never equal to a parameter's count)."""
    total = 1
    for d in dims:
        total = total * d
    return total
