"""Torch twins of the resizing kinds: transposed convolution, upsampling, constant padding."""

from __future__ import annotations

from torch import nn

from . import makes

_CONV_T = {1: nn.ConvTranspose1d, 2: nn.ConvTranspose2d, 3: nn.ConvTranspose3d}
_PAD = {1: nn.ConstantPad1d, 2: nn.ConstantPad2d, 3: nn.ConstantPad3d}


@makes("conv_transpose")
def make_conv_transpose(a, xs):
    """nn.ConvTransposeNd; in_channels from the input tensor."""
    return _CONV_T[len(a.kernel)](xs[0].shape[1], a.out_channels, a.kernel, a.stride, a.padding,
                                  a.output_padding, a.groups, a.bias, a.dilation)


@makes("upsample")
def make_upsample(a, xs):
    """nn.Upsample by size or by scale factor (a float scale keeps torch's floor(n * scale))."""
    scale = None if a.scale is None else tuple(float(s) for s in a.scale)
    return nn.Upsample(size=a.size, scale_factor=scale, mode=a.mode, align_corners=a.align_corners)


@makes("pad", layout=True)
def make_pad(a, xs, roles=()):
    """nn.ConstantPadNd: F.pad's order is last axis first, (before, after) each; a tokens tensor's token axis
    (heads x tokens x width) with (0, 0) for the axes after it."""
    places = [i for i, r in enumerate(roles[0]) if r in "ST"] if roles else []
    if roles and places != list(range(len(roles[0]) - len(places), len(roles[0]))):  # not the trailing axes
        pairs = {p: pair for p, pair in zip(places, a.pads)}
        flat = tuple(v for i in range(len(roles[0]) - 1, places[0] - 1, -1) for v in pairs.get(i, (0, 0)))
        return _Pad(flat, a.value)
    flat = tuple(v for pair in reversed(a.pads) for v in pair)
    return _PAD[len(a.pads)](flat, a.value)


class _Pad(nn.Module):
    """F.pad with a flat tuple covering some of the trailing axes (zeros for those not padded)."""

    def __init__(self, flat: tuple, value: float):
        super().__init__()
        self.flat, self.value = flat, value

    def forward(self, x):
        return nn.functional.pad(x, self.flat, value=self.value)
