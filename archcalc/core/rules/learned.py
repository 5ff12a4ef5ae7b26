"""Rules for a learned tensor joined to the activations: `bias` (x + P) and `gain` (x * P), P a parameter of
the model of any shape that broadcasts against x (numpy rules over the sample's axes): a relative position
bias, a per-channel gain of any layout, a learned mask. The importer reads P's shape from the module.

Parameters: P's elements. Other ops: one add (or multiply) per output element. The field: as x's (P holds
no input pixel).
"""

from __future__ import annotations

from ...errors import ShapeError
from ..ir import Bias, Gain
from ..shape import Shape, product
from . import Params, ShapeOut, flags, rule
from .broadcast import broadcast_shape
from .passthrough import no_macs, same_rf
from .saved import Saved

KINDS = ("bias", "gain")
flags(KINDS, weighted=False, moves_bytes=True, any_layout=True)
rule(KINDS, "macs")(no_macs)
rule(KINDS, "rf")(same_rf)


@rule(KINDS, "shape")
def learned_shape(a, ins):
    """Output: x's shape; P must broadcast into it without growing it."""
    (x,) = ins
    p = Shape(dims=tuple(a.shape), roles="_" * len(a.shape))
    out = broadcast_shape((x, p), f"{'bias' if isinstance(a, Bias) else 'gain'} {list(a.shape)} and the input")
    if out.dims != x.dims:
        raise ShapeError(f"a learned {list(a.shape)} would grow the input {x} to {out}")
    return ShapeOut(x, f"{x} {'+' if isinstance(a, Bias) else '*'} a learned {'x'.join(map(str, a.shape)) or 'scalar'}")


@rule(KINDS, "params")
def learned_params(a, ins):
    """Elements: the learned tensor's (or those of the table it is gathered from), and any buffer it reads
    (a relative position index)."""
    n = product(a.shape) if a.params is None else a.params
    return Params(weights=n, buffers=a.buffers) if isinstance(a, Gain) else Params(biases=n, buffers=a.buffers)


@rule(KINDS, "other_ops")
def learned_other_ops(a, ins, out):
    """One add or multiply per element."""
    return out.elements


@rule(KINDS, "activation")
def learned_activation(a, ins, out):
    """Elements: a new tensor."""
    return out.elements


@rule("bias", "saved")
def bias_saved(a, ins, out, device):
    """An add keeps nothing."""
    return Saved(trainable=True)


@rule("gain", "saved")
def gain_saved(a, ins, out, device):
    """x * P keeps x (for P's gradient; P itself is a parameter, in memory anyway)."""
    return Saved(inputs=(0,), trainable=True)
