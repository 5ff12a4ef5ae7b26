"""timm families the batch folding (sources/torch_folding.py) and the readings by position (torch_axes.py,
torch_fold_ops.py, torch_fold_expand.py) let the PyTorch importer take: LeViT's BatchNorm1d on tokens
flattened into the batch and its stride-2 subsample of an odd grid, GCViT's global query repeated per window,
MobileViT's attention over patches folded into the batch and MobileViT-v2's GroupNorm on unfolded patches,
BoTNet's relative logits (a pad of a linear layer's outputs, an expand of heads folded into the batch),
EfficientViT's `v.device.type` and its convs of windows folded into the batch, Hiera's flatten into the batch
and Hiera-Det's pools of windows, and EfficientNet-CondConv's per-sample kernels (dynamic_conv). Each small module's parameters, MACs and output shape are checked against
torch itself (sum(p.numel()), FlopCounterMode / 2, a forward pass) and the arithmetic written out; a few
timm models whole."""

from __future__ import annotations

import copy

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

import archcalc
from archcalc.pytorch.coverage import check
from archcalc.pytorch.verify import verify

pytestmark = pytest.mark.torch


def torch_figures(model, shape) -> tuple:
    """(parameters, FlopCounterMode MACs per sample, output shape) measured on the model itself, on a batch of 2
    on the meta device with autograd on, as archcalc.pytorch.coverage measures (there torch counts
    scaled_dot_product_attention's products, which its CPU kernel under no_grad leaves out)."""
    model = copy.deepcopy(model).eval().to("meta")
    with FlopCounterMode(display=False) as counter:
        out = model(torch.empty(2, *shape, device="meta"))
    return sum(p.numel() for p in model.parameters()), counter.get_total_flops() // 4, list(out.shape[1:])


def ours(model, shape) -> tuple:
    report = archcalc.analyze(model.eval(), input=shape)
    return report.totals["params"], report.totals["macs"], list(report.layers[-1].out_shape.as_list()), report


class LinearNorm(nn.Module):
    """LeViT's LinearNorm on a map's tokens: Linear, then BatchNorm1d on (B * N, C), viewed back; then the
    attention subsample's x.view(B, 7, 7, C)[:, ::2, ::2] of an odd grid."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 2, stride=2)
        self.linear = nn.Linear(8, 12, bias=False)
        self.bn = nn.BatchNorm1d(12)

    def forward(self, x):
        x = self.stem(x).flatten(2).transpose(1, 2)  # (B, 49, 8)
        x = self.linear(x)
        x = self.bn(x.flatten(0, 1)).reshape_as(x)
        return x.view(x.shape[0], 7, 7, 12)[:, ::2, ::2].reshape(x.shape[0], -1, 12)


def test_levit_linear_norm_folds_tokens_into_the_batch():
    model = LinearNorm()
    params, macs, shape, report = ours(model, (3, 14, 14))
    assert (params, macs, shape) == torch_figures(model, (3, 14, 14))
    assert shape == [16, 12]  # positions 0, 2, 4, 6 of 7 on both axes
    assert macs == 8 * 3 * 4 * 49 + 49 * 8 * 12  # the stem, then the linear layer: no MACs in the norm
    bn = next(s for s in report.layers if s.kind == "batchnorm")
    assert (bn.weights, bn.biases, bn.buffers) == (12, 12, 2 * 12 + 1)
    assert bn.other_ops == 2 * 49 * 12  # a multiply and an add per element of the 49 tokens x 12 channels


class GlobalQuery(nn.Module):
    """GCViT's global attention: windows of a map folded into the batch, one query per sample (from the whole
    map) repeated for each of its windows with repeat_interleave(B_ // B, dim=0)."""

    def __init__(self, c=8, ws=4):
        super().__init__()
        self.c, self.ws = c, ws
        self.stem = nn.Conv2d(3, c, 1)
        self.q = nn.Linear(c, c)
        self.kv = nn.Linear(c, 2 * c)

    def forward(self, x):
        x = self.stem(x)
        B, C, H, W = x.shape
        ws = self.ws
        g = F.adaptive_avg_pool2d(x, ws).flatten(2).transpose(1, 2)  # (B, ws*ws, C)
        q_global = self.q(g)
        w = x.permute(0, 2, 3, 1).view(B, H // ws, ws, W // ws, ws, C).permute(0, 1, 3, 2, 4, 5)
        w = w.reshape(-1, ws * ws, C)  # (B * nW, ws*ws, C)
        B_ = w.shape[0]
        k, v = self.kv(w).chunk(2, dim=-1)
        q = q_global.repeat_interleave(B_ // B, dim=0)
        out = (q @ k.transpose(-2, -1)).softmax(-1) @ v
        return out.view(B, -1, C)


def test_gcvit_global_query_repeated_per_window():
    model = GlobalQuery()
    params, macs, shape, _ = ours(model, (3, 8, 8))
    assert (params, macs, shape) == torch_figures(model, (3, 8, 8))
    n, c, windows = 16, 8, 4
    assert macs == 3 * c * 64 + n * c * c + windows * n * c * 2 * c + 2 * windows * n * n * c


class PatchAttention(nn.Module):
    """MobileViT: a map unfolded into 2x2 patches, (B * 4, N, C) with the 4 pixel positions folded into the
    batch, through a LayerNorm, timm's Attention and an MLP, folded back; then MobileViT-v2's GroupNorm on the
    (B, C, 4, N) patches (channels first by position), and an interpolate of the map."""

    def __init__(self, c=8):
        super().__init__()
        from archcalc.sources.torchvision_import import import_torchvision

        import_torchvision()  # timm imports torchvision, whose operators this defines first
        from timm.layers import Attention

        self.stem = nn.Conv2d(3, c, 1)
        self.norm = nn.LayerNorm(c)
        self.attn = Attention(c, num_heads=2)
        self.fc = nn.Linear(c, c)
        self.gn = nn.GroupNorm(1, c)

    def forward(self, x):
        x = self.stem(x)
        B, C, H, W = x.shape
        p = x.reshape(B * C * H // 2, 2, W // 2, 2).transpose(1, 2).reshape(B, C, -1, 4).transpose(1, 3)
        p = p.reshape(B * 4, -1, C)  # (B * 4, N, C)
        p = p + self.attn(self.norm(p))
        p = p + self.fc(p)
        p = p.contiguous().view(B, 4, -1, C).permute(0, 3, 1, 2)  # (B, C, 4, N)
        p = self.gn(p).reshape(B, C, H, W)
        return F.interpolate(p, scale_factor=2.0, mode="nearest")


def test_mobilevit_attention_over_folded_patches():
    model = PatchAttention()
    params, macs, shape, report = ours(model, (3, 8, 8))
    assert (params, macs, shape) == torch_figures(model, (3, 8, 8))
    rows, n, c = 4, 16, 8  # per sample: 4 pixel positions, 16 patches each, 8 channels
    attention = rows * (n * c * 3 * c + 2 * n * n * c + n * c * c)
    assert macs == 3 * c * 64 + attention + rows * n * c * c
    assert shape == [8, 16, 16]
    assert not any(s.kind == "attention" for s in report.layers)  # written out over the folded rows


class RelativeLogits(nn.Module):
    """BoTNet's rel_logits_1d: q @ rel_k^T of heads folded into the batch (B * h, H, W, d), shifted from
    relative to absolute positions by pads of the logits' last axis, then expanded over the rows."""

    def __init__(self, h=2, size=4, d=8):
        super().__init__()
        self.h, self.size, self.d = h, size, d
        self.stem = nn.Conv2d(3, h * d, 1)
        self.rel_k = nn.Parameter(torch.randn(2 * size - 1, d))

    def forward(self, x):
        x = self.stem(x)
        B, _, H, W = x.shape
        q = x.reshape(B * self.h, self.d, H, W).permute(0, 2, 3, 1)  # (B * h, H, W, d)
        y = (q @ self.rel_k.transpose(-1, -2)).reshape(-1, W, 2 * W - 1)
        y = F.pad(y, [0, 1]).flatten(1)
        y = F.pad(y, [0, W - 1]).reshape(-1, W + 1, 2 * W - 1)[:, :W, W - 1:]
        y = y.reshape(B * self.h, H, 1, W, W).expand(-1, -1, H, -1, -1)
        return y.reshape(B, self.h, H * W, H * W) * 1.0


def test_botnet_relative_logits_pad_and_expand():
    model = RelativeLogits()
    params, macs, shape, _ = ours(model, (3, 4, 4))
    assert (params, macs, shape) == torch_figures(model, (3, 4, 4))
    assert params == 3 * 16 + 16 + 7 * 8
    assert macs == 3 * 16 * 16 + 2 * 4 * 4 * 8 * 7  # the stem; per head, 16 positions x d 8 x 7 offsets
    assert shape == [2, 16, 16]


class WindowConvs(nn.Module):
    """EfficientViT-M's local window attention: a map's 2 x 2 windows folded into the batch, (B * 4, C, 3, 3),
    through a 1x1 conv with a BatchNorm and a depthwise 3x3 conv, then the windows joined back."""

    def __init__(self, c=4):
        super().__init__()
        self.stem = nn.Conv2d(3, c, 1)
        self.qkv = nn.Conv2d(c, 2 * c, 1, bias=False)
        self.bn = nn.BatchNorm2d(2 * c)
        self.dw = nn.Conv2d(2 * c, 2 * c, 3, padding=1, groups=2 * c)

    def forward(self, x):
        x = self.stem(x)
        B, C, H, W = x.shape
        w = x.permute(0, 2, 3, 1).view(B, 2, 3, 2, 3, C).transpose(2, 3)
        w = w.reshape(B * 4, 3, 3, C).permute(0, 3, 1, 2)
        w = self.dw(self.bn(self.qkv(w)))
        w = w.permute(0, 2, 3, 1).view(B, 2, 2, 3, 3, 2 * C).transpose(2, 3)
        return w.reshape(B, H, W, 2 * C).permute(0, 3, 1, 2)


def test_efficientvit_m_convs_of_windows_folded_into_the_batch():
    model = WindowConvs()
    params, macs, shape, report = ours(model, (3, 6, 6))
    assert (params, macs, shape) == torch_figures(model, (3, 6, 6))
    assert params == 3 * 4 + 4 + 4 * 8 + 2 * 8 + 8 * 9 + 8  # the BatchNorm's running stats are buffers
    assert macs == 3 * 4 * 36 + 4 * 8 * 36 + 8 * 9 * 36  # per window 9 positions, 4 windows: the map's 36
    assert shape == [8, 6, 6]
    dw = next(s for s in report.layers if s.name == "dw")
    assert dw.kind == "conv" and dw.weights == 8 * 9  # a kernel of 1 x 3 x 3 over windows x rows x columns


class PooledWindows(nn.Module):
    """Hiera-Det: a map's 2 x 2 windows of 4 x 4 folded into the batch, a query pooled by MaxPool2d(2) (and
    an AvgPool2d) per window, the windows joined back with B = B_ // (windows per sample)."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 4, 1)
        self.max = nn.MaxPool2d(2)
        self.avg = nn.AvgPool2d(3, stride=1, padding=1)

    def forward(self, x):
        x = self.stem(x).permute(0, 2, 3, 1)  # (B, 8, 8, 4)
        B, H, W, C = x.shape
        w = x.view(B, 2, 4, 2, 4, C).permute(0, 1, 3, 2, 4, 5).contiguous().view(-1, 4, 4, C)
        w = self.avg(self.max(w.permute(0, 3, 1, 2))).permute(0, 2, 3, 1)  # (B_, 2, 2, C)
        b = w.shape[0] // 4
        return w.reshape(b, 2, 2, 2, 2, C).permute(0, 1, 3, 2, 4, 5).reshape(b, 4, 4, C)


def test_hieradet_pools_of_windows_and_the_batch_recovered():
    model = PooledWindows()
    params, macs, shape, report = ours(model, (3, 8, 8))
    assert (params, macs, shape) == torch_figures(model, (3, 8, 8))
    assert params == 16 and macs == 3 * 4 * 64 and shape == [4, 4, 4]
    pool = next(s for s in report.layers if s.name == "max")
    assert pool.kind == "maxpool" and pool.out_shape.elements == 4 * 4 * 2 * 2  # 4 windows, 4 channels, 2 x 2


class CondConvBlock(nn.Module):
    """EfficientNet-CondConv's block: routing weights from the pooled map (Linear to 3 experts, sigmoid), then
    timm's CondConv2d (a 3x3 conv, with a bias) whose kernel mixes the experts' per sample."""

    def __init__(self):
        super().__init__()
        from archcalc.sources.torchvision_import import import_torchvision

        import_torchvision()  # timm imports torchvision, whose operators this defines first
        from timm.layers import CondConv2d

        self.routing = nn.Linear(4, 3)
        self.conv = CondConv2d(4, 6, 3, padding=1, bias=True, num_experts=3)

    def forward(self, x):
        r = torch.sigmoid(self.routing(F.adaptive_avg_pool2d(x, 1).flatten(1)))
        return self.conv(x, r)


def test_condconv_mixes_experts_then_convolves_each_sample():
    model = CondConvBlock()
    params, macs, shape, report = ours(model, (4, 5, 5))
    assert (params, macs, shape) == torch_figures(model, (4, 5, 5))
    kernel = 6 * 4 * 9
    assert params == 4 * 3 + 3 + 3 * kernel + 3 * 6  # routing; the experts' kernels and biases
    assert macs == 4 * 3 + 3 * kernel + 3 * 6 + 6 * 25 * 4 * 9  # routing, the mixtures, the conv
    conv = report.layers[-1]
    assert conv.kind == "dynamic_conv" and conv.weights + conv.biases == 0 and conv.other_ops == 6 * 25
    result = verify(model, (4, 5, 5))
    assert result.ok, result.failures()


class DeviceType(nn.Module):
    """EfficientViT's LiteMLA reads v.device.type to choose autocast off: no figure depends on it."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 1)

    def forward(self, x):
        x = self.conv(x)
        if x.device.type != "meta":
            x = x * 2.0
        return x


def test_device_type_read_steers_nothing():
    model = DeviceType()
    params, macs, shape, _ = ours(model, (3, 5, 5))
    assert (params, macs, shape) == torch_figures(model, (3, 5, 5)) == (16, 12 * 25, [4, 5, 5])


class PermutedIntoBatch(nn.Module):
    """Hiera's unroll: tokens permuted, then x.flatten(0, 1) of the permuted (B, 2, 8, C) (a copy, each
    sample's rows still together), a Linear and a BatchNorm1d on the rows, and a view back to (B, 16, C)."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 4, 1)
        self.fc = nn.Linear(4, 6)
        self.bn = nn.BatchNorm1d(6)

    def forward(self, x):
        x = self.stem(x).flatten(2).transpose(1, 2)  # (B, 16, 4)
        B = x.shape[0]
        x = x.reshape(B, 8, 2, 4).permute(0, 2, 1, 3).flatten(0, 1)  # (B * 2, 8, 4)
        x = self.fc(x).reshape(-1, 6)  # (B * 16, 6)
        return self.bn(x).reshape(B, 16, 6)


def test_flatten_of_a_permuted_tensor_into_the_batch():
    model = PermutedIntoBatch()
    params, macs, shape, _ = ours(model, (3, 4, 4))
    assert (params, macs, shape) == torch_figures(model, (3, 4, 4))
    assert macs == 3 * 4 * 16 + 16 * 4 * 6 and shape == [16, 6]


def test_a_pad_of_the_batch_axis_stays_refused():
    class PadBatch(nn.Module):
        def forward(self, x):
            return F.pad(x.reshape(x.shape[0] * 3, 4), [0, 0, 1, 0])

    with pytest.raises(Exception, match="batch"):
        archcalc.analyze(PadBatch(), input=(3, 4))


def test_whole_samples_flattened_and_rows_normalised_apart_stay_refused():
    class FlattenAll(nn.Module):
        def forward(self, x):
            return x.flatten(0, -1)

    class GroupNormOfRows(nn.Module):  # statistics per row of a folded tensor: no per-sample group norm
        def __init__(self):
            super().__init__()
            self.gn = nn.GroupNorm(1, 4)

        def forward(self, x):
            return self.gn(x.reshape(x.shape[0] * 2, 4, 3)).reshape(x.shape[0], 8, 3)

    with pytest.raises(Exception, match="every axis"):
        archcalc.analyze(FlattenAll(), input=(3, 4))
    with pytest.raises(Exception, match="channels-first"):
        archcalc.analyze(GroupNormOfRows(), input=(8, 3))


@pytest.mark.parametrize("name", ["levit_128s", "mobilevitv2_050", "botnet26t_256", "halonet26t"])
def test_timm_families_match_torch(name):
    result = check(f"timm:{name}")
    assert result.status == "ok", result
    assert (result.params, result.macs, result.shape) == (result.torch_params, result.torch_macs, result.torch_shape)
