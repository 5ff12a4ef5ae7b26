"""Rules for `scale`: a learned factor per channel, multiplied in (ConvNeXt's layer scale, x * gamma).

One parameter per channel; one multiply per element, counted as other ops (an elementwise product, not a
multiply-accumulate of a conv, linear or matrix product); a new tensor. Backward needs the input (for
gamma's gradient) and gamma (a parameter, not counted).
"""

from __future__ import annotations

from . import Params, flags, rule
from .passthrough import no_macs, same_rf, same_shape
from .saved import Saved

flags("scale", weighted=False, moves_bytes=True, any_layout=True)
rule("scale", "shape")(same_shape)
rule("scale", "rf")(same_rf)
rule("scale", "macs")(no_macs)


@rule("scale", "params")
def scale_params(a, ins):
    """C weights: one factor per channel."""
    return Params(weights=ins[0].channels)


@rule("scale", "other_ops")
def scale_other_ops(a, ins, out):
    """One multiply per element."""
    return out.elements


@rule("scale", "activation")
def scale_activation(a, ins, out):
    """Elements: the product is a new tensor."""
    return out.elements


@rule("scale", "saved")
def scale_saved(a, ins, out, device):
    """mul(x, gamma): its input x, for gamma's gradient (gamma itself is a parameter)."""
    return Saved(inputs=(0,), trainable=True)
