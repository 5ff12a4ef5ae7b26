"""Attribute types of the kinds that lay tensors out anew, multiply matrices, make tokens, join learned
tensors and constants (re-exported by core/ir.py, where every kind's attributes are looked up)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional


# --- layout: views that lay a tensor out anew, reductions, matrix products, tokens --------------------------
# Axes are counted after the batch axis (0 is the first axis of a sample; torch's dim 1), negative from the
# end; the builder turns torch's numbering into this one once.
@dataclass(frozen=True)
class Reshape:
    """x.reshape / x.view to `sizes` per sample; one size may be -1 (the rest of the elements). `roles`, where
    given, names the output axes (core/shape.py) instead of following them from the input: a layer that
    reads axes by position (Conv1d on a pooled (1, C) vector: 1 channel of length C) says what they are."""

    sizes: tuple
    roles: str = ""


@dataclass(frozen=True)
class Permute:
    """x.permute: axis i of the output is axis order[i] of the input (transpose swaps two). A view."""

    order: tuple


@dataclass(frozen=True)
class Transpose:
    """x.transpose(a, b): two axes swapped (a permute whose order depends on the rank). A view."""

    a: int
    b: int


@dataclass(frozen=True)
class Contiguous:
    """x.contiguous(): the tensor itself where it is contiguous, else a row-major copy."""


@dataclass(frozen=True)
class Select:
    """x.select(axis, index), `x[:, 0]`: one position of an axis, the axis removed (a ViT's class token). A
    view; torch.unbind is one select per position."""

    axis: int
    index: int


@dataclass(frozen=True)
class ReduceMean:
    """x.mean(axes, keepdim): the mean over some axes (a global average pool written as a mean)."""

    axes: tuple
    keepdim: bool = False


@dataclass(frozen=True)
class ReduceSum:
    """x.sum(axes, keepdim): the sum over some axes (SKNet's sum of its branches)."""

    axes: tuple
    keepdim: bool = False


@dataclass(frozen=True)
class Normalize:
    """F.normalize: each vector along `axis` (None: the channels) divided by its Lp norm (at least eps)."""

    axis: Optional[int] = None
    p: float = 2.0
    eps: float = 1e-12


@dataclass(frozen=True)
class Matmul:
    """torch.matmul / bmm of two inputs (..., n, k) @ (..., k, m) -> (..., n, m); leading axes broadcast."""


@dataclass(frozen=True)
class Attention:
    """Multi-head self-attention on tokens x channels with its projections, as timm's ViT writes it: a qkv
    linear (C -> 3C), softmax(q k^T / sqrt(C/heads)) v per head, an output linear (C -> C)."""

    heads: int
    qkv_bias: bool = True
    proj_bias: bool = True
    fused: bool = False  # softmax(q k^T) v by F.scaled_dot_product_attention (timm's fused_attn): it keeps less


@dataclass(frozen=True)
class ClassToken:
    """A learned token (C values each) put before the tokens: torch.cat((cls_token.expand(N, -1, -1), x), 1)."""

    count: int = 1


@dataclass(frozen=True)
class PosEmbed:
    """A learned position embedding added to the tokens: x + pos_embed, one C-vector per token."""


@dataclass(frozen=True)
class Scalar:
    """x op value with a constant: op add, sub, rsub (value - x), mul, div, rdiv (value / x) or pow."""

    op: str
    value: float


@dataclass(frozen=True)
class Bias:
    """x + P: a learned tensor of `shape` that broadcasts against the sample (a relative position bias).
    params/buffers: the elements P is made from, where it is gathered from a smaller table (None: P's own)."""

    shape: tuple
    params: Optional[int] = None
    buffers: int = 0


@dataclass(frozen=True)
class Gain:
    """x * P: a learned tensor of `shape` that broadcasts against the sample (a gain per channel, any layout).
    params/buffers: as for Bias."""

    shape: tuple
    params: Optional[int] = None
    buffers: int = 0


@dataclass(frozen=True)
class ReduceNorm:
    """x.norm(p, dim, keepdim): the Lp norm over some axes (ConvNeXt-V2's global response norm)."""

    axes: tuple
    keepdim: bool = False
    p: float = 2.0


@dataclass(frozen=True)
class Constant:
    """x + C or x * C (op add or mul), C a tensor of `shape` that the model computes from sizes alone, with no
    parameter in it (a rotary embedding's sin and cos tables): it broadcasts against the sample as Bias and
    Gain do, but holds nothing learned, and backward keeps nothing of x for it."""

    op: str
    shape: tuple
