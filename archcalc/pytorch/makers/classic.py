"""Torch twins of the lecture's kinds: conv, pooling, LRN, batch norm, activations, dropout, flatten, linear,
softmax, and the joins (concat, add, mean, zero-padded channels)."""

from __future__ import annotations

import torch
from torch import nn

from ...errors import GraphError
from . import makes
from .standardised import add_gain, standardised


# --- small modules for the graph operations that torch writes as functions ------------------------------
class Concat(nn.Module):
    """torch.cat of the branches along channels, or along torch's `dim` (a new tensor)."""

    def __init__(self, dim: int = 1):
        super().__init__()
        self.dim = dim

    def forward(self, *xs):
        return torch.cat(xs, self.dim)


class Add(nn.Module):
    """Elementwise sum of the inputs; in place into the first input when `inplace` (like `out += identity`)."""

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, *xs):
        if self.inplace:
            out = xs[0]
            for x in xs[1:]:
                out += x
            return out
        out = xs[0] + xs[1]
        for x in xs[2:]:
            out = out + x
        return out

    def extra_repr(self) -> str:
        return f"inplace={self.inplace}"


class Mean(nn.Module):
    """Elementwise mean of the inputs (FractalNet's join): one new tensor."""

    def forward(self, *xs):
        out = xs[0] + xs[1]
        for x in xs[2:]:
            out = out + x
        return out / len(xs)


class PadChannels(nn.Module):
    """Zero channels appended after the input's, up to `out_channels` (a new tensor, torch.nn.functional.pad)."""

    def __init__(self, out_channels: int):
        super().__init__()
        self.out_channels = out_channels

    def forward(self, x):
        spatial = x.dim() - 2
        return nn.functional.pad(x, (0, 0) * spatial + (0, self.out_channels - x.shape[1]))

    def extra_repr(self) -> str:
        return f"out_channels={self.out_channels}"


class InplaceFunction(nn.Module):
    """An elementwise torch method applied in place (`x.tanh_()`), for kinds whose nn module has no flag."""

    def __init__(self, method: str):
        super().__init__()
        self.method = method

    def forward(self, x):
        return getattr(x, self.method)()

    def extra_repr(self) -> str:
        return self.method


# --- one maker per kind ---------------------------------------------------------------------------------
_CONV = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}
_MAXPOOL = {1: nn.MaxPool1d, 2: nn.MaxPool2d, 3: nn.MaxPool3d}
_AVGPOOL = {1: nn.AvgPool1d, 2: nn.AvgPool2d, 3: nn.AvgPool3d}
_ADAPTIVE_AVG = {1: nn.AdaptiveAvgPool1d, 2: nn.AdaptiveAvgPool2d, 3: nn.AdaptiveAvgPool3d}
_ADAPTIVE_MAX = {1: nn.AdaptiveMaxPool1d, 2: nn.AdaptiveMaxPool2d, 3: nn.AdaptiveMaxPool3d}


def _by_axes(table: dict, axes: int, what: str):
    try:
        return table[axes]
    except KeyError:
        raise GraphError(f"{what} over {axes} spatial axes has no torch module") from None


@makes("conv")
def make_conv(a, xs):
    """nn.ConvNd; in_channels from the input tensor. A standardised weight (and gain): as timm's StdConv2d
    (ScaledStdConv2d) computes it (makers/standardised.py)."""
    cls = _by_axes(_CONV, len(a.kernel), "convolution")
    if a.standardised:
        cls = standardised(cls)
    if a.same:
        conv = _same_conv(cls, a, xs[0].shape[1])
    else:
        conv = cls(xs[0].shape[1], a.out_channels, a.kernel, a.stride, a.padding, a.dilation, a.groups, a.bias)
    return add_gain(conv) if a.gain else conv


def _same_conv(cls, a, in_channels):
    """padding='same' written out as torch's own conv_padding_mode_same runs it: the symmetric part as the
    conv's padding and, where d*(k - 1) is odd, a zero-padded copy of the input with one more on the right.
    (nn.ConvNd(padding='same') traces to aten::_convolution_mode, which fvcore does not count.)"""
    totals = [d * (k - 1) for k, d in zip(a.kernel, a.dilation)]
    extra = tuple(v for t in reversed(totals) for v in (0, t % 2))  # F.pad order: last axis first
    conv = cls(in_channels, a.out_channels, a.kernel, a.stride, tuple(t // 2 for t in totals), a.dilation,
               a.groups, a.bias)
    if any(extra):
        conv.__class__ = _right_padded(cls)  # the same parameters and names; forward pads first
        conv.extra_padding = extra
    return conv


_RIGHT_PADDED: dict = {}


def _right_padded(cls):
    """A subclass of cls whose forward zero-pads its input by `extra_padding` first (made once per class)."""
    if cls not in _RIGHT_PADDED:
        def forward(self, x):
            return cls.forward(self, nn.functional.pad(x, self.extra_padding))
        _RIGHT_PADDED[cls] = type(f"RightPadded{cls.__name__}", (cls,), {"forward": forward})
    return _RIGHT_PADDED[cls]


@makes("maxpool")
def make_maxpool(a, xs):
    return _by_axes(_MAXPOOL, len(a.kernel), "max pooling")(a.kernel, a.stride, a.padding, a.dilation,
                                                             ceil_mode=a.ceil_mode)


@makes("avgpool")
def make_avgpool(a, xs):
    if any(d != 1 for d in a.dilation):  # torch's average pooling has no dilation
        raise GraphError(f"average pooling with dilation {a.dilation} has no torch module")
    return _by_axes(_AVGPOOL, len(a.kernel), "average pooling")(a.kernel, a.stride, a.padding, a.ceil_mode,
                                                                a.count_include_pad)


@makes("adaptive_avgpool")
def make_adaptive_avgpool(a, xs):
    return _by_axes(_ADAPTIVE_AVG, len(a.output), "adaptive average pooling")(a.output)


@makes("adaptive_maxpool")
def make_adaptive_maxpool(a, xs):
    return _by_axes(_ADAPTIVE_MAX, len(a.output), "adaptive max pooling")(a.output)


@makes("lrn")
def make_lrn(a, xs):
    return nn.LocalResponseNorm(a.size, a.alpha, a.beta, a.k)


@makes("batchnorm")
def make_batchnorm(a, xs):
    """BatchNorm1d for (N, C) or (N, C, L) inputs, 2d for images, 3d for volumes; features from the input."""
    cls = {2: nn.BatchNorm1d, 3: nn.BatchNorm1d, 4: nn.BatchNorm2d, 5: nn.BatchNorm3d}.get(xs[0].dim())
    if cls is None:
        raise GraphError(f"batch norm of a {xs[0].dim()}-D tensor has no torch module")
    return cls(xs[0].shape[1], eps=a.eps, affine=a.affine, track_running_stats=a.track_running_stats)


# kind -> (nn module class, whether it takes inplace=, the tensor method for an in-place version)
_ACTIVATIONS = {
    "relu": (nn.ReLU, True, None), "relu6": (nn.ReLU6, True, None), "leaky_relu": (nn.LeakyReLU, True, None),
    "elu": (nn.ELU, True, None), "silu": (nn.SiLU, True, None), "hardswish": (nn.Hardswish, True, None),
    "hardsigmoid": (nn.Hardsigmoid, True, None), "mish": (nn.Mish, True, None), "gelu": (nn.GELU, False, None),
    "sigmoid": (nn.Sigmoid, False, "sigmoid_"), "tanh": (nn.Tanh, False, "tanh_"),
}


def _make_activation(kind: str) -> None:
    cls, has_flag, method = _ACTIVATIONS[kind]

    @makes(kind)
    def make(a, xs):
        inplace = getattr(a, "inplace", False)
        if has_flag:
            return cls(inplace=inplace)
        if not inplace:
            return cls()
        if method is None:
            raise GraphError(f"{kind} has no in-place form in torch")
        return InplaceFunction(method)


for _kind in _ACTIVATIONS:
    _make_activation(_kind)


@makes("dropout")
def make_dropout(a, xs):
    return nn.Dropout(a.p)


def torch_dim(axis: int) -> int:
    """An axis of one sample (core/ir.py) as torch's dim, the batch first."""
    return axis + 1 if axis >= 0 else axis


def channel_dim(axis, roles, xs) -> int:
    """torch's dim of `axis`, or of the channel axis where it is None (1 when the layout is not known)."""
    if axis is not None:
        return torch_dim(axis)
    first = roles[0] if roles else ""
    return first.find("C") + 1 if "C" in first else 1


@makes("flatten")
def make_flatten(a, xs):
    return nn.Flatten(torch_dim(a.start), torch_dim(a.end))  # the batch kept


@makes("linear", layout=True)
def make_linear(a, xs, roles=()):
    channels_first = bool(roles) and roles[0].startswith("CS") and set(roles[0][1:]) == {"S"}
    if xs[0].dim() < 2 or (xs[0].dim() > 2 and (channels_first or not roles)):
        raise GraphError(f"linear needs a flat input, got a tensor of shape {tuple(xs[0].shape)}")
    return nn.Linear(xs[0].shape[-1], a.out_features, a.bias)  # on the last axis, as torch applies it


@makes("softmax", layout=True)
def make_softmax(a, xs, roles=()):
    return nn.Softmax(dim=channel_dim(a.axis, roles, xs))


@makes("concat", layout=True)
def make_concat(a, xs, roles=()):
    return Concat(channel_dim(a.axis, roles, xs))


@makes("add")
def make_add(a, xs):
    return Add(getattr(a, "inplace", False))


@makes("mean")
def make_mean(a, xs):
    return Mean()


@makes("pad_channels")
def make_pad_channels(a, xs):
    if a.out_channels < xs[0].shape[1]:
        raise GraphError(f"cannot pad {xs[0].shape[1]} channels down to {a.out_channels}")
    return PadChannels(a.out_channels)


# --- the module -------------------------------------------------------------------------------------------
