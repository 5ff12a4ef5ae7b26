"""The importer's handlers for what norms and heads written op by op use, beyond torch_norms:

- statistics and roots of activations: x.var / x.std (EvoNorm's group std, SimpleNorm2d), x.amax / x.amin
  (CSATv2, Hiera), x.sqrt() / torch.rsqrt (timm's rms_norm2d), x.pow(number) (a square), x.expand of an
  activation (a stride-0 view: EvoNorm's std over a group's channels);
- x[:, ..., [i0, i1, ...]]: the take kind (CSATv2's zigzag order);
- parameters alone softmaxed, tiled or interpolated (EfficientViM's head weights, Hiera's and SAM2's position
  embeddings): the same elements in the new shape, counted once by the layer that uses them;
- x - P and x / P, P parameters or buffers: the bias or gain that x + P and x * P make.

Each wraps the handler registered before it for the same name, which keeps every other case. Imported from
the end of torch_functions, before torch_constants (which wraps every handler present when it loads)."""

from __future__ import annotations

from ..core.ir import Expand
from ..core.shape import is_symbolic
from .torch_functions import FUNCTIONS, METHODS, arg
from .torch_values import BATCH, Param, Tensor, UnsupportedOp


def _dims(imp, x: Tensor, dim, what: str) -> list:
    if dim is None or dim == () or dim == []:
        raise UnsupportedOp(f"{what} over every axis, the batch included")
    dims = list(dim) if isinstance(dim, (list, tuple)) else [dim]
    return [imp.torch_dim(d, x) for d in dims]


def _var(root: bool):
    """torch.var(x, dim, unbiased, keepdim) or var(x, dim, *, correction, keepdim); std likewise."""
    what = "std" if root else "var"

    def handler(imp, args, kwargs):
        x = args[0]
        dim = arg(args, kwargs, 1, "dim")
        rest = list(args[2:])
        unbiased = rest.pop(0) if rest else kwargs.get("unbiased")  # var(x, dim, unbiased, keepdim)
        keepdim = rest[0] if rest else kwargs.get("keepdim", False)
        if isinstance(dim, bool):  # x.var(False): unbiased given first, over every axis
            raise UnsupportedOp(f"{what} over every axis, the batch included")
        correction = kwargs.get("correction")
        if correction is None:
            correction = 1 if unbiased is None or unbiased else 0
        if isinstance(correction, float) and correction.is_integer():
            correction = int(correction)
        return imp.build("reduce_var", x, None, dim=_dims(imp, x, dim, what), keepdim=bool(keepdim),
                         correction=correction, root=root)
    return handler


def _extreme(op: str):
    """torch.amax(x, dim, keepdim) / amin."""
    def handler(imp, args, kwargs):
        x = args[0]
        dims = _dims(imp, x, arg(args, kwargs, 1, "dim"), f"a{op}")
        return imp.build("reduce_max", x, None, dim=dims, keepdim=bool(arg(args, kwargs, 2, "keepdim", False)),
                         op=op)
    return handler


def _root(kind: str, inplace: bool):
    def handler(imp, args, kwargs):
        return imp.build(kind, args[0], None, inplace=inplace and args[0].layer != "input")
    return handler


def _power(imp, args, kwargs):
    """x.pow(p) / torch.pow(x, p), p a number: the scalar kind's power."""
    exponent = arg(args, kwargs, 1, "exponent")
    if isinstance(exponent, bool) or not isinstance(exponent, (int, float)):
        raise UnsupportedOp(f"an activation raised to a {type(exponent).__name__}")
    return imp.build("scalar", args[0], None, op="pow", value=float(exponent))


def _expand(imp, args, kwargs):
    """x.expand(B, *sizes) of an activation: a view stretching its axes of size 1 (EvoNorm's group std).
    The batch must stay the batch (its size or -1), and no axis may be added in front."""
    x, sizes = args[0], list(args[1:]) or list(kwargs.get("size", ()))
    if len(sizes) == 1 and isinstance(sizes[0], (list, tuple)):  # x.expand((B, C, H, W))
        sizes = list(sizes[0])
    if imp.fold(x) or len(sizes) != imp.torch_rank(x):
        raise UnsupportedOp(".expand() of an activation to a new number of axes, or of folded samples")
    if sizes[0] is not BATCH and sizes[0] != -1:
        raise UnsupportedOp(".expand() of an activation to a batch of another size")
    per = tuple(sizes[1:])
    if any(is_symbolic(s) for s in per):
        return imp.add_layer("expand", Expand(per), [x])
    return imp.build("expand", x, None, sizes=per)


def _on_activations(table: dict, key: str, handler) -> None:
    """table[key] runs `handler` when the first argument is an activation, else the handler it had (or an
    UnsupportedOp naming what it was called on)."""
    previous = table.get(key)

    def dispatch(imp, args, kwargs):
        if args and isinstance(args[0], Tensor):
            return handler(imp, args, kwargs)
        if previous is None:
            raise UnsupportedOp(f"{key} of a {type(args[0]).__name__ if args else 'nothing'}")
        return previous(imp, args, kwargs)

    table[key] = dispatch


for _names, _handler in ((("var",), _var(False)), (("std",), _var(True)), (("amax",), _extreme("max")),
                         (("amin",), _extreme("min")), (("sqrt",), _root("sqrt", False)),
                         (("rsqrt",), _root("rsqrt", False)), (("pow",), _power)):
    for _name in _names:
        _on_activations(FUNCTIONS, f"torch.{_name}", _handler)
        _on_activations(METHODS, _name, _handler)
_on_activations(METHODS, "sqrt_", _root("sqrt", True))
_on_activations(METHODS, "rsqrt_", _root("rsqrt", True))
_on_activations(METHODS, "expand", _expand)


def _same_param(previous):
    """softmax of parameters alone (EfficientViM's learned weights of its heads): the same elements, counted
    once by whichever layer uses them; an activation's softmax as before."""
    def handler(imp, args, kwargs):
        if args and isinstance(args[0], Param):
            return args[0]
        if previous is None:
            raise UnsupportedOp(f"softmax of a {type(args[0]).__name__ if args else 'nothing'}")
        return previous(imp, args, kwargs)
    return handler


for _table, _key in ((METHODS, "softmax"), (FUNCTIONS, "torch.softmax"), (FUNCTIONS, "F.softmax")):
    _table[_key] = _same_param(_table.get(_key))


def _take(previous):
    """x[:, ..., [i0, i1, ...]] (whole slices, then one list of whole numbers): the take kind along that axis
    (CSATv2's zigzag order of DCT coefficients); any other indexing as before."""
    def handler(imp, args, kwargs):
        obj, index = args
        items = index if isinstance(index, tuple) else (index,)
        lists = [i for i, item in enumerate(items) if isinstance(item, (list, tuple))]
        if not isinstance(obj, Tensor) or len(lists) != 1 or any(
                item != slice(None) for i, item in enumerate(items) if i != lists[0]):
            return previous(imp, args, kwargs)
        at, values = lists[0], list(items[lists[0]])
        if at == 0:
            raise UnsupportedOp("indexing the batch axis with a list")
        if not values or any(isinstance(v, bool) or not isinstance(v, int) for v in values):
            raise UnsupportedOp("indexing with a list of anything but whole numbers")
        return imp.build("take", obj, None, dim=imp.sample_dim(at, obj), indices=values)
    return handler


FUNCTIONS["operator.getitem"] = _take(FUNCTIONS["operator.getitem"])


def _with_param(previous, join: str, swapped_ok: bool, key: str):
    """x - P and x / P, P parameters or buffers alone (CSATv2's DCT statistics): the bias or gain that x + P or
    x * P makes (the same elements, one op per element); P - x likewise for a sub. Any other as before."""
    def handler(imp, args, kwargs):
        a, b = (args[0], args[1]) if len(args) > 1 else (args[0] if args else None, kwargs.get("other"))
        if isinstance(a, Tensor) and isinstance(b, Param) or swapped_ok and isinstance(a, Param) and \
                isinstance(b, Tensor):
            return FUNCTIONS[f"operator.{join}"](imp, [a, b], {})
        if previous is None:
            raise UnsupportedOp(f"{key} of a {type(a).__name__} and a {type(b).__name__}")
        return previous(imp, args, kwargs)
    return handler


for _table, _key, _join, _swap in ((FUNCTIONS, "operator.sub", "add", True), (FUNCTIONS, "torch.sub", "add", True),
                                   (METHODS, "sub", "add", True), (FUNCTIONS, "operator.truediv", "mul", False),
                                   (FUNCTIONS, "torch.div", "mul", False), (METHODS, "div", "mul", False)):
    _table[_key] = _with_param(_table.get(_key), _join, _swap, _key)


def _tile(previous):
    """P.tile(reps) of parameters alone (Hiera's window position embedding tiled over the mask units): the
    same elements in torch's tiled shape, counted once by whichever layer uses them."""
    def handler(imp, args, kwargs):
        if not args or not isinstance(args[0], Param):
            if previous is None:
                raise UnsupportedOp(f"tile of a {type(args[0]).__name__ if args else 'nothing'}")
            return previous(imp, args, kwargs)
        p, reps = args[0], list(args[1:]) or list(kwargs.get("dims", ()))
        if len(reps) == 1 and isinstance(reps[0], (list, tuple)):
            reps = list(reps[0])
        if not reps or any(isinstance(r, bool) or not isinstance(r, int) or r < 1 for r in reps):
            raise UnsupportedOp(f".tile() of a parameter by {reps!r}")
        shape = [1] * (len(reps) - len(p.shape)) + list(p.shape)
        reps = [1] * (len(shape) - len(reps)) + reps
        return p.derived(tuple(d * r for d, r in zip(shape, reps)))
    return handler


METHODS["tile"] = _tile(METHODS.get("tile"))
FUNCTIONS["torch.tile"] = _tile(FUNCTIONS.get("torch.tile"))


def _interpolate(previous):
    """F.interpolate(P, size | scale_factor) of parameters alone (Hiera's and SAM2's position embeddings
    resized to the token grid): the same elements, counted once by the layer that uses them, in the resized
    shape; no MACs (FlopCounterMode counts none for interpolation either)."""
    def handler(imp, args, kwargs):
        if not args or not isinstance(args[0], Param):
            return previous(imp, args, kwargs)
        p = args[0]
        size, scale = arg(args, kwargs, 1, "size"), arg(args, kwargs, 2, "scale_factor")
        spatial = len(p.shape) - 2
        if size is not None:
            sizes = list(size) if isinstance(size, (list, tuple)) else [size] * spatial
        elif scale is not None:
            scales = list(scale) if isinstance(scale, (list, tuple)) else [scale] * spatial
            sizes = [int(d * s) for d, s in zip(p.shape[2:], scales)]
        else:
            raise UnsupportedOp("F.interpolate of a parameter with neither size nor scale_factor")
        if len(sizes) != spatial or any(isinstance(s, bool) or not isinstance(s, int) or s < 1 for s in sizes):
            raise UnsupportedOp(f"F.interpolate of a parameter of shape {tuple(p.shape)} to {sizes!r}")
        return p.derived((*p.shape[:2], *sizes))
    return handler


FUNCTIONS["F.interpolate"] = _interpolate(FUNCTIONS["F.interpolate"])
