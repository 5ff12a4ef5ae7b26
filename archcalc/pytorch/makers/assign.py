"""The twins of `assign` (`x[index] = v` in place, as the model writes it) and `param_matmul` (x @ P)."""

from __future__ import annotations

import math

import torch
from torch import nn

from . import makes


class Assign(nn.Module):
    def __init__(self, index: tuple):
        super().__init__()
        self.key = (slice(None),) + tuple(e if isinstance(e, int) else slice(*e) for e in index)

    def forward(self, x, v):
        x[self.key] = v
        return x


@makes("assign")
def make_assign(a, xs):
    return Assign(a.index)


class ParamMatmul(nn.Module):
    """x @ P with P made from `params` elements (and an index of `buffers`): P's own tensor where it is a
    parameter as it is, else a table of those elements read to P's shape by views (no saved tensors)."""

    def __init__(self, shape: tuple, params, buffers: int):
        super().__init__()
        self.shape = tuple(shape)
        elements = math.prod(self.shape)
        self.weight = nn.Parameter(torch.zeros(*self.shape) if params is None else torch.zeros(params))
        self.gathered = params is not None
        if buffers:
            self.register_buffer("index", torch.zeros(buffers, dtype=torch.long))
        self.elements = elements

    def forward(self, x):
        p = self.weight[:1].expand(self.elements).reshape(self.shape) if self.gathered else self.weight
        return torch.matmul(x, p)


@makes("param_matmul")
def make_param_matmul(a, xs):
    return ParamMatmul(a.shape, a.params, a.buffers)
