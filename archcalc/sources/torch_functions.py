"""The importer's function and method handlers: torch functions, torch.nn.functional, operators on tensors
and on sizes, and tensor methods (x.flatten(1), x.size(0), x.permute(0, 2, 3, 1)) as IR layers or values."""

from __future__ import annotations

import operator

from ..core.shape import is_symbolic
from .torch_values import BATCH, Param, Tensor, UnsupportedOp, registrar

FUNCTIONS: dict = {}  # "torch.flatten", "F.relu", "operator.add", ...
METHODS: dict = {}  # "flatten", "size", ...

ACTS = ("relu", "relu6", "gelu", "silu", "sigmoid", "tanh", "hardswish", "hardsigmoid", "mish", "leaky_relu", "elu")


def function_key(fn) -> str:
    """A stable name for an fx call_function target: torch.flatten, F.relu, operator.add, torchvision.<name>."""
    name = getattr(fn, "__name__", repr(fn))
    module = getattr(fn, "__module__", None) or ""
    if module in ("_operator", "operator"):
        return f"operator.{name}"
    if module in ("builtins", "math"):
        return f"{module}.{name}"
    if module.startswith(("torch.nn.functional", "torch._C._nn")):
        return f"F.{name}"
    if module.startswith(("torchvision", "timm")):
        return f"{module.split('.')[0]}.{name}"
    return f"torch.{name}"


fn = registrar(FUNCTIONS)
method = registrar(METHODS)


def both(function_names, method_names):
    def register(f):
        for n in function_names:
            FUNCTIONS[n] = f
        for n in method_names:
            METHODS[n] = f
        return f
    return register


def tensor(x, what: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise UnsupportedOp(f"{what} of a {type(x).__name__}")
    return x


def arg(args, kwargs, i: int, key: str, default=None):
    return args[i] if len(args) > i else kwargs.get(key, default)


# --- activations, softmax, dropout, stochastic depth -------------------------------------------------------
def _act(kind, inplace=False):
    def handler(imp, args, kwargs):
        x = tensor(args[0], kind)
        return imp.build_act(kind, x, None, inplace=inplace or bool(kwargs.get("inplace", False)))
    return handler


for _k in ACTS:
    FUNCTIONS[f"F.{_k}"] = FUNCTIONS[f"torch.{_k}"] = METHODS[_k] = _act(_k)
    FUNCTIONS[f"F.{_k}_"] = FUNCTIONS[f"torch.{_k}_"] = METHODS[f"{_k}_"] = _act(_k, inplace=True)


@fn("F.hardtanh")
def hardtanh(imp, args, kwargs):
    lo, hi = arg(args, kwargs, 1, "min_val", -1.0), arg(args, kwargs, 2, "max_val", 1.0)
    if (lo, hi) != (0.0, 6.0):
        raise UnsupportedOp(f"F.hardtanh({lo}, {hi}) other than relu6")
    return imp.build_act("relu6", tensor(args[0], "hardtanh"), None, inplace=bool(arg(args, kwargs, 3, "inplace")))


@both(("F.softmax", "torch.softmax"), ("softmax",))
def softmax(imp, args, kwargs):
    x = tensor(args[0], "softmax")
    dim = arg(args, kwargs, 1, "dim")
    if dim is None:
        raise UnsupportedOp("softmax without dim")
    return imp.build("softmax", x, None, dim=imp.torch_dim(dim, x))


@fn("F.dropout", "F.dropout1d", "F.dropout2d", "F.dropout3d")
def dropout(imp, args, kwargs):
    return imp.build("dropout", tensor(args[0], "dropout"), None, p=float(arg(args, kwargs, 1, "p", 0.5)))


@fn("torchvision.stochastic_depth", "timm.drop_path")
def drop_path(imp, args, kwargs):
    return imp.build("drop_path", tensor(args[0], "drop path"), None, p=float(arg(args, kwargs, 1, "p", 0.0)))


# --- elementwise joins --------------------------------------------------------------------------------------
def _join(kind: str, inplace: bool):
    def handler(imp, args, kwargs):
        a, b = args[0], args[1] if len(args) > 1 else kwargs.get("other")
        if isinstance(a, Tensor) and isinstance(b, Tensor):
            if kind == "add" and kwargs.get("alpha", 1) != 1:
                raise UnsupportedOp("add with alpha")
            return imp.build(kind, [a, b], None, inplace=inplace)
        if isinstance(a, Tensor) and isinstance(b, Param) or isinstance(b, Tensor) and isinstance(a, Param):
            x, p = (a, b) if isinstance(a, Tensor) else (b, a)
            return imp.with_param(kind, x, p)
        if isinstance(a, Param) or isinstance(b, Param):  # parameters combined alone (a weight scaled)
            p = a if isinstance(a, Param) else b
            other = b if p is a else a
            return p.derived(p.shape, *([other] if isinstance(other, Param) else []))
        if a is BATCH or b is BATCH:
            raise UnsupportedOp("arithmetic on the batch size (a reshape that folds the batch into another axis)")
        if isinstance(a, Tensor) or isinstance(b, Tensor):
            return _with_constant(imp, kind, a, b)
        return _python(kind)(a, b)
    return handler


for _names, _kind, _inplace in ((("operator.add", "torch.add"), "add", False), (("operator.iadd",), "add", True),
                                (("operator.mul", "torch.mul"), "mul", False), (("operator.imul",), "mul", True)):
    for _n in _names:
        FUNCTIONS[_n] = _join(_kind, _inplace)
METHODS["add"] = _join("add", False)
METHODS["add_"] = _join("add", True)
METHODS["mul"] = _join("mul", False)
METHODS["mul_"] = _join("mul", True)


def _with_constant(imp, kind: str, a, b):
    """x + 1, 0.5 * x, x - m, 1 / x: the scalar kind (a number the model holds, never an input size)."""
    x, value, swapped = (a, b, False) if isinstance(a, Tensor) else (b, a, True)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise UnsupportedOp(f"{kind} of a tensor and a {type(value).__name__}")
    op = {"add": "add", "mul": "mul", "sub": "rsub" if swapped else "sub",
          "truediv": "rdiv" if swapped else "div", "pow": "pow"}[kind]
    if op == "pow" and swapped:
        raise UnsupportedOp("a number raised to a tensor's power")
    return imp.build("scalar", x, None, op=op, value=float(value))


def _python(kind):
    return {"add": operator.add, "mul": operator.mul}[kind]


COMPARISONS = (operator.eq, operator.ne, operator.lt, operator.le, operator.gt, operator.ge)


def _sizes_op(op):
    def handler(imp, args, kwargs):
        if op.__name__ == "sub" and len(args) == 2 and all(isinstance(a, Tensor) for a in args):
            return imp.build("add", list(args), None)  # x - y: an add of -y, one op per element, nothing kept
        if op.__name__ in ("sub", "truediv", "pow") and len(args) == 2 and any(isinstance(a, Tensor) for a in args):
            return _with_constant(imp, op.__name__, *args)
        if any(isinstance(a, Param) for a in args) and op.__name__ in ("sub", "truediv", "pow", "neg"):
            p = next(a for a in args if isinstance(a, Param))
            return p.derived(p.shape)
        if any(isinstance(a, (Tensor, Param)) for a in args):
            raise UnsupportedOp(f"operator.{op.__name__} on a tensor")
        if any(a is BATCH for a in args):
            raise UnsupportedOp(f"arithmetic on the batch size ({op.__name__})")
        if op in COMPARISONS and any(is_symbolic(a) for a in args):
            return None  # a symbolic size compared with a number: unknown here (a check passes)
        return op(*args)
    return handler


def _math(name: str):
    """math.ceil / floor / sqrt / trunc of a size (timm's "same" padding: ceil(H / stride)); sympy's own
    function where the size is symbolic."""
    import math

    def handler(imp, args, kwargs):
        value = args[0]
        if isinstance(value, (Tensor, Param)) or value is BATCH:
            raise UnsupportedOp(f"math.{name} of {'the batch size' if value is BATCH else 'a tensor'}")
        if is_symbolic(value):
            import sympy

            return {"ceil": sympy.ceiling, "floor": sympy.floor, "sqrt": sympy.sqrt, "trunc": sympy.floor}[name](value)
        return getattr(math, name)(value)
    return handler


for _name in ("ceil", "floor", "sqrt", "trunc"):
    FUNCTIONS[f"math.{_name}"] = _math(_name)


for _op in (operator.sub, operator.floordiv, operator.truediv, operator.mod, operator.neg, operator.pow,
            operator.eq, operator.ne, operator.lt, operator.le, operator.gt, operator.ge):
    FUNCTIONS[f"operator.{_op.__name__}"] = _sizes_op(_op)


@fn("torch._assert", "torch._assert_is_none")
def assert_(imp, args, kwargs):
    """A model's check of its input size (ViT's image size): True at this input, or the model refuses it."""
    condition, message = args[0], args[1] if len(args) > 1 else ""
    if condition is False:
        from ..errors import InputError

        raise InputError(f"{imp.name}: the model refuses this input: {message}")
    return None


@fn("torch.cat", "torch.concat", "torch.concatenate")
def cat(imp, args, kwargs):
    parts = list(arg(args, kwargs, 0, "tensors"))
    dim = arg(args, kwargs, 1, "dim", 0)
    params = [p for p in parts if isinstance(p, Param)]
    tensors = [t for t in parts if isinstance(t, Tensor)]
    if params and len(params) == len(parts):  # parameters joined alone (beit's q, zero k and v biases)
        axis = dim % len(params[0].shape)
        shape = list(params[0].shape)
        shape[axis] = sum(p.shape[axis] for p in params)
        return params[0].derived(tuple(shape), *params[1:])
    if params and len(tensors) == 1 and parts[-1] is tensors[0]:
        return imp.class_token(tensors[0], params, dim)
    if params or len(tensors) != len(parts):
        raise UnsupportedOp("torch.cat of tensors and parameters other than a class token")
    return imp.build("concat", tensors, None, dim=imp.torch_dim(dim, tensors[0]))


@both(("torch.matmul", "operator.matmul", "torch.bmm"), ("matmul", "bmm"))
def matmul(imp, args, kwargs):
    return imp.build("matmul", [tensor(args[0], "matmul"), tensor(args[1], "matmul")], None)


@fn("F.scaled_dot_product_attention")
def sdpa(imp, args, kwargs):
    """softmax(q k^T / sqrt(d)) v as the three operations it is: k transposed, two matmuls, a softmax."""
    q, k, v = (tensor(a, "scaled_dot_product_attention") for a in args[:3])
    if arg(args, kwargs, 3, "attn_mask") is not None or kwargs.get("is_causal") or args[4:5] and args[4]:
        raise UnsupportedOp("scaled_dot_product_attention with a mask")
    scores = imp.build("matmul", [q, imp.build("transpose", k, None, dim0=-2, dim1=-1)], None)
    weights = imp.build("softmax", scores, None, dim=-1)
    return imp.build("matmul", [weights, v], None)


# --- sizes: what the model reads from its tensors -----------------------------------------------------------
@fn("builtins.getattr")
def get_attribute(imp, args, kwargs):
    obj, attr = args[0], args[1]
    if isinstance(obj, Tensor) and attr == "shape":
        return imp.sizes(obj)
    if isinstance(obj, Tensor) and attr in ("ndim",):
        return obj.shape.rank + 1
    if isinstance(obj, Param) and attr == "shape":
        return obj.shape
    from .torch_params import get_tensor_attribute

    return get_tensor_attribute(obj, attr)


@method("size")
def size(imp, args, kwargs):
    sizes = imp.sizes(tensor(args[0], "size"))
    dim = arg(args, kwargs, 1, "dim")
    return sizes if dim is None else sizes[dim]


@method("dim")
def dim(imp, args, kwargs):
    return tensor(args[0], "dim").shape.rank + 1


@fn("operator.getitem")
def getitem(imp, args, kwargs):
    obj, index = args
    if isinstance(obj, Tensor):
        return imp.index(obj, index)
    if isinstance(obj, (tuple, list)):
        return obj[index]
    if isinstance(obj, Param):
        from .torch_params import index_param

        return index_param(obj, index)
    from .torch_views import Moved

    if isinstance(obj, Moved):
        return obj.take(imp, index)
    raise UnsupportedOp(f"indexing a {type(obj).__name__}")


# they register their handlers here; torch_params wraps the view methods, so it comes last
from . import torch_functional, torch_views  # noqa: E402,F401,I001
from . import torch_params  # noqa: E402,F401


@both(("torch.square",), ("square",))
def square(imp, args, kwargs):
    return imp.build("scalar", tensor(args[0], "square"), None, op="pow", value=2.0)


@method("reshape_as", "view_as")
def reshape_as(imp, args, kwargs):
    if isinstance(args[0], Param):  # a weight standardised by F.batch_norm, back to the weight's shape
        from .torch_derived import reshape_param_as

        return reshape_param_as(args, kwargs)
    x, other = tensor(args[0], "reshape_as"), args[1]
    if isinstance(other, Tensor):
        return imp.reshape(x, [BATCH, *other.shape.dims])
    raise UnsupportedOp(".reshape_as() of a parameter's shape")


from . import torch_windows  # noqa: E402,F401,I001  (Swin: window attention, patch merging)
from . import torch_einsum  # noqa: E402,F401,I001  (einsum as a matmul, swapaxes)
from . import torch_axes  # noqa: E402,F401  conv inputs read by position, cat of a class token, SDPA with a mask
from . import torch_norms  # noqa: E402,F401  rms norm, x.norm, addcmul, a tensor over a tensor
from . import torch_unfold  # noqa: E402,F401  im2col, col2im, x.unfold (TNT, VOLO, HaloNet)
from . import torch_reductions  # noqa: E402,F401  var/std, amax/amin, sqrt/rsqrt, pow of activations
from . import torch_fold_expand  # noqa: E402,F401  .expand() of samples folded into the batch (BoTNet)
from . import torch_fixed_filters  # noqa: E402,F401  BlurPool: a conv of a buffer filter, a reflect pad
from . import torch_assign  # noqa: E402,F401  x[index] = v, in place
from . import torch_moved  # noqa: E402,F401  a reshape of a batch-moving permute, before its index
from . import torch_einsum_param  # noqa: E402,F401  einsum of an activation and a learned tensor
from . import torch_constants  # noqa: E402,F401  tables from sizes (rotary sin/cos); wraps the handlers: last
from . import torch_table_joins  # noqa: E402,F401  x / C, x - C of a constant table: after torch_constants
from . import torch_stacks  # noqa: E402,F401  branches stacked on a new axis 0, then averaged
