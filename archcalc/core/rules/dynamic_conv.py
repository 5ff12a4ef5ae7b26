"""Rules for `dynamic_conv`: a convolution whose weight (and bias) are activations, one per sample (timm's
CondConv2d: routing weights times the experts' kernels, then one grouped conv over the batch, B x groups
groups, so that each sample meets its own kernel). Shape, MACs, ops and field as conv of input 0, as
FlopCounterMode counts that grouped conv; no parameters (the layers that compute the weight count them);
backward keeps the input and the weight, as conv does. Not `weighted`: it learns nothing itself.

Spec files cannot write it: its shape rule's first argument is left unannotated, so the spec loader makes
no maker for it (a weight computed by the model is no field of a layer)."""

from __future__ import annotations

from ...errors import ShapeError
from ..shape import product
from . import NO_PARAMS, flags, rule, rules_for
from .saved import Saved

flags("dynamic_conv", weighted=False, moves_bytes=True, any_layout=True)


def _conv(metric: str):
    return rules_for("conv")[metric]


def _checked(a, ins) -> tuple:
    """(the input map, the weight): a channels-first map and one weight of out x in/groups x kernel elements."""
    if len(ins) != 2 + bool(a.bias):
        raise ShapeError(f"takes the map, the weight{' and the bias' if a.bias else ''}; got {len(ins)} inputs")
    x, w = ins[0], ins[1]
    if not x.channels_first:
        raise ShapeError(f"takes a channels-first map; this one is {x.layout()}")
    if isinstance(x.channels, int) and x.channels % a.groups:
        raise ShapeError(f"{x.channels} input channels do not split into {a.groups} groups")
    want = a.out_channels * (x.channels // a.groups) * product(a.kernel)
    if isinstance(want, int) and isinstance(w.elements, int) and w.elements != want:
        raise ShapeError(f"a weight of {w.elements} elements for out {a.out_channels} x in/groups "
                         f"{x.channels // a.groups} x kernel {'x'.join(map(str, a.kernel))} = {want}")
    if a.bias and isinstance(ins[2].elements, int) and ins[2].elements != a.out_channels:
        raise ShapeError(f"a bias of {ins[2].elements} elements for {a.out_channels} output channels")
    return x, w


@rule("dynamic_conv", "shape")
def dynamic_conv_shape(a, ins):
    """As conv of the map: out_channels x sliding-window sizes."""
    x, _ = _checked(a, ins)
    return _conv("shape")(a, (x,))


@rule("dynamic_conv", "params")
def dynamic_conv_params(a, ins):
    """None: the weight and bias are inputs."""
    return NO_PARAMS


@rule("dynamic_conv", "macs")
def dynamic_conv_macs(a, ins, out):
    """As conv: (in/groups) x kh x kw per output element."""
    return _conv("macs")(a, ins[:1], out)


@rule("dynamic_conv", "other_ops")
def dynamic_conv_other_ops(a, ins, out):
    """As conv: a bias add per output element where there is a bias."""
    return out.elements if a.bias else 0


@rule("dynamic_conv", "activation")
def dynamic_conv_activation(a, ins, out):
    """Elements: the output is a new tensor."""
    return out.elements


@rule("dynamic_conv", "rf")
def dynamic_conv_rf(a, in_rfs, ins):
    """The map's field as conv grows it (the weight, made from the pooled map, reaches it all anyway)."""
    return _conv("rf")(a, in_rfs[:1], ins[:1])


@rule("dynamic_conv", "saved")
def dynamic_conv_saved(a, ins, out, device):
    """convolution: its input (for the weight's grad) and its weight (for the input's): both activations."""
    return Saved(inputs=(0, 1), trainable=False)
