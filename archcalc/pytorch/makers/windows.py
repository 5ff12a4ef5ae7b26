"""Torch twins of Swin Transformers' window kinds: window attention, computed by torchvision's own
shifted_window_attention with the layer's attributes, the 2 x 2 patch merging, and torch.roll.

Parameter and buffer names are torchvision's (qkv, proj, relative_position_bias_table or cpb_mlp,
logit_scale, relative_position_index, relative_coords_table), so verify pairs them with torchvision's model.
The buffers are index and coordinate tables the layer computes from its window: a module built on the meta
device and given storage afterwards has none, so they are filled again by reset_parameters (torch's init)
and reset_running_stats (the builder's zero init), as batch norm's statistics are.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from . import makes


def _swin():
    from ...sources.torchvision_import import import_torchvision

    return import_torchvision().models.swin_transformer


def relative_position_index(wh: int, ww: int) -> torch.Tensor:
    """Index into the (2 wh - 1)(2 ww - 1) offsets of each pair of a window's positions (torchvision's)."""
    coords = torch.stack(torch.meshgrid(torch.arange(wh), torch.arange(ww), indexing="ij")).flatten(1)
    relative = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0).contiguous()
    relative[:, :, 0] += wh - 1
    relative[:, :, 1] += ww - 1
    relative[:, :, 0] *= 2 * ww - 1
    return relative.sum(-1).flatten()


def relative_coords_table(wh: int, ww: int) -> torch.Tensor:
    """Swin V2's log-spaced relative coordinates, 1 x (2 wh - 1) x (2 ww - 1) x 2 (torchvision's)."""
    h = torch.arange(-(wh - 1), wh, dtype=torch.float32)
    w = torch.arange(-(ww - 1), ww, dtype=torch.float32)
    table = torch.stack(torch.meshgrid([h, w], indexing="ij")).permute(1, 2, 0).contiguous().unsqueeze(0)
    table[:, :, :, 0] /= max(wh - 1, 1)
    table[:, :, :, 1] /= max(ww - 1, 1)
    table *= 8
    return torch.sign(table) * torch.log2(torch.abs(table) + 1.0) / 3.0


class WindowAttention(nn.Module):
    """torchvision's ShiftedWindowAttention (V1: a learned bias table) or ShiftedWindowAttentionV2 (cosine
    attention, a position-bias MLP), any combination the attributes name."""

    def __init__(self, dim: int, a):
        super().__init__()
        self.window_size, self.shift_size, self.num_heads = list(a.window), list(a.shift), a.heads
        self.cosine, self.cpb_hidden = a.cosine, a.cpb_hidden
        self.qkv = nn.Linear(dim, dim * 3, bias=a.qkv_bias)
        self.proj = nn.Linear(dim, dim, bias=a.proj_bias)
        wh, ww = a.window
        if a.cpb_hidden:
            self.cpb_mlp = nn.Sequential(nn.Linear(2, a.cpb_hidden, bias=True), nn.ReLU(inplace=True),
                                         nn.Linear(a.cpb_hidden, a.heads, bias=False))
            self.register_buffer("relative_coords_table", torch.zeros(1, 2 * wh - 1, 2 * ww - 1, 2))
        else:
            self.relative_position_bias_table = nn.Parameter(torch.zeros((2 * wh - 1) * (2 * ww - 1), a.heads))
        if a.cosine:
            self.logit_scale = nn.Parameter(torch.full((a.heads, 1, 1), math.log(10)))
        self.register_buffer("relative_position_index", torch.zeros(wh * ww * wh * ww, dtype=torch.long))
        self.reset_running_stats()

    def reset_running_stats(self):
        """The index (and V2's coordinate) tables, computed from the window."""
        if self.relative_position_index.is_meta:
            return
        with torch.no_grad():
            self.relative_position_index.copy_(relative_position_index(*self.window_size))
            if self.cpb_hidden:
                self.relative_coords_table.copy_(relative_coords_table(*self.window_size))

    def reset_parameters(self):
        with torch.no_grad():
            if not self.cpb_hidden:
                nn.init.trunc_normal_(self.relative_position_bias_table, std=0.02)
            if self.cosine:
                self.logit_scale.fill_(math.log(10))
        self.reset_running_stats()

    def forward(self, x):
        swin = _swin()
        if self.cpb_hidden:
            table = self.cpb_mlp(self.relative_coords_table).view(-1, self.num_heads)
            bias = 16 * torch.sigmoid(swin._get_relative_position_bias(table, self.relative_position_index,
                                                                       self.window_size))
        else:
            bias = swin._get_relative_position_bias(self.relative_position_bias_table, self.relative_position_index,
                                                    self.window_size)
        return swin.shifted_window_attention(
            x, self.qkv.weight, self.proj.weight, bias, self.window_size, self.num_heads, shift_size=self.shift_size,
            qkv_bias=self.qkv.bias, proj_bias=self.proj.bias, logit_scale=self.logit_scale if self.cosine else None,
            training=self.training)


class PatchMerge(nn.Module):
    """torchvision's _patch_merging_pad: pad H and W to even, the four positions of each 2 x 2 block joined on
    the channels in the order (0, 0), (1, 0), (0, 1), (1, 1)."""

    def forward(self, x):
        h, w = x.shape[-3:-1]
        x = nn.functional.pad(x, (0, 0, 0, w % 2, 0, h % 2))
        return torch.cat([x[..., 0::2, 0::2, :], x[..., 1::2, 0::2, :], x[..., 0::2, 1::2, :],
                          x[..., 1::2, 1::2, :]], -1)


@makes("window_attention")
def make_window_attention(a, xs):
    return WindowAttention(xs[0].shape[-1], a)


@makes("patch_merge")
def make_patch_merge(a, xs):
    return PatchMerge()


class Roll(nn.Module):
    """torch.roll along sample axes (the batch axis never moves)."""

    def __init__(self, shifts: tuple, axes: tuple):
        super().__init__()
        self.shifts, self.dims = tuple(shifts), tuple(a + 1 if a >= 0 else a for a in axes)

    def forward(self, x):
        return torch.roll(x, shifts=self.shifts, dims=self.dims)


@makes("roll")
def make_roll(a, xs):
    return Roll(a.shifts, a.axes)
