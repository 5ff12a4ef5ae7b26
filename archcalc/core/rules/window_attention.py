"""Rules for Swin Transformers' window kinds: `window_attention` (multi-head self-attention inside windows of
a channels-last map, shifted or not, V1's learned bias table or V2's cosine attention and position-bias MLP)
and `patch_merge` (each 2 x 2 block of positions put on the channels).

Window attention on an H x W x C map, window wh x ww (N = wh ww tokens), h heads, per sample
(Liu et al. 2021, "Swin Transformer"; torchvision's shifted_window_attention):
  the map is padded to Hp x Wp, multiples of the window (T = Hp Wp tokens, in T/N windows); every product
  below runs on the padded map, as torch computes it
  qkv     T x C x 3C MACs
  q k^T   (T/N) windows x h heads x N x (C/h) x N = T N C MACs
  a v     T N C MACs
  proj    T x C x C MACs
  V2's position-bias MLP, once per forward (not per sample: exact at batch 1, the headline's batch), on the
  M = (2 wh - 1)(2 ww - 1) relative offsets: M x 2 x hidden + M x hidden x h MACs
  total   4 T C^2 + 2 T N C (+ the MLP)
The shift (a roll of the map) and the mask of the shifted windows are copies and adds: no MACs.
"""

from __future__ import annotations

from ...errors import ShapeError
from ..ir import PatchMerge, WindowAttention
from ..receptive import global_rf, window_rf
from ..shape import CHANNELS, SPATIAL, Shape, ceil_div, fmt_dim, is_symbolic, to_plain
from . import NO_PARAMS, Params, ShapeOut, flags, rule
from .saved import Extra, Saved

flags("window_attention", weighted=True, moves_bytes=True, any_layout=True)  # its projections are learned
flags("patch_merge", weighted=False, moves_bytes=True, any_layout=True)  # a copy with no weights

CHANNELS_LAST = SPATIAL + SPATIAL + CHANNELS


def _map(x: Shape, kind: str) -> tuple:
    """(H, W, C) of a channels-last map; anything else is refused."""
    if x.roles != CHANNELS_LAST:
        raise ShapeError(f"{kind} takes an H x W x C map (channels last); got {x} ({x.layout()}): permute the "
                         "channels last first")
    return x.dims


def _padded(a: WindowAttention, x: Shape) -> tuple:
    """(Hp, Wp, C, N): the map padded to multiples of the window, and the tokens of one window."""
    h, w, c = _map(x, "window attention")
    (wh, ww) = a.window
    return ceil_div(h, wh) * wh, ceil_div(w, ww) * ww, c, wh * ww


def _offsets(a: WindowAttention) -> int:
    """M: the relative offsets of two positions in one window, (2 wh - 1)(2 ww - 1)."""
    return (2 * a.window[0] - 1) * (2 * a.window[1] - 1)


@rule("window_attention", "shape")
def window_attention_shape(a: WindowAttention, ins):
    """Output: the input's shape (H x W x C); the heads must divide the channels."""
    hp, wp, c, n = _padded(a, ins[0])
    if not is_symbolic(c) and to_plain(c) % a.heads:
        raise ShapeError(f"window attention: {a.heads} heads do not divide the width {c}")
    shift = f", shifted by {a.shift[0]}x{a.shift[1]}" if any(a.shift) else ""
    return ShapeOut(ins[0].with_dims(ins[0].dims), f"{a.heads} heads in {a.window[0]}x{a.window[1]} windows"
                                                   f"{shift} on the map padded to {fmt_dim(hp)}x{fmt_dim(wp)}")


@rule("window_attention", "params")
def window_attention_params(a: WindowAttention, ins):
    """Elements: qkv C x 3C and proj C x C weights; V1: the bias table, M x h; V2: the MLP (2 x hidden and
    hidden biases, hidden x h) and a logit scale per head. Buffers: the N^2 relative position index; V2 also
    its M x 2 coordinate table."""
    c = ins[0].dims[-1]
    m, n = _offsets(a), a.window[0] * a.window[1]
    if a.cpb_hidden:
        position, position_bias, table = 2 * a.cpb_hidden + a.cpb_hidden * a.heads, a.cpb_hidden, m * 2
    else:
        position, position_bias, table = m * a.heads, 0, 0
    return Params(weights=4 * c * c + position + (a.heads if a.cosine else 0),
                  biases=(3 * c if a.qkv_bias else 0) + (c if a.proj_bias else 0) + position_bias,
                  buffers=n * n + table)


@rule("window_attention", "macs")
def window_attention_macs(a: WindowAttention, ins, out):
    """MACs: 4 T C^2 (the projections) + 2 T N C (q k^T and a v in each window) on the padded map, and V2's
    position-bias MLP on the M offsets."""
    hp, wp, c, n = _padded(a, ins[0])
    t = hp * wp
    mlp = _offsets(a) * a.cpb_hidden * (2 + a.heads)
    return 4 * t * c * c + 2 * t * n * c + mlp


@rule("window_attention", "other_ops")
def window_attention_other_ops(a: WindowAttention, ins, out):
    """Approximate: bias adds (4TC), q's scaling (TC) or V2's normalisation of q and k (6TC) and logit
    scale (h T N), the position bias (h T N) and the shifted windows' mask (h T N), softmax (3 per score)."""
    hp, wp, c, n = _padded(a, ins[0])
    t = hp * wp
    scores = a.heads * t * n
    biases = (3 * t * c if a.qkv_bias else 0) + (t * c if a.proj_bias else 0)
    scaling = 6 * t * c + scores if a.cosine else t * c
    return biases + scaling + scores * (1 + (1 if any(a.shift) else 0) + 3)


@rule("window_attention", "activation")
def window_attention_activation(a, ins, out):
    """Elements: the output (the padded map, qkv and the scores inside are freed when it is done)."""
    return out.elements


@rule("window_attention", "rf")
def window_attention_rf(a: WindowAttention, in_rfs, ins):
    """Each token sees its whole window: the field grows by (w - 1) jumps per axis, as a w x w convolution's
    would; a window covering the whole map makes it global."""
    rf = in_rfs[0]
    h, w, _ = _map(ins[0], "window attention")
    if all(isinstance(s, int) and k >= s for s, k in zip((h, w), a.window)):
        return global_rf(2, rf.jump), None
    return window_rf(rf, a.window, (1, 1), tuple((k - 1) / 2 for k in a.window), (1, 1)), (
        "window attention: each token sees its window, whose place (not the token's) sets where the field lies; "
        "the start shown is the token's own centre")


@rule("window_attention", "saved")
def window_attention_saved(a: WindowAttention, ins, out, device):
    """What torchvision's shifted_window_attention keeps (measured with saved_tensors_hooks): the windows
    (qkv's input: F.pad copies the map even with no padding), the softmax's result (h T N) and the heads
    joined (proj's input, TC). V1: the scaled q (TC); k and v are views of qkv that torch.matmul folds, with
    the windows, into one batch axis: a view (qkv's 3TC kept) for one window at batch 1, else a copy of each
    (TC). V2: qkv (3TC, F.normalize's input), each norm and its clamp for q and k (4 hT), the normalised q and
    k (TC each), the scores before the logit scale (h T N), v as V1's; once per forward, not per sample: the
    MLP's hidden values (M x hidden), the sigmoid of the bias (h N^2) and exp of the logit scale (h)."""
    hp, wp, c, n = _padded(a, ins[0])
    t = hp * wp
    windows = (hp / a.window[0]) * (wp / a.window[1])
    one_window = not is_symbolic(windows) and to_plain(windows) == 1
    kept = [Extra("the windows (qkv's input)", t * c), Extra("attention weights (softmax)", a.heads * t * n),
            Extra("heads joined (proj's input)", t * c)]
    folded = ("v",) if a.cosine else ("k", "v")
    copies = [Extra(f"{x}, folded (a copy{' at batch > 1' if one_window else ''})", t * c,
                    batch_one=False if one_window else None) for x in folded]
    if a.cosine:
        kept += [Extra("qkv (F.normalize's input; q, k and v are views of it)", 3 * t * c),
                 Extra("norms of q and k and their clamps", 4 * a.heads * t), Extra("q and k normalised", 2 * t * c),
                 Extra("scores before the logit scale", a.heads * t * n),
                 Extra("exp of the logit scale", a.heads, per_sample=False)]
    else:
        kept.append(Extra("scaled q", t * c))
        if one_window:
            kept.append(Extra("qkv (k and v are views of it, at batch 1)", 3 * t * c, batch_one=True))
    if a.cpb_hidden:
        kept += [Extra("position-bias MLP's hidden values", _offsets(a) * a.cpb_hidden, per_sample=False),
                 Extra("sigmoid of the position bias", a.heads * n * n, per_sample=False)]
    return Saved(inputs=(), trainable=True, extras=tuple(kept + copies))


# --- patch merge ---------------------------------------------------------------------------------------------
@rule("patch_merge", "shape")
def patch_merge_shape(a: PatchMerge, ins):
    """Output: ceil(H/2) x ceil(W/2) x 4C (an odd side padded by one first)."""
    h, w, c = _map(ins[0], "patch merge")
    out = Shape(dims=(ceil_div(h, 2), ceil_div(w, 2), 4 * c), roles=CHANNELS_LAST)
    return ShapeOut(out, f"each 2x2 block on the channels: ceil({fmt_dim(h)}/2) x ceil({fmt_dim(w)}/2) x "
                         f"4 x {fmt_dim(c)}")


rule("patch_merge", "params")(lambda a, ins: NO_PARAMS)
rule("patch_merge", "macs")(lambda a, ins, out: 0)
rule("patch_merge", "other_ops")(lambda a, ins, out: 0)


@rule("patch_merge", "activation")
def patch_merge_activation(a, ins, out):
    """Elements: the output (torch.cat makes a new tensor)."""
    return out.elements


@rule("patch_merge", "rf")
def patch_merge_rf(a, in_rfs, ins):
    """As a 2 x 2 window of stride 2."""
    return window_rf(in_rfs[0], (2, 2), (2, 2), (0, 0), (1, 1)), None


@rule("patch_merge", "saved")
def patch_merge_saved(a, ins, out, device):
    """Nothing: the backward of a pad, slices and a concatenation needs no tensor."""
    return Saved()
