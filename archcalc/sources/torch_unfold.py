"""The importer's mappings for sliding-window extraction: im2col (nn.Unfold, F.unfold; TNT's pixel embedding,
VOLO's outlook attention) as an `unfold` layer, col2im (nn.Fold, F.fold; VOLO) as a `fold` layer, and the
tensor method x.unfold(dim, size, step) (HaloNet's overlapping key/value blocks) as an `unfold_axis` view.
Their attributes are read from the module or the call as torch defaults them."""

from __future__ import annotations

from ..core.ir import Fold, Unfold, UnfoldAxis
from ..core.shape import is_symbolic, to_plain
from .torch_functions import FUNCTIONS, METHODS, arg, tensor
from .torch_modules import MODULES, one
from .torch_values import Tensor, UnsupportedOp


def _ints(value, what: str):
    """An int or a tuple of ints as given (sizes read from the input may come as formulas: refused)."""
    values = value if isinstance(value, (list, tuple)) else (value,)
    plain = tuple(to_plain(v) for v in values)
    if any(is_symbolic(v) or isinstance(v, bool) or not isinstance(v, int) for v in plain):
        raise UnsupportedOp(f"{what} that is not a number ({value!r})")
    return plain if isinstance(value, (list, tuple)) else plain[0]


def _map(imp, x):
    """The input of an unfold: a plain C x H x W map per sample."""
    if imp.fold(x):
        raise UnsupportedOp("F.unfold of a tensor with axes folded into the batch axis")
    return x


def _window(kernel, dilation, padding, stride) -> dict:
    return dict(kernel=_ints(kernel, "an unfold kernel"), dilation=_ints(dilation, "an unfold dilation"),
                padding=_ints(padding, "an unfold padding"), stride=_ints(stride, "an unfold stride"))


def unfold_module(imp, m, args, kwargs, name):
    """nn.Unfold: im2col with the module's kernel, dilation, padding and stride."""
    x = _map(imp, one(imp, args))
    return imp.add_layer("unfold", Unfold(**_window(m.kernel_size, m.dilation, m.padding, m.stride)), [x], name)


def fold_module(imp, m, args, kwargs, name):
    """nn.Fold: col2im to the module's output size."""
    x = _map(imp, one(imp, args))
    attrs = Fold(output_size=_ints(m.output_size, "a fold output size"),
                 **_window(m.kernel_size, m.dilation, m.padding, m.stride))
    return imp.add_layer("fold", attrs, [x], name)


MODULES["Unfold"] = unfold_module
MODULES["Fold"] = fold_module


def unfold_function(imp, args, kwargs):
    """F.unfold(input, kernel_size, dilation=1, padding=0, stride=1)."""
    x = _map(imp, tensor(args[0], "F.unfold"))
    attrs = Unfold(**_window(arg(args, kwargs, 1, "kernel_size"), arg(args, kwargs, 2, "dilation", 1),
                             arg(args, kwargs, 3, "padding", 0), arg(args, kwargs, 4, "stride", 1)))
    return imp.add_layer("unfold", attrs, [x])


def fold_function(imp, args, kwargs):
    """F.fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1)."""
    x = _map(imp, tensor(args[0], "F.fold"))
    attrs = Fold(output_size=_ints(arg(args, kwargs, 1, "output_size"), "a fold output size"),
                 **_window(arg(args, kwargs, 2, "kernel_size"), arg(args, kwargs, 3, "dilation", 1),
                           arg(args, kwargs, 4, "padding", 0), arg(args, kwargs, 5, "stride", 1)))
    return imp.add_layer("fold", attrs, [x])


FUNCTIONS["F.unfold"] = unfold_function
FUNCTIONS["F.fold"] = fold_function


def unfold_method(imp, args, kwargs):
    """x.unfold(dimension, size, step): a view of one axis as overlapping windows (never the batch axis)."""
    x = tensor(args[0], ".unfold()")
    dim = _ints(arg(args, kwargs, 1, "dimension"), "an unfold dim")
    size, step = _ints(arg(args, kwargs, 2, "size"), "an unfold size"), _ints(arg(args, kwargs, 3, "step"), "a step")
    axis = imp.sample_dim(dim, x)
    return imp.add_layer("unfold_axis", UnfoldAxis(axis - 1 if axis > 0 else axis, size, step), [x])


METHODS["unfold"] = unfold_method


class MaxIndices:
    """The indices half of x.max(dim): where each maximum lies. No layer computes it; any use of it is refused
    (the handlers take none of this type, and Python arithmetic on it raises)."""

    def _refused(self, *args):
        raise UnsupportedOp("the indices of x.max(dim) (an argmax; no layer computes it)")


for _dunder in ("add", "radd", "sub", "rsub", "mul", "rmul", "truediv", "rtruediv", "floordiv", "rfloordiv", "mod",
                "pow", "neg", "getitem", "index", "int", "float", "bool", "lt", "le", "gt", "ge", "iter"):
    setattr(MaxIndices, f"__{_dunder}__", MaxIndices._refused)


def max_along(imp, args, kwargs):
    """x.max(dim, keepdim=False) / torch.max(x, dim) of an activation: (values, indices), the values a
    reduce_max layer (VOLO's head takes x_aux.max(1)[0], after its outlook attention's fold). x.max() of
    every element (the batch included) and torch.max(x, y) stay refused."""
    x, dim = args[0], arg(args, kwargs, 1, "dim")
    if not isinstance(x, Tensor) or dim is None or isinstance(dim, Tensor):
        raise UnsupportedOp(".max() of every element, or of two tensors" if isinstance(x, Tensor) else
                            f".max() of a {type(x).__name__}")
    out = imp.build("reduce_max", x, None, dim=[imp.torch_dim(_ints(dim, "a max dim"), x)],
                    keepdim=bool(arg(args, kwargs, 2, "keepdim", False)), op="max")
    return out, MaxIndices()


METHODS.setdefault("max", max_along)
FUNCTIONS.setdefault("torch.max", max_along)
