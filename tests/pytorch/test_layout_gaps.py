"""Layouts the PyTorch importer reads by position (sources/torch_axes.py, torch_importing.py): ECA's Conv1d
across the channels of a pooled vector, CaiT's class token joined to the patch tokens, PiT's position
embedding of a CxHxW map, CoaT's pad of the token axis, and attention with an additive mask (CoAtNet's
relative position bias). Each small module's parameters, MACs and output shape are checked against torch
itself (sum(p.numel()), FlopCounterMode / 2, a forward pass); a few timm models whole."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

import archcalc
from archcalc.core.shape import Shape
from archcalc.errors import ArchcalcError
from archcalc.pytorch.coverage import check
from archcalc.pytorch.verify import verify

pytestmark = pytest.mark.torch


def torch_figures(model, shape) -> tuple:
    """(parameters, FlopCounterMode MACs, output shape) measured on the model itself."""
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        out = model(torch.randn(1, *shape))
    return sum(p.numel() for p in model.parameters()), counter.get_total_flops() // 2, list(out.shape[1:])


def ours(model, shape, roles=None) -> tuple:
    """Our figures; `roles` "SC" for an input of tokens x channels."""
    given = Shape(dims=shape, roles=roles) if roles else shape
    report = archcalc.analyze(model.eval(), input=given)
    return report.totals["params"], report.totals["macs"], list(report.layers[-1].out_shape.as_list()), report


class Eca(nn.Module):
    """timm's EcaModule after a conv: mean over H, W, viewed (1, C), Conv1d(1, 1, 3) across the channels."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 3, padding=1)
        self.conv = nn.Conv1d(1, 1, 3, padding=1, bias=False)

    def forward(self, x):
        x = self.stem(x)
        y = x.mean((2, 3)).view(x.shape[0], 1, -1)
        y = self.conv(y).sigmoid().view(x.shape[0], -1, 1, 1)
        return x * y.expand_as(x)


def test_eca_conv1d_across_channels_matches_torch():
    model = Eca().eval()
    params, macs, shape, report = ours(model, (3, 8, 8))
    assert (params, macs, shape) == torch_figures(model, (3, 8, 8))
    assert macs == 16 * 3 * 8 * 8 * 9 + 16 * 3  # the stem, then one channel of length 16 by a kernel of 3
    conv = next(s for s in report.layers if s.name == "conv")
    assert conv.in_shapes[0].roles == "CS" and conv.in_shapes[0].dims == (1, 16)
    result = verify(model, (3, 8, 8))
    assert result.ok, result.failures()


class ExpandIntoConv(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 1)

    def forward(self, x):
        return self.conv(x.mean((2, 3), keepdim=True).expand_as(x))


def test_expand_as_into_anything_but_a_join_is_refused():
    with pytest.raises(ArchcalcError, match="expand_as"):
        archcalc.analyze(ExpandIntoConv(), input=(4, 5, 5))


class BiasedAttention(nn.Module):
    """SDPA with a learned additive bias per head and score (a relative position bias's figures)."""

    def __init__(self, tokens=6, dim=8, heads=2):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.bias = nn.Parameter(torch.zeros(1, heads, tokens, tokens))

    def forward(self, x):
        n, t, c = x.shape
        q, k, v = self.qkv(x).reshape(n, t, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4).unbind(0)
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=self.bias)
        return out.transpose(1, 2).reshape(n, t, c)


def test_attention_with_an_additive_mask_matches_torch():
    model = BiasedAttention().eval()
    params, macs, shape, report = ours(model, (6, 8), "SC")
    assert (params, macs, shape) == torch_figures(model, (6, 8))
    assert params == 8 * 24 + 24 + 2 * 6 * 6
    assert macs == 6 * 8 * 24 + 2 * (2 * 6 * 6 * 4)  # qkv, then q k^T and a v per head: the mask adds no MACs
    bias = next(s for s in report.layers if s.kind == "bias")
    assert bias.other_ops == 2 * 6 * 6  # one add per score


class ClassAttention(nn.Module):
    """CaiT's class-attention step: a class token made by a layer (1, C) joined before the patch tokens."""

    def __init__(self, dim=8):
        super().__init__()
        self.cls = nn.Parameter(torch.zeros(1, 1, dim))
        self.q = nn.Linear(dim, dim)

    def forward(self, x):
        x_cls = self.cls.expand(x.shape[0], -1, -1)
        x_cls = x_cls + self.q(torch.cat((x_cls, x), dim=1)[:, 0]).unsqueeze(1)  # the parameter used again
        u = torch.cat((x_cls, x), dim=1)  # a computed (1, C): one more token
        return self.q(u)


def test_class_token_made_by_a_layer_joins_the_tokens():
    model = ClassAttention().eval()
    params, macs, shape, _ = ours(model, (5, 8), "SC")
    assert (params, macs, shape) == torch_figures(model, (5, 8))
    assert shape == [6, 8] and params == 8 + 8 * 8 + 8  # the class token counted once


class MapPosEmbed(nn.Module):
    """PiT: a position embedding of shape 1 x C x H x W added to the patch conv's map."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 2, stride=2)
        self.pos_embed = nn.Parameter(torch.zeros(1, 4, 3, 3))

    def forward(self, x):
        return self.conv(x) + self.pos_embed


def test_position_embedding_of_a_feature_map():
    model = MapPosEmbed().eval()
    params, macs, shape, report = ours(model, (3, 6, 6))
    assert (params, macs, shape) == torch_figures(model, (3, 6, 6))
    assert params == 4 * 3 * 4 + 4 + 4 * 3 * 3
    assert report.layers[-1].out_shape.roles == "CSS"


class TokenPad(nn.Module):
    """CoaT's ConvRelPosEnc: heads x tokens x width padded by one zero token in front."""

    def __init__(self):
        super().__init__()
        self.qkv = nn.Linear(8, 8)

    def forward(self, x):
        n, t, c = x.shape
        y = self.qkv(x).reshape(n, t, 2, 4).transpose(1, 2)
        return F.pad(y, (0, 0, 1, 0, 0, 0))


def test_pad_of_the_token_axis_and_its_twin():
    model = TokenPad().eval()
    params, macs, shape, report = ours(model, (5, 8), "SC")
    assert (params, macs, shape) == torch_figures(model, (5, 8)) and shape == [2, 6, 4]
    pad = report.layers[-1]
    assert pad.kind == "pad" and pad.activation_elems == 2 * 6 * 4
    result = verify(model, Shape(dims=(5, 8), roles="SC"))
    assert result.ok, result.failures()


class ChannelPad(nn.Module):
    def forward(self, x):
        return F.pad(x, (0, 0, 0, 0, 1, 1))


def test_padding_the_channels_stays_refused():
    with pytest.raises(ArchcalcError, match="padding the channel axis"):
        archcalc.analyze(ChannelPad(), input=(3, 4, 4))


@pytest.mark.parametrize("name", ["ecaresnet26t", "coatnet_nano_rw_224", "cait_xxs24_224", "coat_lite_tiny"])
def test_timm_models_match_torch(name):
    result = check(f"timm:{name}")
    assert result.status == "ok", result.reasons
    assert (result.params, result.macs) == (result.torch_params, result.torch_macs)


class Windows(nn.Module):
    """MaxViT's window attention on a channels-last map: B x H x W x C viewed as (B * nW) x ws*ws x C, heads
    folded into the batch too (B * nW * h), products per window, and the windows put back."""

    def __init__(self, dim=8, heads=2, ws=2):
        super().__init__()
        self.ws, self.heads = ws, heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        B, H, W, C = x.shape
        ws = self.ws
        x = x.view(B, H // ws, ws, W // ws, ws, C).permute(0, 1, 3, 2, 4, 5).contiguous().view(-1, ws * ws, C)
        B_, N, _ = x.shape
        q, k, v = self.qkv(x).view(B_, N, 3, self.heads, C // self.heads).permute(2, 0, 3, 1, 4).unbind(0)
        q = q.reshape(B_ * self.heads, N, C // self.heads)  # the heads folded into the batch as well
        k = k.reshape(B_ * self.heads, N, C // self.heads)
        attn = (q @ k.transpose(1, 2)).softmax(dim=-1).view(B_, self.heads, N, N)
        x = (attn @ v).transpose(1, 2).reshape(B_, N, C)
        x = self.proj(x).view(-1, H // ws, W // ws, ws, ws, C)
        return x.permute(0, 1, 3, 2, 4, 5).reshape(B, H, W, C)


def test_windows_folded_into_the_batch_match_torch():
    model = Windows().eval()
    params, macs, shape, report = ours(model, (4, 6, 8), "SSC")
    assert (params, macs, shape) == torch_figures(model, (4, 6, 8))
    windows, tokens = 2 * 3, 4  # a 4 x 6 map in 2 x 2 windows
    assert macs == 4 * 6 * 8 * (24 + 8) + windows * 2 * 2 * tokens * tokens * 4  # qkv, proj; q k^T and a v
    qkv = next(s for s in report.layers if s.name == "qkv")
    assert qkv.in_shapes[0].dims == (windows, tokens, 8)  # per sample: the windows are a leading axis
    result = verify(model, Shape(dims=(4, 6, 8), roles="SSC"), batch=2)  # torch's (2 * 6) x 4 x 24 per layer
    assert result.ok, result.failures()


class SplitSample(nn.Module):
    def forward(self, x):
        return x.view(-1, 7).sum(-1)


def test_a_view_that_splits_a_sample_across_the_batch_stays_refused():
    with pytest.raises(ArchcalcError, match="splits a sample"):
        archcalc.analyze(SplitSample(), input=(3, 4, 4))


class RelativeLogits(nn.Module):
    """q @ rel_k^T with rel_k a parameter (BoTNet's relative logits): a linear layer without bias."""

    def __init__(self):
        super().__init__()
        self.q = nn.Linear(4, 8)
        self.rel_k = nn.Parameter(torch.zeros(7, 8))

    def forward(self, x):
        return self.q(x) @ self.rel_k.transpose(-1, -2)


def test_matmul_with_a_parameter_matches_torch():
    model = RelativeLogits().eval()
    params, macs, shape, _ = ours(model, (5, 4), "SC")
    assert (params, macs, shape) == torch_figures(model, (5, 4))
    assert (params, macs) == (4 * 8 + 8 + 7 * 8, 5 * 4 * 8 + 5 * 8 * 7)


class ChannelsLastPad(nn.Module):
    """A pad of an H x W x C map (Swin pads the bottom and right to a multiple of the window), channels untouched."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        return self.fc(F.pad(x, (0, 0, 1, 0, 2, 0)))  # 1 at the left, 2 at the top


def test_pad_of_a_channels_last_map_and_its_twin():
    model = ChannelsLastPad().eval()
    params, macs, shape, report = ours(model, (5, 6, 4), "SSC")
    assert (params, macs, shape) == torch_figures(model, (5, 6, 4)) and shape == [7, 7, 4]
    assert report.layers[0].rf.start == (0.5 - 2, 0.5 - 1)  # output (0, 0) is input (-2, -1)
    result = verify(model, Shape(dims=(5, 6, 4), roles="SSC"))
    assert result.ok, result.failures()
