"""Torch twins of the sliding-window extraction kinds: nn.Unfold (im2col), nn.Fold (col2im) and the tensor
method x.unfold(dim, size, step), each with the layer's attributes."""

from __future__ import annotations

from torch import nn

from . import makes


@makes("unfold")
def make_unfold(a, xs):
    return nn.Unfold(a.kernel, dilation=a.dilation, padding=a.padding, stride=a.stride)


@makes("fold")
def make_fold(a, xs):
    return nn.Fold(a.output_size, a.kernel, dilation=a.dilation, padding=a.padding, stride=a.stride)


class UnfoldAxis(nn.Module):
    """x.unfold(dim, size, step) along a sample axis (the batch axis never)."""

    def __init__(self, axis: int, size: int, step: int):
        super().__init__()
        self.dim, self.size, self.step = axis + 1 if axis >= 0 else axis, size, step

    def forward(self, x):
        return x.unfold(self.dim, self.size, self.step)


@makes("unfold_axis")
def make_unfold_axis(a, xs):
    return UnfoldAxis(a.axis, a.size, a.step)
