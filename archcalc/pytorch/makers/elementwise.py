"""Torch twins of the elementwise kinds beyond the lecture's: broadcast multiply, identity and drop-path.
(mish is an activation: its twin, nn.Mish, is in classic.py's activation table.)"""

from __future__ import annotations

import torch
from torch import nn

from . import makes
from .classic import channel_dim


class Mul(nn.Module):
    """Elementwise product of two inputs that broadcast; in place into the first when `inplace`
    (like `x.mul_(gate)`)."""

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, x, y):
        return x.mul_(y) if self.inplace else x * y


class DropPath(nn.Module):
    """Stochastic depth as timm computes it: in training each sample is kept with probability 1 - p and
    rescaled by 1/(1 - p) (a Bernoulli mask of shape (N, 1, 1, ...)); in eval, and for p = 0, the input."""

    def __init__(self, p: float = 0.0):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training or self.p == 0:
            return x
        keep = 1 - self.p
        mask = x.new_empty((x.shape[0],) + (1,) * (x.dim() - 1)).bernoulli_(keep)
        return x.div(keep).mul(mask)

    def extra_repr(self) -> str:
        return f"p={self.p}"


@makes("mul")
def make_mul(a, xs):
    return Mul(getattr(a, "inplace", False))


@makes("identity")
def make_identity(a, xs):
    return nn.Identity()


@makes("drop_path")
def make_drop_path(a, xs):
    return DropPath(a.p)


class LayerScale(nn.Module):
    """x * gamma with one learned factor per channel, broadcast over the other axes: channels first
    (timm's LayerScale2d), or channels last (ConvNeXt's and ViT's form, gamma on the last axis)."""

    def __init__(self, channels: int, dim: int = 1):
        super().__init__()
        self.gamma = nn.Parameter(torch.ones(channels))
        self.dim = dim

    def forward(self, x):
        if self.dim == -1 or self.dim == x.dim() - 1:
            return x.mul(self.gamma)
        return x.mul(self.gamma.reshape(1, -1, *([1] * (x.dim() - 2))))


@makes("scale", layout=True)
def make_scale(a, xs, roles=()):
    dim = channel_dim(None, roles, xs)
    return LayerScale(xs[0].shape[dim], dim)
