"""Torch twins of core/rules/fixed_filters.py: a convolution whose weight is a buffer (timm's BlurPool2d) and a
pad in mode reflect, replicate or circular."""

from __future__ import annotations

import math

import torch
from torch import nn

from . import makes

_CONV = {1: nn.functional.conv1d, 2: nn.functional.conv2d, 3: nn.functional.conv3d}


class BufferConv(nn.Module):
    """F.convNd with a buffer weight (ones: the values do not matter to the figures), expanded to the out
    channels where the buffer holds one filter for all (BlurPool2d with channels=None); a bias parameter."""

    def __init__(self, a, in_channels: int):
        super().__init__()
        full = (a.out_channels, in_channels // a.groups, *a.kernel)
        one = math.prod(full[1:])
        if a.buffers is None or a.buffers == math.prod(full):
            shape = full
        elif a.buffers == one:
            shape = (1, *full[1:])
        else:
            raise ValueError(f"buffer_conv: a buffer of {a.buffers} elements for a weight of {full}")
        self.register_buffer("filt", torch.ones(shape))
        self.bias = nn.Parameter(torch.zeros(a.out_channels)) if a.bias else None
        self.full, self.a = full, a

    def forward(self, x):
        a = self.a
        padding = "same" if a.same else a.padding
        return _CONV[len(a.kernel)](x, self.filt.expand(self.full), self.bias, a.stride, padding, a.dilation,
                                    a.groups)


@makes("buffer_conv")
def make_buffer_conv(a, xs):
    return BufferConv(a, xs[0].shape[1])


class BorderPad(nn.Module):
    def __init__(self, flat: tuple, mode: str):
        super().__init__()
        self.flat, self.mode = flat, mode

    def forward(self, x):
        return nn.functional.pad(x, self.flat, mode=self.mode)


@makes("border_pad")
def make_border_pad(a, xs):
    """F.pad's flat order: the last axis first, (before, after) each."""
    return BorderPad(tuple(v for pair in reversed(a.pads) for v in pair), a.mode)
