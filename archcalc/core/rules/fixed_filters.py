"""Rules for two layers with a fixed (not learned) filter or border:

- `buffer_conv`: a convolution whose weight is a buffer (timm's BlurPool2d, Zhang 2019: a binomial blur per
  channel, groups = C, then a stride). Shape, MACs, ops and field as conv (FlopCounterMode counts its MACs as
  any conv's); no trained weight: the filter's elements are buffers. Not `weighted` (depth counts learned
  layers only).
- `border_pad`: F.pad in mode reflect, replicate or circular (BlurPool's reflect pad): the shape of a constant
  pad; no arithmetic. The field is taken as a constant pad's (the border copies positions within a pad's
  width of the edge: approximate there).
"""

from __future__ import annotations

from dataclasses import replace

from ...errors import ShapeError
from ..ir import BorderPad, BufferConv
from ..shape import fmt_dim, product
from . import NO_PARAMS, Params, ShapeOut, flags, rule, rules_for
from .saved import Saved

flags("buffer_conv", weighted=False, moves_bytes=True, any_layout=False)
flags("border_pad", weighted=False, moves_bytes=True, any_layout=True)
MODES = ("reflect", "replicate", "circular")


def _conv(metric: str):
    return rules_for("conv")[metric]


@rule("buffer_conv", "shape")
def buffer_conv_shape(a: BufferConv, ins):
    """As conv: the window arithmetic per spatial axis."""
    return _conv("shape")(a, ins)


@rule("buffer_conv", "params")
def buffer_conv_params(a: BufferConv, ins):
    """No trained weight: the filter's out x (in/groups) x kh x kw elements (or `buffers`, a smaller buffer
    expanded to them) are buffers; a bias, where there is one, is a parameter."""
    (x,) = ins
    weights = a.out_channels * (x.channels // a.groups) * product(a.kernel)
    return Params(biases=a.out_channels if a.bias else 0, buffers=weights if a.buffers is None else a.buffers)


@rule("buffer_conv", "macs")
def buffer_conv_macs(a: BufferConv, ins, out):
    """As conv: (in/groups) x kh x kw per output element."""
    return _conv("macs")(a, ins, out)


@rule("buffer_conv", "other_ops")
def buffer_conv_other_ops(a: BufferConv, ins, out):
    """As conv: a bias add per output element where there is a bias."""
    return _conv("other_ops")(a, ins, out)


@rule("buffer_conv", "activation")
def buffer_conv_activation(a, ins, out):
    """Elements: the output is a new tensor."""
    return out.elements


@rule("buffer_conv", "rf")
def buffer_conv_rf(a: BufferConv, in_rfs, ins):
    """As conv: the field grows by (dilated kernel - 1) jumps; the jump multiplies by the stride."""
    return _conv("rf")(a, in_rfs, ins)


@rule("buffer_conv", "saved")
def buffer_conv_saved(a: BufferConv, ins, out, device):
    """As conv (measured with saved_tensors_hooks: the input and the buffer weight, which is no activation),
    trainable only with a bias."""
    return replace(_conv("saved")(a, ins, out, device), trainable=bool(a.bias))


rule("border_pad", "params")(lambda a, ins: NO_PARAMS)
rule("border_pad", "macs")(lambda a, ins, out: 0)


@rule("border_pad", "shape")
def border_pad_shape(a: BorderPad, ins):
    """As a constant pad (n + before + after per spatial axis); the sides must be 0 or more, and a reflect
    pad less than the axis (torch's rule)."""
    if a.mode not in MODES:
        raise ShapeError(f"border_pad mode must be one of {', '.join(MODES)}, got {a.mode!r}")
    if any(v < 0 for p in a.pads for v in p):
        raise ShapeError(f"border_pad {a.mode}: pads must be 0 or more, got {list(a.pads)}")
    out = rules_for("pad")["shape"](a, ins)
    x = ins[0]
    places = [i for i, r in enumerate(x.roles) if r in "ST"]
    for i, (before, after) in zip(places, a.pads):
        n = x.dims[i]
        if a.mode == "reflect" and isinstance(n, int) and max(before, after) >= n:
            raise ShapeError(f"reflect pad ({before}, {after}) of an axis of {fmt_dim(n)}: each side must be less")
    return ShapeOut(out.shape, f"{a.mode} pad: {out.derivation}")


@rule("border_pad", "other_ops")
def border_pad_other_ops(a, ins, out):
    """No arithmetic: a copy, the border read from the input."""
    return 0


@rule("border_pad", "activation")
def border_pad_activation(a, ins, out):
    """Elements: the output is a new tensor."""
    return out.elements


@rule("border_pad", "rf")
def border_pad_rf(a: BorderPad, in_rfs, ins):
    """As a constant pad: the start moves left by `before` jumps (approximate at the border itself)."""
    return rules_for("pad")["rf"](a, in_rfs, ins)


@rule("border_pad", "saved")
def border_pad_saved(a: BorderPad, ins, out, device):
    """Measured with saved_tensors_hooks: reflect and replicate keep their input; circular keeps nothing."""
    return Saved() if a.mode == "circular" else Saved(inputs=(0,))
