"""Torch twins of the elementwise kinds beyond the lecture's: broadcast multiply, identity and drop-path.
(mish is an activation: its twin, nn.Mish, is in classic.py's activation table.)"""

from __future__ import annotations

import torch
from torch import nn

from . import makes


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
    """x * gamma with one learned factor per channel, broadcast over the spatial axes (ConvNeXt's form)."""

    def __init__(self, channels: int):
        super().__init__()
        self.gamma = nn.Parameter(torch.ones(channels))

    def forward(self, x):
        return x.mul(self.gamma.reshape(1, -1, *([1] * (x.dim() - 2))))


@makes("scale")
def make_scale(a, xs):
    return LayerScale(xs[0].shape[1])
