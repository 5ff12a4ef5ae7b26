"""Swin Transformers and MaxViT through the PyTorch importer: torchvision's shifted window attention (V1 and V2)
as one window_attention layer, its patch merging as patch_merge, einsum as a matmul, swapaxes as a transpose.
Every figure is checked against torch: parameters against sum(p.numel()), MACs against FlopCounterMode / 2,
output shapes against a forward pass, and (through verify) per-layer figures and bytes saved for backward
against the twins archcalc builds and the real model."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

import archcalc
from archcalc.errors import GraphError
from archcalc.pytorch.verify import verify
from archcalc.sources.torchvision_import import import_torchvision

tv = import_torchvision()
swin = tv.models.swin_transformer


def torch_figures(model, shape, batch: int = 1) -> tuple:
    """(parameters, FlopCounterMode MACs, output shape) measured on the model itself."""
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        out = model(torch.randn(batch, *shape))
    return sum(p.numel() for p in model.parameters()), counter.get_total_flops() // 2, list(out.shape[1:])


def archcalc_figures(model, shape) -> tuple:
    report = archcalc.analyze(model, input=shape)
    return report.totals["params"], report.totals["macs"], report.layers[-1].out_shape.as_list()


class OneAttention(nn.Module):
    """A 1x1 conv to C channels, channels last, one torchvision window attention, channels first again."""

    def __init__(self, channels, window, shift, heads, v2=False):
        super().__init__()
        self.embed = nn.Conv2d(3, channels, 1)
        attention = swin.ShiftedWindowAttentionV2 if v2 else swin.ShiftedWindowAttention
        self.attn = attention(channels, window, shift, heads)

    def forward(self, x):
        return self.attn(self.embed(x).permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


@pytest.mark.parametrize("shape, window, shift, heads, v2", [
    ((3, 8, 8), [4, 4], [0, 0], 2, False),  # two by two windows, no padding
    ((3, 9, 11), [4, 4], [2, 2], 2, False),  # padded to 12 x 12, shifted
    ((3, 5, 7), [3, 4], [1, 2], 4, False),  # a rectangular window
    ((3, 6, 6), [8, 8], [4, 4], 2, False),  # a window larger than the map: padded to 8 x 8, the shift dropped
    ((3, 9, 11), [4, 4], [2, 2], 2, True),  # V2: cosine attention and the position-bias MLP
    ((3, 4, 4), [4, 4], [0, 0], 1, True),
])
def test_one_window_attention_matches_torch(shape, window, shift, heads, v2):
    model = OneAttention(16, window, shift, heads, v2).eval()
    assert archcalc_figures(model, shape) == torch_figures(model, shape)
    kinds = [layer.kind for layer in archcalc.resolve(model, shape).layers]
    assert kinds.count("window_attention") == 1 and "matmul" not in kinds


def test_window_attention_arithmetic_written_out():
    """9 x 11 x 16 map, window 4 x 4: padded to 12 x 12, T = 144 tokens, N = 16 per window, 9 windows."""
    model = OneAttention(16, [4, 4], [2, 2], 2).eval()
    report = archcalc.analyze(model, input=(3, 9, 11))
    attn = next(s for s in report.layers if s.kind == "window_attention")
    t, n, c = 144, 16, 16
    assert attn.macs == 4 * t * c * c + 2 * t * n * c  # qkv, proj; q k^T and a v in each window
    table = (2 * 4 - 1) * (2 * 4 - 1) * 2  # (2 wh - 1)(2 ww - 1) offsets x 2 heads
    assert attn.params == 4 * c * c + 3 * c + c + table
    assert attn.buffers == n * n  # the relative position index
    assert attn.out_shape.as_list() == [9, 11, 16]


def test_v2_position_mlp_is_counted_once_per_forward():
    """V2's MLP on the 15 x 15 offsets of an 8 x 8 window: 225 x 2 x 512 + 225 x 512 x h MACs, the same at
    any map size (torch runs it once per forward)."""
    model = OneAttention(16, [8, 8], [0, 0], 2, v2=True).eval()
    small = next(s for s in archcalc.analyze(model, input=(3, 8, 8)).layers if s.kind == "window_attention")
    t, n, c, mlp = 64, 64, 16, 225 * 512 * (2 + 2)
    assert small.macs == 4 * t * c * c + 2 * t * n * c + mlp
    assert torch_figures(model, (3, 8, 8))[1] == archcalc.analyze(model, input=(3, 8, 8)).totals["macs"]


def test_patch_merge_pads_odd_sides():
    model = nn.Sequential(nn.Conv2d(3, 8, 1), tv.ops.misc.Permute([0, 2, 3, 1]), swin.PatchMerging(8)).eval()
    for shape in ((3, 8, 8), (3, 7, 9)):
        assert archcalc_figures(model, shape) == torch_figures(model, shape)
    layers = archcalc.analyze(model, input=(3, 7, 9)).layers
    merge = next(s for s in layers if s.kind == "patch_merge")
    assert merge.out_shape.as_list() == [4, 5, 32] and merge.macs == 0 and merge.params == 0
    assert merge.name == "2._patch_merging_pad"  # the module's name stays for its output, after its linear


@pytest.mark.parametrize("name, shape", [("swin_t", (3, 224, 224)), ("swin_t", (3, 199, 199)),
                                         ("swin_v2_t", (3, 256, 256)), ("swin_v2_t", (3, 199, 199))])
def test_torchvision_swin_matches_torch(name, shape):
    model = getattr(tv.models, name)().eval()
    assert archcalc_figures(model, shape) == torch_figures(model, shape)


def test_symbolic_swin_equals_the_numeric_runs():
    """3xHxW: the padding to a multiple of the window as ceilings; evaluated, the numeric MACs."""
    model = tv.models.swin_t().eval()
    macs = archcalc.analyze(model, input="3xHxW").totals["macs"]
    for size in (224, 199):
        numeric = archcalc.analyze(model, input=(3, size, size)).totals["macs"]
        assert macs.subs({s: size for s in macs.free_symbols}) == numeric


def small_swin(v2: bool):
    """A two-stage Swin (window 4, shifted blocks, one patch merging) small enough to verify layer by layer."""
    extra = {"block": swin.SwinTransformerBlockV2, "downsample_layer": swin.PatchMergingV2} if v2 else {}
    return swin.SwinTransformer(patch_size=[4, 4], embed_dim=16, depths=[2, 2], num_heads=[2, 4],
                                window_size=[4, 4], num_classes=10, **extra).eval()


@pytest.mark.parametrize("v2, shape, batch", [(False, (3, 64, 64), 1), (False, (3, 36, 44), 2),
                                               (False, (3, 16, 16), 1), (False, (3, 16, 16), 2),
                                               (True, (3, 64, 64), 1), (True, (3, 36, 44), 1),
                                               (True, (3, 16, 16), 1)])
def test_small_swin_verifies_layer_by_layer(v2, shape, batch):
    """Shapes, parameters, buffers, MACs, activation bytes and bytes saved for backward of every layer, on the
    built twins and on torchvision's model; 16 x 16 puts one window on the last stage (k and v views of qkv at
    batch 1, copies at batch 2). V2 at batch 2: see the next test."""
    result = verify(small_swin(v2), input=shape, batch=batch, use_fvcore=False)
    assert result.ok, [f"{c.layer}: {c.figure}: {c.analytic} against {c.measured} ({c.model})"
                       for c in result.failures()]
    assert any(c.figure.startswith("saved") for c in result.checks)


def test_v2_position_mlp_at_batch_2_is_counted_per_sample():
    """Known approximation: V2's position-bias MLP runs once per forward, but a layer's MACs are per sample, so
    at batch b archcalc counts it b times: over torch's count by (b - 1) x the MLP of each attention layer."""
    model = small_swin(True)
    report = archcalc.analyze(model, input=(3, 32, 32), batch=2)
    mlp = 49 * 512 * (2 + 2) * 2 + 49 * 512 * (2 + 4) * 2  # 7 x 7 offsets; two layers of 2 heads, two of 4
    assert report.totals["macs"] == torch_figures(model, (3, 32, 32), batch=2)[1] + (2 - 1) * mlp


class TimmShiftedWindows(nn.Module):
    """timm's shifted-window attention as its SwinTransformerBlock runs it (roll, window partition, timm's
    WindowAttention with the block's mask buffer, window reverse, roll back), on an 8 x 8 map with no padding
    to crop; timm's own modules and functions."""

    def __init__(self, channels=16, heads=2, window=4, shift=2):
        super().__init__()
        from timm.models import swin_transformer as timm_swin

        self.timm_swin = timm_swin
        self.embed = nn.Conv2d(3, channels, 1)
        self.block = timm_swin.SwinTransformerBlock(channels, (8, 8), heads, window_size=window, shift_size=shift)
        self.window, self.shift = (window, window), (shift, shift)

    def forward(self, x):
        x = self.embed(x).permute(0, 2, 3, 1)
        c = x.shape[-1]
        x = torch.roll(x, shifts=(-self.shift[0], -self.shift[1]), dims=(1, 2))
        windows = self.timm_swin.window_partition(x, self.window).view(-1, self.window[0] * self.window[1], c)
        windows = self.block.attn(windows, mask=self.block.attn_mask).view(-1, *self.window, c)
        x = self.timm_swin.window_reverse(windows, self.window, 8, 8)
        return torch.roll(x, shifts=self.shift, dims=(1, 2))


def test_timm_shifted_windows_with_roll_match_torch():
    model = TimmShiftedWindows().eval()
    assert archcalc_figures(model, (3, 8, 8)) == torch_figures(model, (3, 8, 8))
    rolls = [layer for layer in archcalc.resolve(model, (3, 8, 8)).layers if layer.kind == "roll"]
    assert [(r.attrs.shifts, r.attrs.axes) for r in rolls] == [((-2, -2), (0, 1)), ((2, 2), (0, 1))]


def test_roll_moves_the_field_and_costs_nothing():
    net = archcalc.Net("rolled", input=(4, 8, 8))
    x = net.layer("roll", archcalc.core.ir.Roll((3,), (1,)), net.input)
    report = archcalc.analyze(net)
    (roll,) = [s for s in report.layers if s.kind == "roll"]
    assert roll.macs == 0 and roll.params == 0 and roll.activation_elems == 4 * 8 * 8 and x == roll.name
    assert roll.rf.start == (0.5 - 3, 0.5)  # axis 1 of C x H x W is H: output row i holds input row i - 3


class EinsumAttention(nn.Module):
    """MaxViT's products written with einsum, and a swapaxes."""

    def __init__(self):
        super().__init__()
        self.qkv = nn.Linear(8, 24)

    def forward(self, x):  # x: N x 8 x 4 x 4
        x = torch.swapaxes(x.flatten(2), 1, 2).reshape(x.shape[0], 2, 8, 8)  # N x groups x tokens x C
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        scores = torch.einsum("b g i d, b g j d -> b g i j", q, k).softmax(-1)
        return torch.einsum("bgij,bgjd->bgid", scores, v).swapaxes(-1, -2)


def test_einsum_products_and_swapaxes_match_torch():
    model = EinsumAttention().eval()
    assert archcalc_figures(model, (8, 4, 4)) == torch_figures(model, (8, 4, 4))
    kinds = [layer.kind for layer in archcalc.resolve(model, (8, 4, 4)).layers]
    assert kinds.count("matmul") == 2


class TfRelativeBias(nn.Module):
    """Scores of 4 heads over a 4 x 5 window plus timm's RelPosBiasTf: its table contracted with one-hot lookup
    buffers by two einsums of parameters alone (MaxViT-TF), once per forward."""

    def __init__(self):
        super().__init__()
        from timm.layers.pos_embed_rel import RelPosBiasTf

        self.qk = nn.Linear(8, 8)
        self.rel_pos = RelPosBiasTf((4, 5), 4)

    def forward(self, x):  # x: N x 8 x 4 x 5 -> N x 4 heads x 20 tokens x 2
        q = self.qk(x.flatten(2).transpose(1, 2)).reshape(x.shape[0], 20, 4, 2).transpose(1, 2)
        return self.rel_pos(q @ q.transpose(-1, -2)).softmax(-1) @ q


def test_einsum_of_parameters_runs_once_per_forward():
    model = TfRelativeBias().eval()
    assert archcalc_figures(model, (8, 4, 5)) == torch_figures(model, (8, 4, 5))
    # table 4 heads x 7 x 9 offsets; 'nhw,ixh->nixw': 4 x 7 x 9 x 4 x 4 (h summed); 'nixw,jyw->nijxy':
    # 4 x 4 x 4 x 9 x 5 x 5 (w summed)
    once = 4 * 7 * 9 * 4 * 4 + 4 * 4 * 4 * 9 * 5 * 5
    per_sample = archcalc.analyze(model, input=(8, 4, 5)).totals["macs"] - once
    at_two = archcalc.analyze(model, input=(8, 4, 5), batch=2).totals["macs"]
    assert at_two == 2 * per_sample + once == torch_figures(model, (8, 4, 5), batch=2)[1]


class Diagonal(nn.Module):
    def forward(self, x):
        return torch.einsum("bii->bi", x)


def test_an_einsum_that_is_no_matrix_product_is_refused():
    with pytest.raises(GraphError, match=r"torch.einsum 'bii->bi'"):
        archcalc.resolve(Diagonal(), (4, 4))


def test_torchvision_maxvit_matches_torch():
    model = tv.models.maxvit_t().eval()
    assert archcalc_figures(model, (3, 224, 224)) == torch_figures(model, (3, 224, 224))


def test_timm_maxvit_tf_matches_torch():
    """MaxViT-TF's relative position bias: einsums of its table and lookup buffers, once per forward."""
    import timm

    model = timm.create_model("maxvit_tiny_tf_224").eval()
    assert archcalc_figures("timm:maxvit_tiny_tf_224", (3, 224, 224)) == torch_figures(model, (3, 224, 224))


@pytest.mark.parametrize("name, shape", [("swin_tiny_patch4_window7_224", (3, 224, 224)),
                                         ("swin_s3_tiny_224", (3, 224, 224)),
                                         ("swinv2_tiny_window8_256", (3, 256, 256)),
                                         ("swinv2_cr_tiny_224", (3, 224, 224))])
def test_timm_swin_families_match_torch(name, shape):
    """timm writes the shift as torch.roll around its windows (the roll kind), the attention traced through."""
    import timm

    model = timm.create_model(name).eval()
    assert archcalc_figures(f"timm:{name}", shape) == torch_figures(model, shape)
    assert any(layer.kind == "roll" for layer in archcalc.resolve(f"timm:{name}", shape).layers)
