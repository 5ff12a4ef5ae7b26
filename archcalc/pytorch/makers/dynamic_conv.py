"""Torch twin of core/rules/dynamic_conv.py: a convolution of each sample with its own weight (and bias), as
timm's CondConv2d runs it: one grouped conv over the batch (the samples' channels side by side)."""

from __future__ import annotations

from torch import nn

from . import makes


class DynamicConv(nn.Module):
    def __init__(self, a, in_channels: int):
        super().__init__()
        self.a, self.shape = a, (a.out_channels, in_channels // a.groups, *a.kernel)

    def forward(self, x, weight, bias=None):
        a, b = self.a, x.shape[0]
        weight = weight.reshape(b * self.shape[0], *self.shape[1:])
        bias = bias.reshape(b * self.shape[0]) if bias is not None else None
        out = nn.functional.conv2d(x.reshape(1, -1, *x.shape[2:]), weight, bias, a.stride, a.padding, a.dilation,
                                   a.groups * b)
        return out.reshape(b, self.shape[0], *out.shape[2:])


@makes("dynamic_conv")
def make_dynamic_conv(a, xs):
    if len(a.kernel) != 2:
        raise ValueError("dynamic_conv: a twin for 2-D kernels only")
    return DynamicConv(a, xs[0].shape[1])
