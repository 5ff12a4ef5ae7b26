"""Rules for two joins the later ResNet-era papers use: the element-wise mean and the zero-padded shortcut.

- `mean`: FractalNet's join layer (Larsson et al. 2016, Sec. 2): the element-wise mean of its inputs,
  which must all have the same shape (unlike a concat, channels do not add up).
- `pad_channels`: the parameter-free shortcut of the CIFAR ResNets (He et al. 2016, option A), kept by
  Stochastic Depth (Huang et al. 2016): the input's channels followed by zero channels up to
  `out_channels`. A copy into a new, larger tensor; no arithmetic.

Their attribute types are in core/ir.py with every other kind's.
"""

from __future__ import annotations

from ...errors import ShapeError
from ..ir import Mean, PadChannels
from ..receptive import merge_rf
from ..shape import Shape, is_symbolic
from . import NO_PARAMS, ShapeOut, flags, rule
from .merge import common_shape
from .passthrough import no_macs, same_rf
from .saved import Saved

flags("mean", weighted=False, moves_bytes=True, any_layout=True)
flags("pad_channels", weighted=False, moves_bytes=True, any_layout=False)


@rule("mean", "shape")
def mean_shape(a: Mean, ins):
    """Output: the common shape; every input must have the same channels and spatial size."""
    first = common_shape(ins, "mean: inputs")
    return ShapeOut(first, f"mean of {len(ins)} inputs of {first}")


@rule("pad_channels", "shape")
def pad_channels_shape(a: PadChannels, ins):
    """Output: the input's spatial size with `out_channels` channels (the extra ones are zeros)."""
    x = ins[0]
    if not is_symbolic(x.channels) and a.out_channels < x.channels:
        raise ShapeError(f"cannot pad {x.channels} channels down to {a.out_channels}")
    return ShapeOut(Shape(a.out_channels, x.spatial), f"{x.channels} + {a.out_channels - x.channels} zeros")


rule(("mean", "pad_channels"), "params")(lambda a, ins: NO_PARAMS)
rule(("mean", "pad_channels"), "macs")(no_macs)


@rule("mean", "other_ops")
def mean_other_ops(a: Mean, ins, out):
    """Per output element: (n - 1) adds and one multiply by 1/n."""
    return out.elements * len(ins)


@rule("pad_channels", "other_ops")
def pad_channels_other_ops(a: PadChannels, ins, out):
    """None: a copy and a fill, no arithmetic."""
    return 0


@rule(("mean", "pad_channels"), "activation")
def join_activation(a, ins, out):
    """Elements: both write a new tensor of the output's size."""
    return out.elements


@rule("mean", "rf")
def mean_field(a, in_rfs, ins):
    """The largest field over the inputs; unequal jumps are reported (as for any merge)."""
    return merge_rf(in_rfs)


rule("pad_channels", "rf")(same_rf)


@rule(("mean", "pad_channels"), "saved")
def join_saved(a, ins, out, device):
    """A mean of inputs (adds, a divide by a number) and a zero pad (backward slices): nothing saved; each
    writes a new output."""
    return Saved()
