"""The importer's handlers for the view and layout operations (flatten, reshape, permute and transpose,
mean, chunk/split/unbind, unsqueeze/squeeze): registered in torch_functions' tables."""

from __future__ import annotations

from .torch_functions import arg, both, fn, method, tensor
from .torch_values import Tensor, UnsupportedOp


# --- layout ---------------------------------------------------------------------------------------------------
@both(("torch.flatten",), ("flatten",))
def flatten(imp, args, kwargs):
    x = tensor(args[0], "flatten")
    return imp.flatten(x, arg(args, kwargs, 1, "start_dim", 0), arg(args, kwargs, 2, "end_dim", -1), None)


@both(("torch.reshape",), ("reshape", "view"))
def reshape(imp, args, kwargs):
    x = tensor(args[0], "reshape")
    sizes = args[1:] if len(args) > 2 or not isinstance(args[1] if len(args) > 1 else None, (tuple, list)) \
        else args[1]
    sizes = list(sizes or kwargs.get("shape", ()))
    return imp.reshape(x, sizes)


@both(("torch.permute",), ("permute",))
def permute(imp, args, kwargs):
    x = tensor(args[0], "permute")
    dims = args[1:] if len(args) > 2 or not isinstance(args[1] if len(args) > 1 else None, (tuple, list)) \
        else args[1]
    dims = [int(d) % imp.torch_rank(x) for d in (dims or kwargs.get("dims"))]
    order = imp.unfolded_order(x, dims)
    if dims and dims[0] != 0:  # the batch moves: only an index on the new first axis can follow (q, k, v)
        return Moved(x, order, imp.fold(x))
    return imp.build("permute", x, None, dims=order)


class Moved:
    """x.permute(order) with the batch axis moved off the front (timm's qkv.permute(2, 0, 3, 1, 4)): kept
    unmade until the new first axis is indexed (q, k, v = qkv.unbind(0) or qkv[0]), which becomes a select
    on that axis and a permute that keeps the batch first."""

    def __init__(self, x: Tensor, order: list, fold: int = 0):
        self.x, self.order, self.fold = x, order, fold  # order over the builder's axes (torch_folding)

    def take(self, imp, index) -> Tensor:
        if not isinstance(index, int):
            raise UnsupportedOp("a permute that moves the batch axis, other than one followed by an index")
        axis = self.order[0]
        picked = imp.build("select", self.x, None, dim=axis, index=index)
        rest = [o - (o > axis) for o in self.order[1:]]
        if rest[:self.fold + 1] != list(range(self.fold + 1)):
            raise UnsupportedOp("a permute that moves the batch axis twice")
        out = picked if rest == sorted(rest) else imp.build("permute", picked, None, dims=rest)
        return imp.set_fold(out, self.fold)

    def unbind(self, imp) -> tuple:
        size = self.x.shape.dims[self.order[0] - 1]
        return tuple(self.take(imp, i) for i in range(int(size)))


@both(("torch.transpose",), ("transpose",))
def transpose(imp, args, kwargs):
    x = tensor(args[0], "transpose")
    dim0, dim1 = (imp.sample_dim(int(d), x) for d in (arg(args, kwargs, 1, "dim0"), arg(args, kwargs, 2, "dim1")))
    return imp.build("transpose", x, None, dim0=dim0, dim1=dim1)


@method("contiguous")
def contiguous(imp, args, kwargs):
    return imp.build("contiguous", tensor(args[0], "contiguous"), None)


def _reduce(kind: str, what: str):
    """x.mean(dim) / x.sum(dim) over the axes named (never the whole tensor: that takes in the batch)."""
    def handler(imp, args, kwargs):
        x = tensor(args[0], what)
        dims = arg(args, kwargs, 1, "dim")
        if dims is None:
            raise UnsupportedOp(f"{what} over every axis, the batch included")
        dims = list(dims) if isinstance(dims, (list, tuple)) else [dims]
        return imp.build(kind, x, None, dim=[imp.torch_dim(d, x) for d in dims],
                         keepdim=bool(arg(args, kwargs, 2, "keepdim", False)))
    return handler


both(("torch.mean",), ("mean",))(_reduce("reduce_mean", "mean"))
both(("torch.sum",), ("sum",))(_reduce("reduce_sum", "sum"))


@both(("torch.chunk",), ("chunk",))
def chunk(imp, args, kwargs):
    x = tensor(args[0], "chunk")
    chunks, dim = arg(args, kwargs, 1, "chunks"), arg(args, kwargs, 2, "dim", 0)
    size = imp.axis_size(x, dim)
    step = -(-size // chunks)
    return imp.split(x, [min(step, size - s) for s in range(0, size, step)], dim)


@both(("torch.split",), ("split",))
def split(imp, args, kwargs):
    x = tensor(args[0], "split")
    sizes, dim = arg(args, kwargs, 1, "split_size_or_sections"), arg(args, kwargs, 2, "dim", 0)
    size = imp.axis_size(x, dim)
    if isinstance(sizes, int):
        sizes = [min(sizes, size - s) for s in range(0, size, sizes)]
    return imp.split(x, list(sizes), dim)


@both(("torch.unbind",), ("unbind",))
def unbind(imp, args, kwargs):
    dim = arg(args, kwargs, 1, "dim", 0)
    if isinstance(args[0], Moved) and dim == 0:
        return args[0].unbind(imp)
    x = tensor(args[0], "unbind")
    return tuple(imp.build("select", x, None, dim=imp.torch_dim(dim, x), index=i)
                 for i in range(imp.axis_size(x, dim)))


@both(("torch.unsqueeze",), ("unsqueeze",))
def unsqueeze(imp, args, kwargs):
    x = tensor(args[0], "unsqueeze")
    sizes = list(imp.sizes(x))
    dim = int(arg(args, kwargs, 1, "dim"))
    dim = dim if dim >= 0 else len(sizes) + 1 + dim
    if dim == 0:
        raise UnsupportedOp("unsqueeze before the batch axis")
    return imp.reshape(x, sizes[:dim] + [1] + sizes[dim:])


@both(("torch.squeeze",), ("squeeze",))
def squeeze(imp, args, kwargs):
    x = tensor(args[0], "squeeze")
    dim = arg(args, kwargs, 1, "dim")
    first, *dims = imp.sizes(x)
    if dim is None:
        keep = [d for d in dims if d != 1]
    elif int(dim) == 0 or int(dim) == -len(dims) - 1:
        raise UnsupportedOp("squeeze of the batch axis")
    else:
        at = (int(dim) - 1) if int(dim) > 0 else len(dims) + int(dim)
        keep = dims[:at] + dims[at + 1:] if dims[at] == 1 else dims
    return x if keep == dims else imp.reshape(x, [first, *keep])


@method("expand")
def expand(imp, args, kwargs):
    raise UnsupportedOp(".expand() of an activation")


BROADCASTS = ("operator.mul", "operator.add", "operator.sub", "operator.truediv", "torch.mul", "torch.add",
              "mul", "add", "sub", "div")


@method("expand_as")
def expand_as(imp, args, kwargs):
    """y.expand_as(x) read only by elementwise joins (ECA's x * gate.expand_as(x)): a view that the join's own
    broadcast makes anyway, so the join takes y itself; any other reader would see the wrong shape: refused."""
    y, x = tensor(args[0], "expand_as"), args[1]
    users = list(imp.node.users) if imp.node is not None else []
    if not isinstance(x, Tensor) or not users or any(_target(u) not in BROADCASTS for u in users):
        raise UnsupportedOp(".expand_as() of an activation, other than into an elementwise join")
    if y.shape.rank > x.shape.rank:
        raise UnsupportedOp(".expand_as() to a tensor of fewer axes")
    return y


def _target(node) -> str:
    if node.op == "call_method":
        return node.target
    if node.op == "call_function":
        from .torch_functions import function_key

        return function_key(node.target)
    return ""


@fn("torch.stack")
def stack(imp, args, kwargs):
    """torch.stack(tensors, dim): each with a unit axis at dim (a view), then one concat along it."""
    parts = list(arg(args, kwargs, 0, "tensors"))
    dim = int(arg(args, kwargs, 1, "dim", 0))
    if not parts or not all(isinstance(p, Tensor) for p in parts):
        raise UnsupportedOp("torch.stack of anything but activations")
    rank = imp.torch_rank(parts[0]) + 1  # with the batch, after the new axis
    dim = dim % rank
    if dim == 0:
        raise UnsupportedOp("torch.stack along the batch axis")
    grown = [imp.reshape(p, [*imp.sizes(p)[:dim], 1, *imp.sizes(p)[dim:]]) for p in parts]
    return imp.build("concat", grown, None, dim=imp.sample_dim(dim, grown[0]))
