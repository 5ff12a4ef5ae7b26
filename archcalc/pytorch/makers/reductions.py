"""Torch twins of core/rules/reductions.py: x.var / x.std, x.amax / x.amin over axes, sqrt and rsqrt, x.expand, and
x[..., [i0, i1, ...]] (take)."""

from __future__ import annotations

import torch
from torch import nn

from . import makes
from .classic import torch_dim


class ReduceVar(nn.Module):
    def __init__(self, dims: tuple, keepdim: bool, correction: int, root: bool):
        super().__init__()
        self.dims, self.keepdim, self.correction, self.root = tuple(dims), keepdim, correction, root

    def forward(self, x):
        f = torch.std if self.root else torch.var
        return f(x, dim=self.dims, correction=self.correction, keepdim=self.keepdim)


class ReduceMax(nn.Module):
    def __init__(self, dims: tuple, keepdim: bool, op: str):
        super().__init__()
        self.dims, self.keepdim, self.op = tuple(dims), keepdim, op

    def forward(self, x):
        f = torch.amax if self.op == "max" else torch.amin
        return f(x, dim=self.dims, keepdim=self.keepdim)


class Root(nn.Module):
    def __init__(self, inverse: bool, inplace: bool):
        super().__init__()
        self.inverse, self.inplace = inverse, inplace

    def forward(self, x):
        if self.inverse:
            return x.rsqrt_() if self.inplace else torch.rsqrt(x)
        return x.sqrt_() if self.inplace else torch.sqrt(x)


@makes("reduce_var")
def make_reduce_var(a, xs):
    return ReduceVar(tuple(torch_dim(d) for d in a.axes), a.keepdim, a.correction, a.root)


@makes("reduce_max")
def make_reduce_max(a, xs):
    return ReduceMax(tuple(torch_dim(d) for d in a.axes), a.keepdim, a.op)


@makes("sqrt")
def make_sqrt(a, xs):
    return Root(False, a.inplace)


@makes("rsqrt")
def make_rsqrt(a, xs):
    return Root(True, a.inplace)


class Expand(nn.Module):
    def __init__(self, sizes: tuple):
        super().__init__()
        self.sizes = tuple(sizes)

    def forward(self, x):
        return x.expand(x.shape[0], *self.sizes)


@makes("expand")
def make_expand(a, xs):
    return Expand(a.sizes)


class Take(nn.Module):
    def __init__(self, dim: int, indices: tuple):
        super().__init__()
        self.dim, self.indices = dim, list(indices)

    def forward(self, x):
        index = (slice(None),) * self.dim + (self.indices,)
        return x[index]


@makes("take")
def make_take(a, xs):
    dim = torch_dim(a.axis) % xs[0].dim()
    return Take(dim, a.indices)
