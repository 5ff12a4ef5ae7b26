"""Torch twins of the layout and token kinds: reshape, permute, transpose, select, a mean over axes, matmul,
multi-head attention (timm's unfused path, written out), a class token and a position embedding."""

from __future__ import annotations

import math


import torch
from torch import nn

from . import makes
from .classic import torch_dim


class Reshape(nn.Module):
    """x.reshape(N, *sizes): a view of a contiguous input, a copy of a permuted one."""

    def __init__(self, sizes: tuple):
        super().__init__()
        self.sizes = tuple(sizes)

    def forward(self, x):
        return x.reshape(x.shape[0], *self.sizes)

    def extra_repr(self) -> str:
        return f"sizes={self.sizes}"


class Permute(nn.Module):
    """x.permute(0, *order): a view; `order` in torch's numbering, the batch first."""

    def __init__(self, order: tuple):
        super().__init__()
        self.order = tuple(order)

    def forward(self, x):
        rank = x.dim() - 1
        return x.permute(0, *[o % rank + 1 for o in self.order])

    def extra_repr(self) -> str:
        return f"order={self.order}"


class Transpose(nn.Module):
    def __init__(self, a: int, b: int):
        super().__init__()
        self.a, self.b = a, b

    def forward(self, x):
        return x.transpose(self.a, self.b)


class Select(nn.Module):
    def __init__(self, dim: int, index: int):
        super().__init__()
        self.dim, self.index = dim, index

    def forward(self, x):
        return x.select(self.dim, self.index)


class ReduceMean(nn.Module):
    def __init__(self, dims: tuple, keepdim: bool):
        super().__init__()
        self.dims, self.keepdim = tuple(dims), keepdim

    def forward(self, x):
        return x.mean(self.dims, keepdim=self.keepdim)


class ReduceSum(nn.Module):
    def __init__(self, dims: tuple, keepdim: bool):
        super().__init__()
        self.dims, self.keepdim = tuple(dims), keepdim

    def forward(self, x):
        return x.sum(self.dims, keepdim=self.keepdim)


@makes("reduce_sum")
def make_reduce_sum(a, xs):
    return ReduceSum(tuple(torch_dim(d) for d in a.axes), a.keepdim)


class Matmul(nn.Module):
    def forward(self, a, b):
        return torch.matmul(a, b)


class Attention(nn.Module):
    """Multi-head self-attention as timm's ViT Attention computes it without the fused kernel: qkv linear,
    q scaled, softmax(q k^T) v per head, heads joined, proj linear. Parameter names are timm's."""

    def __init__(self, dim: int, heads: int, qkv_bias: bool = True, proj_bias: bool = True, fused: bool = False):
        super().__init__()
        self.heads, self.head_dim, self.fused = heads, dim // heads, fused
        self.scale = self.head_dim ** -0.5
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim, bias=proj_bias)

    def forward(self, x):
        n, t, c = x.shape
        qkv = self.qkv(x).reshape(n, t, 3, self.heads, self.head_dim).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        if self.fused:
            x = torch.nn.functional.scaled_dot_product_attention(q, k, v)
            return self.proj(x.transpose(1, 2).reshape(n, t, c))
        q = q * self.scale
        attn = (q @ k.transpose(-2, -1)).softmax(dim=-1)
        x = (attn @ v).transpose(1, 2).reshape(n, t, c)
        return self.proj(x)


class ClassToken(nn.Module):
    """torch.cat((cls_token.expand(N, -1, -1), x), dim=1), timm's form; the parameter is timm's name."""

    def __init__(self, count: int, channels: int):
        super().__init__()
        self.cls_token = nn.Parameter(torch.zeros(1, count, channels))

    def forward(self, x):
        return torch.cat((self.cls_token.expand(x.shape[0], -1, -1), x), dim=1)

    def reset_parameters(self):
        nn.init.normal_(self.cls_token, std=1e-6)


class PosEmbed(nn.Module):
    def __init__(self, tokens: int, channels: int):
        super().__init__()
        self.pos_embed = nn.Parameter(torch.zeros(1, tokens, channels))

    def forward(self, x):
        return x + self.pos_embed

    def reset_parameters(self):
        nn.init.trunc_normal_(self.pos_embed, std=0.02)


class Learned(nn.Module):
    """x + P or x * P with a learned P of the given sample shape (batch axis 1). Where the layer says P is
    gathered from a smaller table (`params` elements, by an index buffer of `buffers` elements: a relative
    position bias), the twin holds that table and that index and gathers P from them, as the model does."""

    def __init__(self, shape: tuple, op: str, params=None, buffers: int = 0):
        super().__init__()
        self.op, self.shape = op, tuple(shape)
        elements = math.prod(self.shape)
        if params == 0 and not buffers:  # a parameter counted by another layer (CaiT's class token, used twice)
            self.weight, self.index = None, None  # made in forward: no parameter, no buffer here
            return
        if params is None or (params == elements and not buffers):
            self.weight = nn.Parameter(torch.zeros(*shape) if op == "add" else torch.ones(*shape))
            self.index = None
            return
        per = elements // buffers if buffers and not elements % buffers else 0  # entries gathered per index
        rows = params // per if per and not params % per else 0
        table = (rows, per) if rows else (params,)  # else P is made otherwise (an MLP's output): the counts only
        self.weight = nn.Parameter(torch.zeros(*table) if op == "add" else torch.ones(*table))
        self.register_buffer("index", torch.zeros(buffers, dtype=torch.long))

    def forward(self, x):
        if self.weight is None:
            p = x.new_zeros(self.shape) if self.op == "add" else x.new_ones(self.shape)
        elif self.index is None:
            p = self.weight
        elif self.weight.dim() == 2:
            p = self.weight[self.index].reshape(self.shape)
        else:  # views only: P of the right shape from the table, saving nothing for backward
            p = self.weight[:1].expand(math.prod(self.shape)).reshape(self.shape)
        return x + p if self.op == "add" else x * p


class ScalarOp(nn.Module):
    def __init__(self, op: str, value: float):
        super().__init__()
        self.op, self.value = op, value

    def forward(self, x):
        v = self.value
        return {"add": lambda: x + v, "sub": lambda: x - v, "rsub": lambda: v - x, "mul": lambda: x * v,
                "div": lambda: x / v, "rdiv": lambda: v / x, "pow": lambda: x ** v}[self.op]()


@makes("scalar")
def make_scalar(a, xs):
    return ScalarOp(a.op, a.value)


class Normalize(nn.Module):
    def __init__(self, dim: int, p: float, eps: float):
        super().__init__()
        self.dim, self.p, self.eps = dim, p, eps

    def forward(self, x):
        return torch.nn.functional.normalize(x, p=self.p, dim=self.dim, eps=self.eps)


@makes("normalize", layout=True)
def make_normalize(a, xs, roles=()):
    from .classic import channel_dim

    return Normalize(channel_dim(a.axis, roles, xs), a.p, a.eps)


@makes("bias")
def make_bias(a, xs):
    return Learned(a.shape, "add", a.params, a.buffers)


@makes("gain")
def make_gain(a, xs):
    return Learned(a.shape, "mul", a.params, a.buffers)


@makes("reshape")
def make_reshape(a, xs):
    return Reshape(a.sizes)


@makes("permute")
def make_permute(a, xs):
    return Permute(a.order)


@makes("transpose")
def make_transpose(a, xs):
    return Transpose(torch_dim(a.a), torch_dim(a.b))


class Contiguous(nn.Module):
    def forward(self, x):
        return x.contiguous()


@makes("contiguous")
def make_contiguous(a, xs):
    return Contiguous()


@makes("select")
def make_select(a, xs):
    return Select(torch_dim(a.axis), a.index)


@makes("reduce_mean")
def make_reduce_mean(a, xs):
    return ReduceMean(tuple(torch_dim(d) for d in a.axes), a.keepdim)


@makes("matmul")
def make_matmul(a, xs):
    return Matmul()


@makes("attention")
def make_attention(a, xs):
    return Attention(xs[0].shape[-1], a.heads, a.qkv_bias, a.proj_bias, a.fused)


@makes("class_token")
def make_class_token(a, xs):
    return ClassToken(a.count, xs[0].shape[-1])


@makes("pos_embed")
def make_pos_embed(a, xs):
    return PosEmbed(xs[0].shape[1], xs[0].shape[-1])
