"""The torch twin of a conv with a standardised weight (ir.Conv.standardised, .gain): timm's StdConv2d (BiT)
and ScaledStdConv2d (NFNet), written as timm writes them, so that the twin runs the same autograd ops and
backward keeps the same tensors (the standardised weight, the batch norm's statistics, gain * scale).

classic.make_conv builds the conv from the class standardised() returns and gives it a gain with add_gain().
No makers are registered here.
"""

from __future__ import annotations

import torch
from torch import nn

EPS = 1e-6  # timm's StdConv2d eps; ScaledStdConv2d's is 1e-6 too (the figures do not depend on it)

_STANDARDISED: dict = {}


def standardised(cls):
    """A subclass of the conv class cls whose weight is standardised per output channel before each use
    (F.batch_norm of the weight in training mode, with gain * fan_in^-1/2 as its weight where there is a gain)."""
    if cls not in _STANDARDISED:
        def _conv_forward(self, x, weight, bias):
            gain = getattr(self, "gain", None)
            scale = None if gain is None else (gain * self.scale).view(-1)
            w = nn.functional.batch_norm(weight.reshape(1, self.out_channels, -1), None, None, weight=scale,
                                         training=True, momentum=0.0, eps=EPS).reshape_as(weight)
            return cls._conv_forward(self, x, w, bias)
        _STANDARDISED[cls] = type(f"Standardised{cls.__name__}", (cls,), {"_conv_forward": _conv_forward})
    return _STANDARDISED[cls]


def add_gain(conv):
    """conv with NFNet's gain: one learned factor per output channel, and the fixed scale fan_in^-1/2."""
    shape = (conv.out_channels,) + (1,) * (conv.weight.dim() - 1)
    conv.gain = nn.Parameter(torch.ones(shape, device=conv.weight.device))
    conv.scale = conv.weight[0].numel() ** -0.5
    return conv
