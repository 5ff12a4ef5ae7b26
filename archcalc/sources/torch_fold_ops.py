"""Layers that read axes by position, given a tensor with per-sample axes folded into the batch (torch_folding).

A BatchNorm on (B * k, C, ...) (LeViT's LinearNorm: BatchNorm1d on tokens flattened into the batch) keeps one
mean and variance per channel over the batch and every other axis: per sample, the k folded positions are
more positions of each channel. Here the sample's channel axis is brought first by a permute (a view), the
axes named channels first as the norm takes them, and the result permuted back and folded as it came, so the
norm's figures (2 ops per element, 2C parameters, 2C + 1 buffers) are those of torch's layer.

timm's Attention given such a tensor (MobileViT's (B * P, N, C): each of the P pixel positions of a patch
attends over the N patches apart) is P attentions of N tokens per sample: the attention kind takes one
(tokens x channels), so here it is written out as the module computes it, over the leading axes: the qkv
projection, q k^T per head, a softmax, the product with v, the heads joined and the output projection.
Registered over torch_modules' table (imported at torch_axes' end)."""

from __future__ import annotations

from .torch_functions import FUNCTIONS
from .torch_modules import MODULES
from .torch_values import Tensor, UnsupportedOp


def channels_brought_first(imp, x: Tensor, f: int, run):
    """run(y) on y = x with its axis f (torch's axis 1 past the fold) first and every axis named channels
    first; its result moved back to x's order and roles, and folded as x."""
    rank = x.shape.rank
    order = [0, f + 1, *range(1, f + 1), *range(f + 2, rank + 1)]  # builder dims, the batch 0 first
    moved = imp.build("permute", x, None, dims=order)
    roles = moved.shape.roles
    out = run(imp.read_as(moved, "C" + "S" * (rank - 1)))
    out = imp.read_as(out, roles)
    inverse = [order.index(i) for i in range(rank + 1)]
    return imp.set_fold(imp.build("permute", out, None, dims=inverse), f)


def _folded_batchnorm(handler):
    def batchnorm(imp, m, args, kwargs, name):
        x = args[0] if args else None
        f = imp.fold(x) if isinstance(x, Tensor) else 0
        if not f:
            return handler(imp, m, args, kwargs, name)
        return channels_brought_first(imp, x, f, lambda y: handler(imp, m, (y, *args[1:]), kwargs, name))
    batchnorm.__doc__ = handler.__doc__
    return batchnorm


def attention_written_out(imp, m, x: Tensor, name) -> Tensor:
    """timm's Attention.forward over x of shape (leading..., N, C), the leading axes kept apart."""
    if getattr(m, "gate", None) is not None or any(type(getattr(m, a, None)).__name__ != "Identity"
                                                   for a in ("q_norm", "k_norm", "norm")):
        raise UnsupportedOp("timm Attention with q/k norms, a scale norm or a gate, given a folded tensor")
    if x.shape.channels_first:  # a view of a map (MobileViT's patches): Linear reads the last axis as channels
        x = imp.read_as(x, "S" * (x.shape.rank - 1) + "C", f"{name}.axes")
    *lead, n, _ = x.shape.dims
    p, h, d = len(lead), m.num_heads, m.head_dim
    qkv = imp.build("linear", x, f"{name}.qkv", out_features=m.qkv.out_features, bias=m.qkv.bias is not None)
    qkv = imp.build("reshape", qkv, None, sizes=[*lead, n, 3, h, d])
    heads = [0, *range(1, p + 1), p + 2, p + 1, p + 3]  # (lead, N, h, d) -> (lead, h, N, d)
    q, k, v = (imp.build("permute", imp.build("select", qkv, None, dim=p + 2, index=i), None, dims=heads)
               for i in range(3))
    if not m.fused_attn:
        q = imp.build("scalar", q, None, op="mul", value=float(m.scale))
    scores = imp.build("matmul", [q, imp.build("transpose", k, None, dim0=-2, dim1=-1)], None)
    out = imp.build("matmul", [imp.build("softmax", scores, None, dim=-1), v], None)
    out = imp.build("transpose", out, None, dim0=p + 1, dim1=p + 2)
    out = imp.build("reshape", out, None, sizes=[*lead, n, h * d])
    return imp.build("linear", out, f"{name}.proj", out_features=m.proj.out_features, bias=m.proj.bias is not None)


def _folded_attention(handler):
    def attention(imp, m, args, kwargs, name):
        x = args[0] if args else None
        f = imp.fold(x) if isinstance(x, Tensor) else 0
        if not f or kwargs.get("attn_mask") is not None or len(args) > 1 and args[1] is not None:
            return handler(imp, m, args, kwargs, name)
        return imp.set_fold(attention_written_out(imp, m, x, name), f)
    attention.__doc__ = handler.__doc__
    return attention


def _folded_linear(handler):
    """A Linear given a folded view of a map (MobileViT's (B * P, N, C) patches, named channels first by
    the view): torch's Linear reads the last axis as its features, so the axes are named so."""
    def linear(imp, m, args, kwargs, name):
        x = args[0] if args else None
        if isinstance(x, Tensor) and x.shape.channels_first and x.shape.rank > 1 and imp.fold(x):
            f = imp.fold(x)
            x = imp.set_fold(imp.read_as(x, "S" * (x.shape.rank - 1) + "C", f"{name}.axes"), f)
            args = (x, *args[1:])
        return handler(imp, m, args, kwargs, name)
    linear.__doc__ = handler.__doc__
    return linear


def _folded_conv(handler):
    """A Conv1d/Conv2d given (B * k, C, ...) (EfficientViT-M's windows folded into the batch): per sample, the
    same kernel run over each of the k maps apart, which is a conv over one more axis with a kernel of 1
    there (stride 1, no padding): the sample's channels brought first, the conv of 1 x kernel, moved back.
    Its weights (out x in/groups x 1 x kernel) and MACs are the 2-D layer's, k times the positions."""
    def conv(imp, m, args, kwargs, name):
        x = args[0] if args else None
        f = imp.fold(x) if isinstance(x, Tensor) else 0
        dims = len(m.kernel_size)
        if not f:
            return handler(imp, m, args, kwargs, name)
        if x.shape.rank != f + dims + 1 or f + dims > 3 or m.padding_mode != "zeros" or isinstance(m.padding, str):
            raise UnsupportedOp("a convolution of a tensor folded into the batch, other than zero-padded "
                                "with explicit padding over at most 3 axes in all")
        unit = (1,) * f
        return channels_brought_first(imp, x, f, lambda y: imp.build(
            "conv", y, name, out_channels=m.out_channels, kernel=unit + tuple(m.kernel_size),
            stride=unit + tuple(m.stride), padding=(0,) * f + tuple(m.padding), dilation=unit + tuple(m.dilation),
            groups=m.groups, bias=m.bias is not None, dims=f + dims))
    conv.__doc__ = handler.__doc__
    return conv


def _axes(value, dims: int) -> tuple:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * dims


def _folded_pool(handler, kind: str):
    """MaxPool/AvgPool 1d or 2d given (B * k, C, ...) (Hiera-Det's query pooling of windows folded into the
    batch): as the conv above, a pool over one more axis with a window of 1 there."""
    def pool(imp, m, args, kwargs, name):
        x = args[0] if args else None
        f = imp.fold(x) if isinstance(x, Tensor) else 0
        if not f:
            return handler(imp, m, args, kwargs, name)
        dims = int(type(m).__name__[-2])
        if x.shape.rank != f + dims + 1 or f + dims > 3 or getattr(m, "return_indices", False) or \
                getattr(m, "divisor_override", None):
            raise UnsupportedOp("a pool of a tensor folded into the batch over more than 3 axes in all")
        unit = (1,) * f
        fields = dict(kernel=unit + _axes(m.kernel_size, dims), stride=unit + _axes(m.stride, dims),
                      padding=(0,) * f + _axes(m.padding, dims), ceil_mode=m.ceil_mode, dims=f + dims)
        if kind == "maxpool":
            fields["dilation"] = unit + _axes(m.dilation, dims)
        else:
            fields["count_include_pad"] = m.count_include_pad
        return channels_brought_first(imp, x, f, lambda y: imp.build(kind, y, name, **fields))
    pool.__doc__ = handler.__doc__
    return pool


def register() -> None:
    for cls, kind in (("MaxPool1d", "maxpool"), ("MaxPool2d", "maxpool"), ("AvgPool1d", "avgpool"),
                      ("AvgPool2d", "avgpool")):
        MODULES[cls] = _folded_pool(MODULES[cls], kind)
    for cls in ("Conv1d", "Conv2d"):
        MODULES[cls] = _folded_conv(MODULES[cls])
    MODULES["Linear"] = _folded_linear(MODULES["Linear"])
    for cls in ("BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "SyncBatchNorm"):
        MODULES[cls] = _folded_batchnorm(MODULES[cls])
    MODULES["Attention"] = _folded_attention(MODULES["Attention"])


register()


def _device_type(handler):
    """x.device.type (EfficientViT's `v.device.type != 'meta'`, choosing autocast off for its attention): the
    trace has already taken one branch, so the value steers nothing archcalc counts; read as 'cpu'."""
    def get_attribute(imp, args, kwargs):
        obj, attr = args[0], args[1]
        if attr == "type" and getattr(obj, "what", None) == "device" and type(obj).__name__ == "Attribute":
            return "cpu"
        return handler(imp, args, kwargs)
    return get_attribute


FUNCTIONS["builtins.getattr"] = _device_type(FUNCTIONS["builtins.getattr"])


from . import torch_condconv  # noqa: E402,F401,I001  (CondConv2d: a linear mixing the experts, a dynamic conv)
