"""The importer's handlers for tensors computed from parameters alone (a gain reshaped to 1xCx1x1, a relative
position bias gathered from its table by an index buffer, a weight scaled by a constant), and for the
attributes a model reads to place them (dtype, device). Registered in torch_functions' tables; the layers
with a computed weight or bias (torch_derived) and modules run on parameters (torch_param_modules) are
imported at the end. forget_proxies: a module's cache of such tensors, cleared after each trace."""

from __future__ import annotations

from ..core.shape import product
from .torch_functions import METHODS, arg
from .torch_values import Param, Tensor, UnsupportedOp


class Attribute:
    """A tensor's dtype or device, read by the model only to make other tensors alike: `.to(x.dtype)`."""

    def __init__(self, what: str):
        self.what = what

    def __repr__(self) -> str:
        return f"<{self.what}>"


def _resolve_sizes(shape: tuple, sizes) -> tuple:
    sizes = list(sizes[0]) if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else list(sizes)
    if any(not isinstance(s, int) for s in sizes):
        raise UnsupportedOp("a parameter reshaped to a size computed from the input")
    if -1 in sizes:
        known = product(s for s in sizes if s != -1)
        sizes[sizes.index(-1)] = product(shape) // known
    return tuple(sizes)


def param_method(name: str, args, kwargs):
    """A tensor method called on a parameter: the derived tensor's shape, no layer."""
    p, rest = args[0], args[1:]
    shape = p.shape
    if name in ("reshape", "view"):
        return p.derived(_resolve_sizes(shape, rest or (kwargs.get("shape"),)))
    if name == "unsqueeze":
        dim = rest[0] if rest else kwargs["dim"]
        dim = dim if dim >= 0 else len(shape) + 1 + dim
        return p.derived(shape[:dim] + (1,) + shape[dim:])
    if name == "squeeze":
        return p.derived(tuple(d for d in shape if d != 1) if not rest else
                         tuple(d for i, d in enumerate(shape) if i != rest[0] % len(shape) or d != 1))
    if name in ("permute",):
        order = rest[0] if len(rest) == 1 and isinstance(rest[0], (tuple, list)) else rest
        return p.derived(tuple(shape[o] for o in order))
    if name in ("transpose",):
        a, b = (r % len(shape) for r in rest[:2])
        order = list(range(len(shape)))
        order[a], order[b] = b, a
        return p.derived(tuple(shape[o] for o in order))
    if name == "flatten":
        start = arg(rest, kwargs, 0, "start_dim", 0) % max(len(shape), 1)
        end = arg(rest, kwargs, 1, "end_dim", -1) % max(len(shape), 1)
        return p.derived(shape[:start] + (product(shape[start:end + 1]),) + shape[end + 1:])
    if name in ("expand", "expand_as", "to", "type_as", "float", "contiguous", "clone", "detach", "half",
                "exp", "sigmoid", "abs", "neg", "relu", "softmax", "clamp", "clamp_min", "clamp_max"):
        return p  # the same elements (an expand to the batch, a cast): counted once, by whoever uses it
    raise UnsupportedOp(f"tensor method .{name}() of a parameter")


def index_param(p: Param, index):
    """table[index] with an index buffer (a relative position bias), alone or among slices and ints
    (EfficientFormer's and LeViT's attention_biases[:, idxs]): the shape torch's indexing gives, from the
    table and the index buffer (both counted, once, by the layer that uses the result)."""
    items = index if isinstance(index, tuple) else (index,)
    for i in items:
        if isinstance(i, bool) or not (isinstance(i, (int, slice, Param)) or i is None or i is Ellipsis):
            what = "an activation" if isinstance(i, Tensor) else f"a {type(i).__name__}"
            raise UnsupportedOp(f"indexing a parameter by {what}")
    import torch

    def meta(i):
        return torch.zeros(i.shape, dtype=torch.long, device="meta") if isinstance(i, Param) else i

    table = torch.empty(p.shape, device="meta")
    shape = table[tuple(meta(i) for i in items) if isinstance(index, tuple) else meta(index)].shape
    return p.derived(tuple(shape), *(i for i in items if isinstance(i, Param)))


def forget_proxies(root) -> None:
    """Drop the trace's values a module kept in a dict of its own: EfficientFormer and LeViT cache their
    gathered attention biases per device (`cache[str(x.device)] = ...`), which under torch.fx stores a Proxy
    of this trace; the next trace of the same module (another input size) would read that stale node."""
    import torch.fx

    for module in root.modules() if hasattr(root, "modules") else ():
        for value in list(vars(module).values()):
            if isinstance(value, dict):
                for key in [k for k, v in value.items() if isinstance(v, torch.fx.Proxy)]:
                    del value[key]


def register() -> None:
    for name in ("reshape", "view", "unsqueeze", "squeeze", "permute", "transpose", "flatten", "expand",
                 "expand_as", "to", "type_as", "float", "contiguous", "clone", "detach", "half", "exp",
                 "sigmoid", "abs", "neg", "clamp", "clamp_min", "clamp_max"):
        METHODS[name] = _dispatch(name, METHODS.get(name))


def _dispatch(name, on_tensor):
    def handler(imp, args, kwargs):
        if args and isinstance(args[0], Param):
            return param_method(name, args, kwargs)
        if args and isinstance(args[0], Tensor) and name in ("to", "type_as", "float", "detach", "clone"):
            return _cast(imp, name, args, kwargs)
        if on_tensor is None:
            raise UnsupportedOp(f"tensor method .{name}() of an activation")
        return on_tensor(imp, args, kwargs)
    return handler


def _cast(imp, name, args, kwargs):
    """x.to(dtype or device), x.type_as(y), x.float(): the same values in the model's dtype: no layer (a cast
    to another dtype is not one archcalc follows)."""
    x = args[0]
    others = [a for a in list(args[1:]) + list(kwargs.values()) if a is not None and not isinstance(a, bool)]
    if name in ("to",) and any(not isinstance(a, (Attribute, Tensor)) and str(a) not in ("torch.float32",)
                               for a in others):
        raise UnsupportedOp(f".to({', '.join(map(str, others))}) of an activation")
    return x


def get_tensor_attribute(obj, attr: str):
    if attr in ("dtype", "device"):
        return Attribute(attr)
    raise UnsupportedOp(f"getattr(tensor, '{attr}')")


register()


# they wrap handlers registered above (F.batch_norm, F.conv2d, F.linear, joins, modules called on parameters)
from . import torch_derived, torch_param_modules  # noqa: E402,F401,I001
