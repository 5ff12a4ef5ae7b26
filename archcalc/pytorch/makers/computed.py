"""Torch twins of the kinds computed from the sample or from sizes alone: RMS norm (nn.RMSNorm), an Lp norm
over axes (x.norm), and x joined to a constant table (a rotary embedding's sin or cos, as a buffer)."""

from __future__ import annotations

import torch
from torch import nn

from . import makes
from .classic import torch_dim


@makes("rmsnorm")
def make_rmsnorm(a, xs):
    """nn.RMSNorm over the input's last `axes` sizes."""
    x = xs[0]
    return nn.RMSNorm(tuple(x.shape[x.dim() - a.axes:]), a.eps, elementwise_affine=a.affine)


class ReduceNorm(nn.Module):
    def __init__(self, dims: tuple, keepdim: bool, p: float):
        super().__init__()
        self.dims, self.keepdim, self.p = tuple(dims), keepdim, p

    def forward(self, x):
        return x.norm(p=self.p, dim=self.dims, keepdim=self.keepdim)


@makes("reduce_norm")
def make_reduce_norm(a, xs):
    return ReduceNorm(tuple(torch_dim(d) for d in a.axes), a.keepdim, a.p)


class WithConstant(nn.Module):
    """x + C or x * C, C a table of `shape` made in the forward pass (as a rotary model makes its sin and cos
    tables): no parameter, no buffer."""

    def __init__(self, shape: tuple, op: str):
        super().__init__()
        self.op, self.shape = op, tuple(shape)

    def forward(self, x):
        table = torch.ones(self.shape, device=x.device, dtype=x.dtype)
        return x + table if self.op == "add" else x * table


@makes("constant")
def make_constant(a, xs):
    return WithConstant(a.shape, a.op)
