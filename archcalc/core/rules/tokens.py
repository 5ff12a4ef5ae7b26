"""Rules for a ViT's token kinds and the mean over axes.

- `class_token`: learned tokens put before the patch tokens (Dosovitskiy et al. 2021): torch.cat of the
  expanded parameter and the tokens, a copy; C parameters per token.
- `pos_embed`: a learned embedding added to every token: tokens x C parameters, one add per element.
- `reduce_sum`: x.sum(axes): (n - 1) adds per output.
- `reduce_mean`: x.mean(axes): (n - 1) adds and a divide per output, n the elements averaged; a global
  average pool when the axes are the spatial ones.
"""

from __future__ import annotations

from ...errors import ShapeError
from ..ir import ClassToken, PosEmbed, ReduceMean
from ..receptive import whole
from ..shape import CHANNELS, SPATIAL, TOKENS, Shape
from . import NO_PARAMS, Params, ShapeOut, flags, rule
from .passthrough import no_macs, same_rf
from .saved import Saved

KINDS = ("class_token", "pos_embed", "reduce_mean", "reduce_sum")
REDUCE = ("reduce_mean", "reduce_sum")
flags(KINDS, weighted=False, moves_bytes=True, any_layout=True)
rule(KINDS, "macs")(no_macs)


def _tokens(x: Shape, kind: str) -> None:
    if x.rank != 2 or x.roles[-1] != CHANNELS:
        raise ShapeError(f"{kind} takes tokens x channels (2 axes, channels last); got {x} ({x.layout()})")


@rule("class_token", "shape")
def class_token_shape(a: ClassToken, ins):
    """Output: count more tokens, the channels kept."""
    (x,) = ins
    _tokens(x, "class_token")
    out = x.with_dims((x.dims[0] + a.count, x.dims[1]))
    return ShapeOut(out, f"{a.count} + {x.dims[0]} tokens = {out.dims[0]}")


@rule("pos_embed", "shape")
def pos_embed_shape(a: PosEmbed, ins):
    """Output: the input's shape (one learned vector added per token)."""
    _tokens(ins[0], "pos_embed")
    return ShapeOut(ins[0], f"{ins[0]} + a learned {ins[0]}")


@rule("class_token", "params")
def class_token_params(a: ClassToken, ins):
    """Elements: count x C."""
    return Params(weights=a.count * ins[0].dims[1])


@rule("pos_embed", "params")
def pos_embed_params(a: PosEmbed, ins):
    """Elements: tokens x C (one per input element; a formula when the tokens are symbolic)."""
    return Params(weights=ins[0].elements)


rule(REDUCE, "params")(lambda a, ins: NO_PARAMS)


def _axes(a: ReduceMean, x: Shape) -> tuple:
    axes = tuple(sorted({x.axis(axis, "reduce axis") for axis in a.axes}))
    if len(axes) != len(a.axes):
        raise ShapeError(f"reduce_mean over {list(a.axes)} of {x}: an axis is named twice")
    return axes


def reduced(x: Shape, axes, keepdim: bool) -> Shape:
    """x after a reduction over `axes`: those axes removed, or kept as 1 with keepdim (mean, sum, norm, var,
    max)."""
    if keepdim:
        return x.with_dims(tuple(1 if i in axes else d for i, d in enumerate(x.dims)))
    keep = [i for i in range(x.rank) if i not in axes]
    return Shape(dims=tuple(x.dims[i] for i in keep), roles="".join(x.roles[i] for i in keep))


@rule(REDUCE, "shape")
def reduce_mean_shape(a: ReduceMean, ins):
    """Output: the axes removed (kept as 1 with keepdim)."""
    (x,) = ins
    axes = _axes(a, x)
    out = reduced(x, axes, a.keepdim)
    return ShapeOut(out, f"mean over {'x'.join(str(x.dims[i]) for i in axes)} of {x} -> {out}")


@rule("class_token", "other_ops")
def class_token_other_ops(a, ins, out):
    """None: a copy."""
    return 0


@rule("pos_embed", "other_ops")
def pos_embed_other_ops(a, ins, out):
    """One add per element."""
    return out.elements


@rule(REDUCE, "other_ops")
def reduce_mean_other_ops(a, ins, out):
    """(n - 1) adds and one divide per output (a mean), or n - 1 adds (a sum): about the input's elements."""
    return ins[0].elements if isinstance(a, ReduceMean) else ins[0].elements - out.elements


@rule(KINDS, "activation")
def token_activation(a, ins, out):
    """Elements: each writes a new tensor."""
    return out.elements


rule(("class_token", "pos_embed"), "rf")(same_rf)  # a learned token sees nothing; the others keep theirs


@rule(REDUCE, "rf")
def reduce_mean_rf(a: ReduceMean, in_rfs, ins):
    """Averaging over spatial or token axes: every output sees all of them, global; over others: as it was."""
    x, rf = ins[0], in_rfs[0]
    if any(x.roles[i] in (SPATIAL, TOKENS) for i in _axes(a, x)) :
        return whole(rf), None
    return rf, None


@rule(KINDS, "saved")
def token_saved(a, ins, out, device):
    """cat, an add of a parameter and a mean keep nothing for backward (sizes only)."""
    return Saved(trainable=not isinstance(a, ReduceMean))
