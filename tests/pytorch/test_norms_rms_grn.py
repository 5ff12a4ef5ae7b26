"""RMS norm, x.norm(p, dim) and ConvNeXt-V2's global response norm: the kinds' twins checked by verify
(shape, parameters, MACs, activation and saved bytes measured in torch), and the importer's reading of
F.rms_norm, nn.RMSNorm, x.norm, torch.addcmul and x / y against the module's own parameters and
FlopCounterMode."""

import pytest
import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.flop_counter import FlopCounterMode

import archcalc
from archcalc import Net
from archcalc.pytorch.verify import verify


def rms_tokens():
    net = Net("rms-tokens", input=(3, 8, 8))
    x = net.conv(net.input, 16, 2, stride=2)
    x = net.flatten(x, start_dim=2)
    x = net.transpose(x, 1, 2)  # 16 tokens x 16 channels
    x = net.rmsnorm(x, eps=1e-6)
    x = net.linear(x, 12)
    x = net.rmsnorm(x, affine=False)
    return net


def rms_spatial_and_norm():
    net = Net("rms-norm", input=(3, 6, 10))
    x = net.conv(net.input, 8, 3, padding=1)
    x = net.rmsnorm(x, axes=2)  # over H, W
    n = net.reduce_norm(x, dim=[2, 3], keepdim=True)  # an L2 norm per channel
    x = net.mul([x, n])
    x = net.reduce_norm(x, dim=1, p=1.0)  # an L1 norm over the channels
    return net


@pytest.mark.parametrize("batch", [1, 2])
@pytest.mark.parametrize("make", [rms_tokens, rms_spatial_and_norm], ids=lambda f: f.__name__)
def test_verify(make, batch):
    result = verify(make().graph(), batch=batch)
    assert result.ok, [(c.layer, c.figure, c.analytic, c.measured) for c in result.failures()]
    kinds = {s["kind"] for s in result.layers}
    assert kinds & {"rmsnorm", "reduce_norm"}


def test_rmsnorm_figures_written_out():
    """16 tokens x 16 channels: 16 weights; other ops 4 per element (square, add, multiply, weight) and 3 per
    token (divide, add eps, inverse root)."""
    report = archcalc.analyze(rms_tokens().graph())
    first = next(layer for layer in report.layers if layer.kind == "rmsnorm")
    assert first.params == 16
    assert first.other_ops == 16 * 16 * 4 + 16 * 3
    second = [layer for layer in report.layers if layer.kind == "rmsnorm"][1]
    assert second.params == 0 and second.other_ops == 16 * 12 * 3 + 16 * 3


class RmsBlock(nn.Module):
    """F.rms_norm with a weight (AIMv2's and timm's RmsNorm), then nn.RMSNorm, around a linear."""

    def __init__(self):
        super().__init__()
        self.patch = nn.Conv2d(3, 24, 2, stride=2)
        self.weight = nn.Parameter(torch.ones(24))
        self.fc = nn.Linear(24, 40)
        self.norm = nn.RMSNorm(40, eps=1e-5)

    def forward(self, x):
        x = self.patch(x).flatten(2).transpose(1, 2)
        x = F.rms_norm(x, (24,), self.weight, 1e-6)
        return self.norm(self.fc(x))


class GRN(nn.Module):
    """timm's GlobalResponseNorm on a channels-last map, as ConvNeXt-V2 writes it."""

    def __init__(self, dim):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(dim))
        self.bias = nn.Parameter(torch.zeros(dim))

    def forward(self, x):
        x_g = x.norm(p=2, dim=(1, 2), keepdim=True)
        x_n = x_g / (x_g.mean(dim=-1, keepdim=True) + 1e-6)
        return x + torch.addcmul(self.bias.view(1, 1, 1, -1), self.weight.view(1, 1, 1, -1), x * x_n)


class GrnBlock(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.grn = GRN(8)
        self.fc = nn.Linear(8, 5)

    def forward(self, x):
        x = self.conv(x).permute(0, 2, 3, 1)
        return self.fc(self.grn(x))


def _torch(module, shape):
    with FlopCounterMode(display=False) as counter:
        out = module(torch.randn(1, *shape))
    return counter.get_total_flops() // 2, list(out.shape[1:])


@pytest.mark.parametrize("make, shape", [(RmsBlock, (3, 8, 10)), (GrnBlock, (3, 9, 11))])
def test_import_matches_torch(make, shape):
    module = make()
    report = archcalc.analyze(module, input=shape)
    macs, out = _torch(module, shape)
    assert report.totals["params"] == sum(p.numel() for p in module.parameters())
    assert report.totals["macs"] == macs
    assert list(report.layers[-1].out_shape.as_list()) == out


def test_grn_is_a_norm_a_gain_and_a_bias():
    """x.norm over H, W gives 1x1x8; the division is a reciprocal of 1x1x1 and a product; addcmul is the
    weight's per-channel scale and the bias's add, their 16 parameters counted there."""
    report = archcalc.analyze(GrnBlock(), input=(3, 9, 11))
    kinds = [layer.kind for layer in report.layers]
    assert "reduce_norm" in kinds
    norm = next(layer for layer in report.layers if layer.kind == "reduce_norm")
    assert norm.out_shape.as_list() == [1, 1, 8]
    assert norm.other_ops == 2 * 9 * 11 * 8 + 8
    grn = [layer for layer in report.layers if layer.name.startswith("grn")]
    assert sum(layer.params for layer in grn) == 16


def test_timm_convnextv2_at_both_sizes():
    from archcalc.pytorch.coverage import check

    result = check("timm:convnextv2_atto")
    assert result.status == "ok", result
    assert result.odd == "ok at 3x199x199"
