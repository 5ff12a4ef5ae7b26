"""Tensors computed from parameters and buffers, not from the input (sources/torch_derived.py,
torch_param_modules.py, torch_params.index_param): weight-standardised convolutions, a qkv bias joined from
q, a zero k buffer and v, a relative position MLP run on a coordinate buffer, a bias table gathered by an
index buffer. Each import is held against torch itself: sum(p.numel()), FlopCounterMode, the output shape."""

import pytest
import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.flop_counter import FlopCounterMode

import archcalc
from archcalc.errors import ArchcalcError
from archcalc.pytorch.coverage import check


def _torch(module, shape, batch=1):
    with FlopCounterMode(display=False) as counter:
        out = module(torch.randn(batch, *shape))
    return counter.get_total_flops() // 2, list(out.shape[1:])


def _matches(module, shape):
    report = archcalc.analyze(module, input=shape)
    macs, out = _torch(module, shape)
    assert report.totals["params"] == sum(p.numel() for p in module.parameters())
    assert report.totals["macs"] == macs
    assert list(report.layers[-1].out_shape.as_list()) == out
    return report


class ScaledStdConv(nn.Conv2d):
    """NFNet's ScaledStdConv2d as timm writes it: the weight standardised by F.batch_norm, times gain x scale."""

    def __init__(self, cin, cout, k, bias=True):
        super().__init__(cin, cout, k, padding=k // 2, bias=bias)
        self.gain = nn.Parameter(torch.ones(cout, 1, 1, 1))
        self.scale = (cin * k * k) ** -0.5

    def forward(self, x):
        weight = F.batch_norm(self.weight.reshape(1, self.out_channels, -1), None, None,
                              weight=(self.gain * self.scale).view(-1), training=True, momentum=0.,
                              eps=1e-6).reshape_as(self.weight)
        return F.conv2d(x, weight, self.bias, self.stride, self.padding, self.dilation, self.groups)


class StdConv(nn.Conv2d):
    """BiT's StdConv2d: the weight standardised, no gain."""

    def forward(self, x):
        weight = F.batch_norm(self.weight.reshape(1, self.out_channels, -1), None, None, training=True,
                              momentum=0., eps=1e-8).reshape_as(self.weight)
        return F.conv2d(x, weight, self.bias, self.stride, self.padding, self.dilation, self.groups)


class StdNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = ScaledStdConv(3, 8, 3)
        self.b = ScaledStdConv(8, 6, 1, bias=False)
        self.c = StdConv(6, 5, 3, bias=False)

    def forward(self, x):
        return self.c(self.b(torch.relu(self.a(x))))


def test_standardised_convs_written_out():
    """3x9x11: a: 8 x 3 x 3 x 3 weights, 8 gains, 8 biases, 8 x 27 x 99 MACs; b: 6 x 8 weights, 6 gains,
    6 x 8 x 99 MACs; c: 5 x 6 x 9 weights, no gain (its own weight only), 5 x 54 x 63 MACs (no padding)."""
    report = _matches(StdNet(), (3, 9, 11))
    assert report.totals["params"] == 8 * 27 + 8 + 8 + 6 * 8 + 6 + 5 * 54
    assert report.totals["macs"] == 8 * 27 * 99 + 6 * 8 * 99 + 5 * 54 * 7 * 9
    kinds = [(layer.kind, layer.params) for layer in report.layers]
    # one conv layer each, its weight standardised, holding its gains (ir.Conv.standardised, .gain)
    assert kinds == [("conv", 8 * 27 + 8 + 8), ("relu", 0), ("conv", 6 * 8 + 6), ("conv", 5 * 54)]


def test_standardised_conv_at_batch_two():
    module = StdNet()
    report = archcalc.analyze(module, input=(3, 9, 11), batch=2)
    assert report.totals["macs"] == _torch(module, (3, 9, 11), batch=2)[0]


class QkvBias(nn.Module):
    """BEiT's attention input: qkv = F.linear(x, W, cat(q_bias, k_bias buffer of zeros, v_bias))."""

    def __init__(self, dim=12):
        super().__init__()
        self.qkv = nn.Linear(dim, 3 * dim, bias=False)
        self.q_bias = nn.Parameter(torch.zeros(dim))
        self.register_buffer("k_bias", torch.zeros(dim), persistent=False)
        self.v_bias = nn.Parameter(torch.zeros(dim))

    def forward(self, x):
        x = x.flatten(2).transpose(1, 2)
        bias = torch.cat((self.q_bias, self.k_bias, self.v_bias))
        return F.linear(x, weight=self.qkv.weight, bias=bias)


class SwinV2Bias(QkvBias):
    """Swin-V2's: cat(q_bias, zeros_like(v_bias), v_bias)."""

    def forward(self, x):
        x = x.flatten(2).transpose(1, 2)
        bias = torch.cat((self.q_bias, torch.zeros_like(self.v_bias, requires_grad=False), self.v_bias))
        return F.linear(x, weight=self.qkv.weight, bias=bias)


@pytest.mark.parametrize("make", [QkvBias, SwinV2Bias])
def test_joined_qkv_bias(make):
    """12 channels x 20 tokens: 36 x 12 weights and 24 bias parameters (q and v; the 12 zeros of k are a
    buffer or a constant); 20 x 12 x 36 MACs."""
    report = _matches(make(), (12, 4, 5))
    assert report.totals["params"] == 36 * 12 + 24 and report.totals["macs"] == 20 * 12 * 36
    bias = next(layer for layer in report.layers if layer.kind == "bias")
    assert bias.params == 24


class RelPosMlpAttention(nn.Module):
    """timm's RelPosMlp in miniature: an MLP on a (2w-1, 2w-1, 2) coordinate buffer, gathered by an index
    buffer into a heads x w^2 x w^2 bias added to the attention scores."""

    def __init__(self, w=3, heads=2, hidden=16, dim=8):
        super().__init__()
        self.w, self.heads = w, heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.mlp = nn.Sequential(nn.Linear(2, hidden), nn.ReLU(), nn.Dropout(0.0), nn.Linear(hidden, heads))
        self.register_buffer("coords", torch.randn(2 * w - 1, 2 * w - 1, 2))
        self.register_buffer("index", torch.randint(0, (2 * w - 1) ** 2, (w ** 4,)))

    def bias(self):
        table = self.mlp(self.coords).view(-1, self.heads)[self.index]
        return table.view(self.w ** 2, self.w ** 2, self.heads).permute(2, 0, 1).unsqueeze(0).contiguous()

    def forward(self, x):
        x = x.flatten(2).transpose(1, 2)
        b, n, c = x.shape
        q, k, v = self.qkv(x).reshape(b, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4).unbind(0)
        attn = (q @ k.transpose(-2, -1)) + self.bias()
        return attn.softmax(dim=-1) @ v


class RelPosMlpSdpa(RelPosMlpAttention):
    """The same bias passed as scaled_dot_product_attention's float mask (CoAtNet-RMLP, MaxViT-RMLP)."""

    def forward(self, x):
        x = x.flatten(2).transpose(1, 2)
        b, n, c = x.shape
        q, k, v = self.qkv(x).reshape(b, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4).unbind(0)
        return F.scaled_dot_product_attention(q, k, v, attn_mask=self.bias())


MLP_MACS = 25 * 2 * 16 + 25 * 16 * 2  # 5 x 5 coordinates through Linear(2, 16) and Linear(16, 2)


@pytest.mark.parametrize("make", [RelPosMlpAttention, RelPosMlpSdpa])
def test_relative_position_mlp(make):
    """8 channels, 3 x 3 tokens, 2 heads of 4: qkv 9 x 8 x 24 MACs, q k^T and attn v 2 x 9 x 9 x 4 each; the
    MLP once: 25 x 2 x 16 + 25 x 16 x 2; its 82 parameters held by the bias layer, with the two buffers."""
    report = _matches(make(), (8, 3, 3))
    assert report.totals["macs"] == 9 * 8 * 24 + 2 * (2 * 9 * 9 * 4) + MLP_MACS
    bias = next(layer for layer in report.layers if layer.kind == "bias")
    assert bias.params == 2 * 16 + 16 + 16 * 2 + 2
    assert bias.buffers == 25 * 2 + 81
    assert any("once per forward" in note for note in report.notes)


def test_relative_position_mlp_does_not_scale_with_the_batch():
    """FlopCounterMode at batch 3 counts the MLP once; so does archcalc's total."""
    module = RelPosMlpAttention()
    report = archcalc.analyze(module, input=(8, 3, 3), batch=3)
    per_sample = 9 * 8 * 24 + 2 * (2 * 9 * 9 * 4)
    assert report.totals["macs"] == 3 * per_sample + MLP_MACS == _torch(module, (8, 3, 3), batch=3)[0]
    assert report.totals["flops"] == 2 * report.totals["macs"]


class LatentQuery(nn.Module):
    """A learned query expanded to the batch, then projected (timm's attention pool): a per-sample cost."""

    def __init__(self):
        super().__init__()
        self.latent = nn.Parameter(torch.zeros(1, 2, 8))
        self.q = nn.Linear(8, 8)

    def forward(self, x):
        x = x.flatten(2).transpose(1, 2)
        q = self.q(self.latent.expand(x.shape[0], -1, -1))
        return torch.cat([q, x], dim=1)


@pytest.mark.parametrize("batch", [1, 2])
def test_a_learned_query_runs_per_sample(batch):
    """2 learned tokens of 8, projected by Linear(8, 8) once per sample: 2 x 8 x 8 MACs a sample, 16 + 72
    parameters; the learned tokens a layer of their own, no MACs."""
    module = LatentQuery()
    report = archcalc.analyze(module, input=(8, 3, 3), batch=batch)
    assert report.totals["macs"] == batch * 2 * 8 * 8 == _torch(module, (8, 3, 3), batch=batch)[0]
    assert report.totals["params"] == 16 + 72 == sum(p.numel() for p in module.parameters())
    tokens = next(layer for layer in report.layers if layer.kind == "learned_tokens")
    assert (tokens.params, tokens.macs, tokens.out_shape.as_list()) == (16, 0, [2, 8])
    assert list(report.layers[-1].out_shape.as_list()) == [11, 8]


@pytest.mark.parametrize("make, shape", [(StdNet, (3, 9, 11)), (LatentQuery, (8, 3, 3))], ids=["std-conv", "query"])
def test_twins_verify(make, shape):
    """verify rebuilds each layer of the import (conv, gain, bias, learned_tokens) in torch and measures it.
    (Not a bias made of fewer elements than its shape, BEiT's: the bias twin holds one per element.)"""
    from archcalc.pytorch.verify import verify
    from archcalc.sources import resolve

    result = verify(resolve(make(), shape), batch=2)
    assert result.ok, [(c.layer, c.figure, c.analytic, c.measured) for c in result.failures()]


class GatheredBias(nn.Module):
    """EfficientFormer's and LeViT's attention_biases[:, idxs], with their per-device cache (which holds a
    value of the trace unless the importer drops it)."""

    def __init__(self, heads=2, n=4):
        super().__init__()
        self.heads, self.n = heads, n
        self.attention_biases = nn.Parameter(torch.zeros(heads, n))
        self.register_buffer("attention_bias_idxs", torch.randint(0, n, (n, n)))
        self.cache = {}
        self.qkv = nn.Linear(6, 18)

    def biases(self, device):
        key = str(device)
        if key not in self.cache:
            self.cache[key] = self.attention_biases[:, self.attention_bias_idxs]
        return self.cache[key]

    def forward(self, x):
        x = x.flatten(2).transpose(1, 2)
        b, n, c = x.shape
        q, k, v = self.qkv(x).reshape(b, n, self.heads, -1).permute(0, 2, 1, 3).split([3, 3, 3], dim=3)
        attn = q @ k.transpose(-2, -1) + self.biases(x.device)
        return attn.softmax(dim=-1) @ v


def test_gathered_bias_and_a_second_trace():
    """2 heads x 4 table entries gathered into 2 x 4 x 4: 8 parameters (not 32), the 16 indices a buffer;
    imported twice (the cache would otherwise hold the first trace's node)."""
    module = GatheredBias()
    for _ in range(2):
        report = _matches(module, (6, 2, 2))
        bias = next(layer for layer in report.layers if layer.kind == "bias")
        assert (bias.params, bias.buffers, bias.out_shape.as_list()) == (8, 16, [2, 4, 4])


class ComputedWeight(nn.Module):
    """A conv weight masked elementwise by another parameter (not one gain per output channel): refused."""

    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(4, 3, 3, 3))
        self.mask = nn.Parameter(torch.ones(4, 3, 3, 3))

    def forward(self, x):
        return F.conv2d(x, self.weight * self.mask)


def test_a_weight_made_otherwise_is_refused():
    module = ComputedWeight()
    assert module(torch.randn(1, 3, 8, 8)).shape == (1, 4, 6, 6)  # torch runs it
    with pytest.raises(ArchcalcError, match="other than one gain per output channel"):
        archcalc.analyze(module, input=(3, 8, 8))


@pytest.mark.parametrize("name", ["nf_regnet_b0", "resnetv2_50x1_bit", "coatnet_rmlp_nano_rw_224",
                                  "beit_base_patch16_224", "efficientformer_l1", "levit_conv_128s",
                                  "test_vit3", "vit_relpos_medium_patch16_cls_224"])
def test_timm_models(name):
    result = check(f"timm:{name}")
    assert result.status == "ok", (result.reasons, result.params, result.torch_params, result.macs,
                                   result.torch_macs, result.odd)
