"""Torch twins of the channel-plumbing kinds: a slice of channels (a view) and ShuffleNet's channel shuffle."""

from __future__ import annotations

from torch import nn

from . import makes
from .classic import channel_dim


class ChannelSlice(nn.Module):
    """Positions [start, stop) of torch's `dim` (the channels: `x[:, start:stop]`), a view of its storage."""

    def __init__(self, start: int, stop: int, dim: int = 1):
        super().__init__()
        self.start, self.stop, self.dim = start, stop, dim

    def forward(self, x):
        return x.narrow(self.dim, self.start, self.stop - self.start)

    def extra_repr(self) -> str:
        return f"start={self.start}, stop={self.stop}, dim={self.dim}"


class ChannelShuffle(nn.Module):
    """ShuffleNet's channel shuffle as torchvision's shufflenetv2 writes it (view, transpose, contiguous,
    view), for any rank: the spatial axes ride along. nn.ChannelShuffle passes verify as well (FlopCounterMode,
    fvcore, hooks); the written-out form is kept because it is the one torchvision's models run."""

    def __init__(self, groups: int):
        super().__init__()
        self.groups = groups

    def forward(self, x):
        n, c, *spatial = x.shape
        grid = x.view(n, self.groups, c // self.groups, *spatial)
        return grid.transpose(1, 2).contiguous().view(n, c, *spatial)

    def extra_repr(self) -> str:
        return f"groups={self.groups}"


@makes("slice", layout=True)
def make_slice(a, xs, roles=()):
    return ChannelSlice(a.start, a.stop, channel_dim(getattr(a, "axis", None), roles, xs))


@makes("channel_shuffle")
def make_channel_shuffle(a, xs):
    return ChannelShuffle(a.groups)
