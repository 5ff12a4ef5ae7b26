"""The importer's readings of axes by position, sizes made from the batch size, and attention with a mask.

torch's layers take a tensor's axes where they sit, whatever a model meant by them: Conv1d (and the pools)
read axis 1 as channels and axis 2 as length, so ECA's pooled vector viewed as (1, C) is one channel of
length C (Wang et al. 2020, a 1-D conv across channels); torch.cat joins whatever lies along its axis, so
CaiT's class token (1, C), made by a linear layer, joins the patch tokens as one more token; Next-ViT's
AvgPool1d pools tokens x channels transposed (channels x tokens) along the tokens; the norms and F.interpolate
read axis 1 as channels too (MobileViT-v2's GroupNorm on (B, C, P, N) patches). Here such an input is
named anew (a view, `ImportingMethods.read_as`) before the layer that reads it, so the IR's roles say what
torch does.

`B * heads` and `B_ // B` of the batch size make and read the folded first sizes of torch_folding.

F.scaled_dot_product_attention with a float attn_mask adds it to the scores before the softmax (a relative
position bias, CoAtNet's): one add per score; the products, and torch's FlopCounterMode count, do not change.
Registered over torch_functions' table entries, which it extends (imported at that module's end)."""

from __future__ import annotations

from ..core.shape import is_symbolic
from .torch_folding import divided, is_batch, times
from .torch_functions import FUNCTIONS, arg, fn, tensor
from .torch_modules import MODULES
from .torch_values import Param, Tensor, UnsupportedOp

# modules that read axis 1 as channels and the rest as spatial, by the number of spatial axes
CHANNELS_FIRST_DIMS = {f"{kind}{n}d": n for n in (1, 2, 3) for kind in (
    "Conv", "MaxPool", "AvgPool", "AdaptiveAvgPool", "AdaptiveMaxPool")}

NORMS_BY_POSITION = ("BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "SyncBatchNorm", "GroupNorm", "InstanceNorm1d",
                     "InstanceNorm2d", "InstanceNorm3d")


def channels_first(imp, x, dims: int, name=None):
    """x as the C x (dims spatial axes) tensor a torch conv takes it for, when it has that rank."""
    if not isinstance(x, Tensor) or x.shape.channels_first or x.shape.rank != dims + 1:
        return x
    return imp.read_as(x, "C" + "S" * dims, name)


def _positional_module(handler, dims: int):
    def positional(imp, m, args, kwargs, name):
        if args:
            args = (channels_first(imp, args[0], dims, f"{name}.axes"), *args[1:])
        return handler(imp, m, args, kwargs, name)
    positional.__doc__ = handler.__doc__
    return positional


def _conv_function(handler):
    def conv(imp, args, kwargs):
        weight = arg(args, kwargs, 1, "weight")
        if args and isinstance(weight, Param):
            args = (channels_first(imp, args[0], len(weight.shape) - 2), *args[1:])
        return handler(imp, args, kwargs)
    return conv


def _positional_norm(handler):
    """Norm modules read axis 1 as channels and the rest as spatial (MobileViT-v2's GroupNorm on (B, C, P, N)
    patches, named channels x tokens x tokens by the view)."""
    def norm(imp, m, args, kwargs, name):
        x = args[0] if args else None
        if isinstance(x, Tensor) and x.shape.rank > 1 and not imp.fold(x):
            args = (channels_first(imp, x, x.shape.rank - 1, f"{name}.axes"), *args[1:])
        return handler(imp, m, args, kwargs, name)
    norm.__doc__ = handler.__doc__
    return norm


def _resize_function(handler):
    """F.interpolate (and F.group_norm, F.batch_norm: HaloNet's BatchNormAct2d after its blocks are joined back
    into a map) read axis 1 as channels and the rest as spatial, whatever a view named them."""
    def resize(imp, args, kwargs):
        if args and isinstance(args[0], Tensor) and args[0].shape.rank > 1 and not imp.fold(args[0]):
            args = (channels_first(imp, args[0], args[0].shape.rank - 1), *args[1:])
        return handler(imp, args, kwargs)
    return resize


def _cat(handler):
    def cat(imp, args, kwargs):
        parts, dim = arg(args, kwargs, 0, "tensors"), arg(args, kwargs, 1, "dim", 0)
        if isinstance(parts, (list, tuple)) and len(parts) > 1 and isinstance(dim, int) and \
                all(isinstance(p, Tensor) for p in parts):
            return handler(imp, (joined_alike(imp, list(parts), dim), dim), {})
        return handler(imp, args, kwargs)
    return cat


def joined_alike(imp, parts: list, dim: int) -> list:
    """Branches of a torch.cat along `dim` whose roles differ only there, where some hold tokens (S or T) and
    the others an 'other' axis (a unit axis made by a view: CaiT's class token): those become tokens too."""
    rank = parts[0].shape.rank
    if dim == 0 or any(p.shape.rank != rank for p in parts):
        return parts
    axis = (dim - 1) if dim > 0 else rank + dim
    if not 0 <= axis < rank:
        return parts
    tokens = [p for p in parts if p.shape.roles[axis] in "ST"]
    if not tokens or all(p.shape.roles == tokens[0].shape.roles for p in parts):
        return parts
    roles = tokens[0].shape.roles
    rest = roles[:axis] + roles[axis + 1:]
    out = []
    for p in parts:
        r = p.shape.roles
        if r != roles and r[axis] == "_" and r[:axis] + r[axis + 1:] == rest:
            p = imp.read_as(p, roles)
        out.append(p)
    return out


@fn("F.scaled_dot_product_attention")
def sdpa(imp, args, kwargs):
    """softmax(q k^T / sqrt(d) + mask) v: k transposed, two matmuls, the mask's add (a learned bias where it
    is made of parameters: a relative position bias), a softmax."""
    q, k, v = (tensor(a, "scaled_dot_product_attention") for a in args[:3])
    mask = arg(args, kwargs, 3, "attn_mask")
    if arg(args, kwargs, 5, "is_causal", False):
        raise UnsupportedOp("scaled_dot_product_attention with is_causal")
    if mask is not None and not isinstance(mask, (Tensor, Param)):
        raise UnsupportedOp(f"scaled_dot_product_attention with a mask of {type(mask).__name__}")
    k_t = imp.build("transpose", k, None, dim0=-2, dim1=-1)
    if mask is not None:  # the math kernel, torch's only one for a float mask on the CPU: q and k^T scaled by
        # sqrt(scale) each (two new tensors, the ones the scores' matmul keeps for backward; no MACs)
        root = float(arg(args, kwargs, 6, "scale", None) or q.shape.dims[-1] ** -0.5) ** 0.5
        q = imp.build("scalar", q, None, op="mul", value=root)
        k_t = imp.build("scalar", k_t, None, op="mul", value=root)
    scores = imp.build("matmul", [q, k_t], None)
    if isinstance(mask, Param):
        scores = imp.with_param("add", scores, mask)
    elif mask is not None:
        scores = imp.build("add", [scores, mask], None)
    weights = imp.build("softmax", scores, None, dim=-1)
    return imp.build("matmul", [weights, v], None)


def _batch_product(handler):
    """B * heads, B * nW: the batch size times a number the model holds (torch_folding.BatchTimes)."""
    def mul(imp, args, kwargs):
        a, b = (list(args) + [kwargs.get("other")])[:2]
        if is_batch(a) and not isinstance(b, (Tensor, Param)) or is_batch(b) and not isinstance(a, (Tensor, Param)):
            batch, other = (a, b) if is_batch(a) else (b, a)
            return times(getattr(batch, "k", 1), other)
        return handler(imp, args, kwargs)
    return mul


def _batch_quotient(handler):
    """B_ // B: the windows (or heads) per sample, from a folded first size and the batch size; B_ // nW: the
    batch size (times what remains folded), refused where it would split a sample."""
    def floordiv(imp, args, kwargs):
        a, b = args[:2]
        if is_batch(a) and is_batch(b):
            ka, kb = getattr(a, "k", 1), getattr(b, "k", 1)
            if is_symbolic(ka) or is_symbolic(kb) or ka % kb:
                raise UnsupportedOp("arithmetic on the batch size (a quotient of folded sizes)")
            return ka // kb
        if is_batch(a) and not isinstance(b, (Tensor, Param, bool)) and (isinstance(b, int) or is_symbolic(b)):
            return divided(getattr(a, "k", 1), b)  # B_ // nW (Hiera-Det's window_unpartition): whole samples
        return handler(imp, args, kwargs)
    return floordiv


def _matmul(handler):
    """x @ P, P a 2-D parameter used by nothing else (BoTNet's relative logits, q @ rel_k^T): a linear layer
    without bias, P's d x R elements its weight, rows x d x R MACs, as torch counts the product."""
    def matmul(imp, args, kwargs):
        a, b = args[:2]
        if not (isinstance(a, Tensor) and isinstance(b, Param)):
            return handler(imp, args, kwargs)
        sources = b.sources()
        if len(b.shape) != 2 or any(buffer for _, _, buffer in sources) or \
                sum(n for _, n, _ in sources) != b.shape[0] * b.shape[1]:
            raise UnsupportedOp("matmul of an activation and a parameter other than a 2-D weight")
        if any(name in imp.params_seen for name, _, _ in sources):
            raise UnsupportedOp("matmul with a parameter another layer counts")
        if a.shape.dims[-1] != b.shape[0]:
            raise UnsupportedOp(f"matmul of {a.shape} and a parameter of shape {tuple(b.shape)}")
        imp.uses(b)
        return imp.build("linear", a, None, out_features=b.shape[1], bias=False)
    return matmul


def register() -> None:
    for name in ("torch.matmul", "operator.matmul"):
        FUNCTIONS[name] = _matmul(FUNCTIONS[name])
    FUNCTIONS["operator.mul"] = _batch_product(FUNCTIONS["operator.mul"])
    FUNCTIONS["operator.floordiv"] = _batch_quotient(FUNCTIONS["operator.floordiv"])
    for cls, dims in CHANNELS_FIRST_DIMS.items():
        MODULES[cls] = _positional_module(MODULES[cls], dims)
    for name in ("F.conv1d", "F.conv2d", "F.conv3d", "torch.conv1d", "torch.conv2d", "torch.conv3d"):
        FUNCTIONS[name] = _conv_function(FUNCTIONS[name])
    for cls in NORMS_BY_POSITION:
        MODULES[cls] = _positional_norm(MODULES[cls])
    for name in ("F.interpolate", "F.group_norm", "F.batch_norm"):
        FUNCTIONS[name] = _resize_function(FUNCTIONS[name])
    for name in ("torch.cat", "torch.concat", "torch.concatenate"):
        FUNCTIONS[name] = _cat(FUNCTIONS[name])


register()


from . import torch_fold_ops  # noqa: E402,F401,I001  (norms given a tensor folded into the batch)
