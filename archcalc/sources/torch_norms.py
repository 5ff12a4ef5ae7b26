"""The importer's handlers for a few norms written as functions: F.rms_norm and nn.RMSNorm (the rmsnorm kind),
x.norm(p, dim) (reduce_norm), torch.addcmul (ConvNeXt-V2's GRN: bias + gamma * t, as the gain and bias it
is), and a tensor divided by a tensor (GRN's x_g / mean(x_g)). Registered in torch_functions' tables."""

from __future__ import annotations

from .torch_functions import FUNCTIONS, METHODS, arg, both, fn, tensor
from .torch_modules import build, handles, one
from .torch_values import Tensor, UnsupportedOp


@fn("F.rms_norm", "torch.rms_norm")
def rms_norm(imp, args, kwargs):
    """F.rms_norm(x, normalized_shape, weight, eps): timm's RmsNorm, AIMv2's and the EVA/PE blocks' norms."""
    x = tensor(args[0], "rms_norm")
    shape = arg(args, kwargs, 1, "normalized_shape")
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    weight, eps = arg(args, kwargs, 2, "weight"), arg(args, kwargs, 3, "eps")
    imp.uses(weight)
    return imp.build("rmsnorm", x, None, axes=len(shape), eps=None if eps is None else float(eps),
                     affine=weight is not None)


@handles("RMSNorm")
def rmsnorm_module(imp, m, args, kwargs, name):
    return build(imp, "rmsnorm", one(imp, args), name, axes=len(m.normalized_shape), eps=m.eps,
                 affine=m.elementwise_affine)


@both(("torch.norm",), ("norm",))
def norm(imp, args, kwargs):
    """x.norm(p, dim, keepdim) over named axes: reduce_norm (a norm over every axis takes in the batch)."""
    x = tensor(args[0], "norm")
    p, dim = arg(args, kwargs, 1, "p", "fro"), arg(args, kwargs, 2, "dim")
    if dim is None:
        raise UnsupportedOp(".norm() over every axis, the batch included")
    if p == "fro":
        p = 2.0
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 < p < float("inf"):
        raise UnsupportedOp(f".norm(p={p!r}) other than a positive finite p")
    dims = list(dim) if isinstance(dim, (list, tuple)) else [dim]
    return imp.build("reduce_norm", x, None, dim=[imp.torch_dim(d, x) for d in dims],
                     keepdim=bool(arg(args, kwargs, 3, "keepdim", False)), p=float(p))


@both(("torch.addcmul",), ("addcmul",))
def addcmul(imp, args, kwargs):
    """input + value * t1 * t2, as the product and the sum it is (GRN: a gain per channel, then a bias)."""
    base, t1, t2 = args[0], arg(args, kwargs, 1, "tensor1"), arg(args, kwargs, 2, "tensor2")
    value = kwargs.get("value", 1)
    product = FUNCTIONS["operator.mul"](imp, [t1, t2], {})
    if value != 1:
        product = FUNCTIONS["operator.mul"](imp, [product, value], {})
    return FUNCTIONS["operator.add"](imp, [base, product], {})


def _divide(previous):
    """x / y of two activations: y's reciprocal (one op per element of y) times x (a broadcast product); any
    other division as before (a number, sizes)."""
    def handler(imp, args, kwargs):
        a, b = args[0], args[1] if len(args) > 1 else kwargs.get("other")
        if isinstance(a, Tensor) and isinstance(b, Tensor) and kwargs.get("rounding_mode") is None:
            inverse = imp.build("scalar", b, None, op="rdiv", value=1.0)
            return imp.build("mul", [a, inverse], None)
        if previous is None or kwargs.get("rounding_mode") is not None:
            raise UnsupportedOp(f"division of a {type(a).__name__} by a {type(b).__name__}"
                                f"{' rounded' if kwargs.get('rounding_mode') else ''}")
        return previous(imp, [a, b], {})
    return handler


_TRUEDIV = FUNCTIONS.get("operator.truediv")  # x / 2, sizes: the same handler for torch.div and x.div
for _key in ("operator.truediv", "torch.div", "torch.true_divide"):
    FUNCTIONS[_key] = _divide(FUNCTIONS.get(_key) or _TRUEDIV)
METHODS["div"] = _divide(METHODS.get("div") or _TRUEDIV)
