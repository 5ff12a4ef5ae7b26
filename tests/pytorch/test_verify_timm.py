"""verify on imported PyTorch modules (issue 13): the fixes found by running `archcalc verify timm:NAME`.

Each test builds a small module the way a timm family writes it and checks archcalc's figures against the
module itself (verify's "module" rows: saved_tensors_hooks, FlopCounterMode, sum(p.numel())) and against the
arithmetic written out.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from archcalc.pytorch.verify import verify
from archcalc.sources.torchvision_import import import_torchvision

import_torchvision()  # timm imports torchvision (the CPU-torch workaround first)
from timm.layers import ScaledStdConv2d, StdConv2d  # noqa: E402
from timm.models.mlp_mixer import Affine  # noqa: E402


def _totals(result, model: str) -> dict:
    return {c.figure: c for c in result.checks if c.layer == "(total)" and c.model == model}


SAVED = "saved for backward bytes (saved_tensors_hooks)"


class NFStem(nn.Module):
    """NFNet's and BiT's weight-standardised convolutions (timm.layers.std_conv)."""

    def __init__(self):
        super().__init__()
        self.a = ScaledStdConv2d(3, 8, 3, padding=1)
        self.b = StdConv2d(8, 16, 3, stride=2, bias=False)

    def forward(self, x):
        return self.b(torch.relu(self.a(x)))


def test_standardised_convs_are_one_layer_each_and_save_what_torch_saves():
    result = verify(NFStem(), (3, 16, 16), batch=2, use_fvcore=False)
    assert result.ok, [(c.layer, c.figure, c.analytic, c.measured, c.model) for c in result.failures()]
    # ScaledStdConv2d: weight 8*3*9 + gain 8 + bias 8; StdConv2d: weight 16*8*9
    assert _totals(result, "module")["params"].analytic == 8 * 27 + 8 + 8 + 16 * 72
    # saved, batch 2, float32: a's input 2*3*16*16, its standardised weight 216, mean, inverse std and
    # gain*scale 8 each; the ReLU's output 2*8*16*16 (kept by the ReLU and b); b's standardised weight 1152,
    # mean and inverse std 16 each
    expected = 4 * (2 * 3 * 256 + 216 + 3 * 8 + 2 * 8 * 256 + 1152 + 2 * 16)
    assert _totals(result, "module")[SAVED].measured == expected
    assert _totals(result, "module")[SAVED].analytic == expected
    kinds = [row["kind"] for row in result.layers]
    assert kinds == ["conv", "relu", "conv"]


class RelPosAttention(nn.Module):
    """Attention with a learned bias as SDPA's float mask (BEiT's, ViT-RelPos's): torch runs the math kernel
    on the CPU, which scales q and k^T by sqrt(scale) into new tensors and keeps those."""

    def __init__(self, tokens=16, dim=8, heads=2):
        super().__init__()
        self.heads = heads
        self.embed = nn.Conv2d(3, dim, 1)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.bias = nn.Parameter(torch.zeros(heads, tokens, tokens))
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        x = self.embed(x).flatten(2).transpose(1, 2)  # patch tokens, as ViT's PatchEmbed
        b, t, c = x.shape
        q, k, v = self.qkv(x).reshape(b, t, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4).unbind(0)
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=self.bias)
        return self.proj(y.transpose(1, 2).reshape(b, t, c))


def test_masked_sdpa_keeps_the_scaled_q_and_k():
    result = verify(RelPosAttention(), (3, 4, 4), use_fvcore=False)
    assert result.ok, [(c.layer, c.figure, c.analytic, c.measured, c.model) for c in result.failures()]
    # float32, batch 1, 16 tokens of 8: the conv's input 3*16, qkv's input 16*8 (the conv's output), qkv
    # 16*24 (v a view of it), q and k^T scaled 16*8 each, the softmax 2*16*16, proj's input 16*8 (a copy)
    assert _totals(result, "module")[SAVED].measured == 4 * (48 + 128 + 384 + 2 * 128 + 512 + 128)
    assert _totals(result, "module")[SAVED].analytic == _totals(result, "module")[SAVED].measured


class AffineMixer(nn.Module):
    """ResMLP's Affine (addcmul(beta, alpha, x)): one leaf module that archcalc maps as two layers."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Conv2d(3, 8, 1)
        self.norm = Affine(8)
        self.fc = nn.Linear(8, 8)

    def forward(self, x):
        return self.fc(self.norm(self.embed(x).flatten(2).transpose(1, 2)))


def test_a_leaf_module_mapped_as_two_layers_is_checked_against_both():
    result = verify(AffineMixer(), (3, 2, 2), use_fvcore=False)
    assert result.ok, [(c.layer, c.figure, c.analytic, c.measured, c.model) for c in result.failures()]
    norm = next(c for c in result.checks if c.layer == "norm" and c.figure == "params" and c.model == "module")
    assert norm.analytic == norm.measured == 16  # alpha 8 + beta 8


class TokenFirst(nn.Module):
    """A module called on a view of a parameter (CaiT's, PiT's class token): torch's FlopCounterMode fails
    under no_grad there; verify counts with autograd on (meta: it costs nothing)."""

    def __init__(self):
        super().__init__()
        self.cls_token = nn.Parameter(torch.zeros(1, 1, 8))
        self.fc = nn.Linear(8, 8)

    def forward(self, x):
        return self.fc(self.cls_token.expand(x.shape[0], -1, -1)) + x.mean(1, keepdim=True)


def test_flop_counter_on_a_module_called_on_a_parameter_view():
    from archcalc.pytorch.counters import flop_counter_flops

    assert flop_counter_flops(TokenFirst().to("meta"), (4, 8)) == 2 * 8 * 8


def test_layer_norm_writes_a_row_major_tensor():
    # timm's MaxViT: LayerNorm on a permuted (channels-last view) tensor; torch's output is row-major, so a
    # later permute of size-1 axes and .contiguous() copies nothing
    class WindowLast(nn.Module):
        def __init__(self):
            super().__init__()
            self.norm = nn.LayerNorm(8)

        def forward(self, x):
            y = self.norm(x.permute(0, 2, 3, 1))  # B, 7, 7, C
            return y.view(x.shape[0], 1, 7, 1, 7, 8).permute(0, 1, 3, 2, 4, 5).contiguous()

    result = verify(WindowLast(), (8, 7, 7), use_fvcore=False)
    assert result.ok, [(c.layer, c.figure, c.analytic, c.measured, c.model) for c in result.failures()]
    row = next(r for r in result.layers if r["kind"] == "contiguous")
    assert row["activation_bytes"] == row["measured_activation_bytes"] == 0


class RelPosMlpAttention(RelPosAttention):
    """ViT-RelPos's and CoAtNet-RMLP's relative position MLP (timm's RelPosMlp on a 4x4 window), its bias the
    float mask of SDPA: the MLP runs once per forward on a coordinate buffer, and backward keeps some of its
    tensors, in no layer."""

    def __init__(self, mode: str):
        super().__init__()
        from timm.layers import RelPosMlp

        del self.bias
        self.rel_pos = RelPosMlp((4, 4), num_heads=2, hidden_dim=16, mode=mode)

    def forward(self, x):
        x = self.embed(x).flatten(2).transpose(1, 2)
        b, t, c = x.shape
        q, k, v = self.qkv(x).reshape(b, t, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4).unbind(0)
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=self.rel_pos.get_bias())
        return self.proj(y.transpose(1, 2).reshape(b, t, c))


def test_what_a_relative_position_mlp_keeps_is_counted_once_per_forward():
    from archcalc.analyses.backward_memory import PARAM_SAVED, training_memory

    for mode, sigmoid in (("cr", 0), ("swin", 2 * 16 * 16)):
        module = RelPosMlpAttention(mode)
        result = verify(module, (3, 4, 4), batch=2, use_fvcore=False)
        assert result.ok, [(c.layer, c.figure, c.analytic, c.measured, c.model) for c in result.failures()]
        # 7 x 7 relative coordinates, 16 hidden: the ReLU's output, the dropout's noise and its output (fc2's
        # input); 'swin' mode also a sigmoid of the gathered 2 x 16 x 16 bias (it keeps its result); float32,
        # once at batch 2 as at batch 1
        once = training_memory(module, (3, 4, 4), batch=2).storages[PARAM_SAVED]
        assert once == 4 * (3 * 49 * 16 + sigmoid)


class ConcatThenAggregate(nn.Module):
    """HGNetV2's block: a torch.cat in the block's own forward (a layer named after the block), then the
    aggregation conv, the block's output: the block's output shape is the conv's, not the concat's."""

    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(3, 4, 3, padding=1)
        self.b = nn.Conv2d(4, 4, 3, padding=1)
        self.aggregation = nn.Conv2d(8, 6, 1)

    def forward(self, x):
        y = self.a(x)
        return self.aggregation(torch.cat([y, self.b(y)], 1))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = ConcatThenAggregate()

    def forward(self, x):
        return self.block(x)


def test_a_layer_named_after_its_module_is_no_module_output_when_layers_follow():
    result = verify(Net(), (3, 6, 6), use_fvcore=False)
    assert result.ok, [(c.layer, c.figure, c.analytic, c.measured, c.model) for c in result.failures()]
    names = [row["layer"] for row in result.layers]
    assert "block" in names and names.index("block") < names.index("block.aggregation")
    assert not any(c.layer == "block" and c.figure == "output shape" and c.model == "module" for c in result.checks)
    agg = next(c for c in result.checks if c.layer == "block.aggregation" and c.figure == "output shape"
               and c.model == "module")
    assert agg.analytic == agg.measured == [6, 6, 6]


class SplitNorm(nn.Module):
    """SHViT's single-head mixer: GroupNorm(1, p) on the first p channels of a split (a view)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 1)
        self.pre_norm = nn.GroupNorm(1, 2)
        self.proj = nn.Conv2d(8, 8, 1)

    def forward(self, x):
        x1, x2 = torch.split(self.conv(x), [2, 6], dim=1)
        return self.proj(torch.cat([self.pre_norm(x1), x2], 1))


def test_group_norm_of_a_channel_split_keeps_a_copy_past_batch_one():
    for batch in (1, 2):
        result = verify(SplitNorm(), (3, 4, 4), batch=batch, use_fvcore=False)
        assert result.ok, [(c.layer, c.figure, c.analytic, c.measured, c.model) for c in result.failures()]
        # float32: the conv's input 3*16, the group norm's (at batch 1 the conv's output 8*16 itself, a part
        # of it being one block; at batch 2 a copy of its 2*16 channels), its mean and inverse std (1 each),
        # the cat (proj's input) 8*16, per sample
        kept = 8 * 16 if batch == 1 else 2 * 16
        assert _totals(result, "module")[SAVED].measured == 4 * batch * (48 + kept + 2 + 128)
