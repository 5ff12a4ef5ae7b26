"""Rules for matrix products: `matmul` (torch.matmul / bmm of two tensors) and `attention` (multi-head
self-attention with its projections, as timm's ViT writes it).

MACs of a product (..., n, k) @ (..., k, m) are n x k x m per leading index: the headline convention counts
matrix products with convolutions and linear layers (FlopCounterMode / 2).

Attention on T tokens of C channels with h heads of width d = C/h (Vaswani et al. 2017, Dosovitskiy et al.
2021), per sample:
  qkv     T x C x 3C MACs (a linear C -> 3C)
  q k^T   h x T x d x T = T^2 C MACs (scores, one T x T matrix per head)
  a v     h x T x T x d = T^2 C MACs
  proj    T x C x C MACs
  total   4 T C^2 + 2 T^2 C MACs; parameters 4 C^2 weights (+ 3C and C biases)
Other ops: the biases, the scaling of q by 1/sqrt(d) (T C), and softmax (3 per score, h T^2 scores).
"""

from __future__ import annotations

from ...errors import ShapeError
from ..ir import Attention, Matmul
from ..receptive import merge_rf, whole
from ..shape import CHANNELS, OTHER, SPATIAL, TOKENS, Shape, fmt_dim, is_symbolic, product, to_plain
from . import NO_PARAMS, Params, ShapeOut, flags, rule
from ..strides import folds
from .broadcast import broadcast_shape, same_dim
from .saved import Extra, Saved

flags("matmul", weighted=False, moves_bytes=True, any_layout=True)  # no weights of its own
flags("attention", weighted=True, moves_bytes=True, any_layout=True)  # its projections are learned


# --- matmul ---------------------------------------------------------------------------------------------
def _leading(a: Shape, b: Shape) -> Shape:
    """The broadcast of the leading (batch-like) axes of both inputs."""
    lead_a, lead_b = a.dims[:-2], b.dims[:-2]
    if not lead_a and not lead_b:
        return Shape(dims=(), roles="")
    if not lead_a or not lead_b:
        wide = a if lead_a else b
        return Shape(dims=wide.dims[:-2], roles=wide.roles[:-2])
    return broadcast_shape((Shape(dims=lead_a, roles=a.roles[:-2]), Shape(dims=lead_b, roles=b.roles[:-2])),
                           "matmul's leading axes")


@rule("matmul", "shape")
def matmul_shape(a: Matmul, ins):
    """Output: (..., n, m) from (..., n, k) @ (..., k, m); k must agree and the leading axes broadcast."""
    if len(ins) != 2:
        raise ShapeError(f"matmul takes two inputs, got {len(ins)}")
    x, y = ins
    if x.rank < 2 or y.rank < 2:
        raise ShapeError(f"matmul of {x} and {y}: both need 2 or more axes (reshape a vector to 1 x n)")
    if not same_dim(x.dims[-1], y.dims[-2]):
        raise ShapeError(f"matmul of {x} and {y}: the inner sizes differ ({fmt_dim(x.dims[-1])} against "
                         f"{fmt_dim(y.dims[-2])})")
    lead = _leading(x, y)
    rows, cols = x.roles[-2], y.roles[-1]
    if rows == CHANNELS and cols == CHANNELS or CHANNELS in lead.roles and CHANNELS in rows + cols:
        cols = OTHER  # one channel axis at most
    elif CHANNELS not in lead.roles + rows + cols and x.roles[-1] == CHANNELS and y.roles[-2:] == CHANNELS + OTHER:
        cols = CHANNELS  # q @ (k^T v), CoaT's factorized attention: a channels x channels matrix maps channels
    out = Shape(dims=(*lead.dims, x.dims[-2], y.dims[-1]), roles=lead.roles + rows + cols)
    return ShapeOut(out, f"({fmt_dim(x.dims[-2])} x {fmt_dim(x.dims[-1])}) @ ({fmt_dim(y.dims[-2])} x "
                         f"{fmt_dim(y.dims[-1])})" + (f" for each of {lead}" if lead.rank else "") + f" -> {out}")


rule("matmul", "params")(lambda a, ins: NO_PARAMS)


@rule("matmul", "macs")
def matmul_macs(a, ins, out):
    """MACs: n x k x m for each leading index."""
    return product(out.dims[:-2]) * ins[0].dims[-2] * ins[0].dims[-1] * ins[1].dims[-1]


@rule("matmul", "other_ops")
def matmul_other_ops(a, ins, out):
    """None beyond the multiply-accumulates."""
    return 0


@rule("matmul", "activation")
def matmul_activation(a, ins, out):
    """Elements: the output is a new tensor."""
    return out.elements


@rule("matmul", "rf")
def matmul_rf(a, in_rfs, ins):
    """Summing over positions (the inner axis is spatial or tokens: attention's a v) makes the field global;
    otherwise the union of the inputs' fields (attention's scores pair two tokens)."""
    inner = (ins[0].roles[-1], ins[1].roles[-2])
    if any(r in (SPATIAL, TOKENS) for r in inner):
        rf = in_rfs[0]
        return whole(rf), None
    return merge_rf(in_rfs)


@rule("matmul", "saved")
def matmul_saved(a, ins, out, device):
    """bmm keeps each operand for the other's gradient (when the other requires grad). Operands of 3 axes
    or more (with the batch: 4) are first expanded to the common leading axes and folded with the batch
    into one, a view where the strides allow (always at batch 1 for an unexpanded one), else a copy, which
    is what bmm keeps."""
    if ins[0].rank == 2 and ins[1].rank == 2:
        return Saved(inputs=(0, 1), cross=True)
    lead = out.dims[:-2]
    always, batch_one, extras = [], [], []
    for i, x in enumerate(ins):
        expanded = x.rank - 2 != len(lead) or any(not same_dim(p, q) for p, q in zip(x.dims[:-2], lead))
        copy = Extra(f"operand {i + 1}, folded (a copy)", product(lead) * x.dims[-2] * x.dims[-1], of_input=i)
        if expanded:  # stride-0 axes never fold: a copy at any batch
            extras.append(copy)
            continue
        at_one = folds(x.dims, x.strides, x.sample_stride, batch_one=True)
        at_many = folds(x.dims, x.strides, x.sample_stride, batch_one=False)
        if at_one and at_many:
            always.append(i)
        else:
            if at_one:
                batch_one.append(i)
            extras.append(Extra(copy.what, copy.elements, batch_one=False if at_one else None, of_input=i))
    return Saved(inputs=tuple(always), batch_one_inputs=tuple(batch_one), extras=tuple(extras), cross=True)


# --- attention ------------------------------------------------------------------------------------------
def _sizes(a: Attention, x: Shape) -> tuple:
    """(tokens, channels, head width); the input must be tokens x channels and the heads divide C."""
    if x.rank != 2 or x.roles[-1] != CHANNELS:
        raise ShapeError(f"attention takes tokens x channels (2 axes, channels last); got {x} ({x.layout()}): "
                         "flatten and transpose a map first")
    tokens, channels = x.dims
    if not is_symbolic(channels) and to_plain(channels) % a.heads:
        raise ShapeError(f"attention: {a.heads} heads do not divide the width {channels} "
                         f"({channels} mod {a.heads} = {to_plain(channels) % a.heads})")
    return tokens, channels, to_plain(channels / a.heads) if is_symbolic(channels) else channels // a.heads


@rule("attention", "shape")
def attention_shape(a: Attention, ins):
    """Output: the input's shape (tokens x channels); the heads must divide the channels."""
    tokens, channels, width = _sizes(a, ins[0])
    return ShapeOut(ins[0], f"{a.heads} heads of width {channels}/{a.heads} = {fmt_dim(width)} over "
                            f"{fmt_dim(tokens)} tokens")


@rule("attention", "params")
def attention_params(a: Attention, ins):
    """Elements: qkv C x 3C and proj C x C weights; 3C and C biases."""
    c = ins[0].dims[-1]
    return Params(weights=4 * c * c, biases=(3 * c if a.qkv_bias else 0) + (c if a.proj_bias else 0))


@rule("attention", "macs")
def attention_macs(a: Attention, ins, out):
    """MACs: 4 T C^2 (the projections) + 2 T^2 C (q k^T and a v)."""
    t, c = ins[0].dims
    return 4 * t * c * c + 2 * t * t * c


@rule("attention", "other_ops")
def attention_other_ops(a: Attention, ins, out):
    """Approximate: bias adds (3TC + TC), q's scaling (TC), softmax (3 per score, h T^2 scores)."""
    t, c = ins[0].dims
    biases = (3 * t * c if a.qkv_bias else 0) + (t * c if a.proj_bias else 0)
    return biases + t * c + 3 * a.heads * t * t


@rule("attention", "activation")
def attention_activation(a, ins, out):
    """Elements: the output (the tensors inside, qkv and the scores, are freed when it is done)."""
    return out.elements


@rule("attention", "rf")
def attention_rf(a, in_rfs, ins):
    """Every token attends to every token: global."""
    rf = in_rfs[0]
    return whole(rf), None


@rule("attention", "saved")
def attention_saved(a: Attention, ins, out, device):
    """Fused (F.scaled_dot_product_attention, on the CPU): the input, qkv (3TC), the heads joined (TC) and a
    float32 log-sum-exp per score row (h T). Unfused, timm's other path: the input (qkv's linear), the scaled
    q (TC), k and v,
    the softmax's result (h T^2, kept by softmax and by a v) and the heads put back together (TC, the proj
    linear's input). k and v are slices of the permuted qkv tensor; torch.matmul folds their batch and head
    axes into one, a view at batch 1 (qkv's 3TC storage is kept) and a copy of each (TC) at batch 2 or more;
    with one head the fold is a view at any batch."""
    t, c = ins[0].dims
    if a.fused:  # scaled_dot_product_attention keeps q, k, v (views of qkv), and its log-sum-exp per row
        return Saved(inputs=(0,), trainable=True, extras=(
            Extra("qkv (q, k and v are views of it)", 3 * t * c), Extra("heads joined (proj's input)", t * c),
            Extra("log-sum-exp of each score row (float32)", a.heads * t, 4)))
    if a.heads == 1:  # one head: the fold of k and v is a view at any batch
        return Saved(inputs=(0,), trainable=True, extras=(
            Extra("qkv (k and v are views of it)", 3 * t * c), Extra("scaled q", t * c),
            Extra("attention weights (softmax)", t * t), Extra("heads joined (proj's input)", t * c)))
    return Saved(inputs=(0,), trainable=True, extras=(
        Extra("qkv (k and v are views of it, at batch 1)", 3 * t * c, batch_one=True),
        Extra("k, folded (a copy at batch > 1)", t * c, batch_one=False),
        Extra("v, folded (a copy at batch > 1)", t * c, batch_one=False),
        Extra("scaled q", t * c), Extra("attention weights (softmax)", a.heads * t * t),
        Extra("heads joined (proj's input)", t * c)))
