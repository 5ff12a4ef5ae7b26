"""A table built from sizes alone but with the batch axis (sources/torch_batch_tables.py, core/rules/
batch_table.py): EdgeNeXt's Fourier position encoding, `~torch.zeros(B, H, W)` run through cumulative sums,
sin, cos and a 1 x 1 conv. torch runs the conv once per sample, so archcalc counts it per sample, on a
`batch_table` layer; held against FlopCounterMode at a batch of 1 and of 3, and sum(p.numel())."""

import math

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

import archcalc
from archcalc.errors import ArchcalcError
from archcalc.pytorch.coverage import check


class Fourier(nn.Module):
    """timm's PositionalEncodingFourier (EdgeNeXt), added to a conv's map."""

    def __init__(self, hidden=4, dim=8):
        super().__init__()
        self.stem = nn.Conv2d(3, dim, 1)
        self.token_projection = nn.Conv2d(hidden * 2, dim, kernel_size=1)
        self.hidden = hidden

    def forward(self, x):
        x = self.stem(x)
        b, _, h, w = x.shape
        mask = ~torch.zeros((b, h, w)).to(device=x.device, dtype=torch.bool)
        y_embed = mask.cumsum(1, dtype=torch.float32)
        x_embed = mask.cumsum(2, dtype=torch.float32)
        y_embed = y_embed / (y_embed[:, -1:, :] + 1e-6) * 2 * math.pi
        x_embed = x_embed / (x_embed[:, :, -1:] + 1e-6) * 2 * math.pi
        dim_t = torch.arange(self.hidden, dtype=torch.int64, device=x.device).to(torch.float32)
        dim_t = 10000.0 ** (2 * torch.div(dim_t, 2, rounding_mode="floor") / self.hidden)
        pos_x = x_embed[:, :, :, None] / dim_t
        pos_y = y_embed[:, :, :, None] / dim_t
        pos_x = torch.stack((pos_x[:, :, :, 0::2].sin(), pos_x[:, :, :, 1::2].cos()), dim=4).flatten(3)
        pos_y = torch.stack((pos_y[:, :, :, 0::2].sin(), pos_y[:, :, :, 1::2].cos()), dim=4).flatten(3)
        pos = torch.cat((pos_y, pos_x), dim=3).permute(0, 3, 1, 2)
        return x + self.token_projection(pos)


def _torch_macs(module, shape, batch):
    with FlopCounterMode(display=False) as counter:
        module(torch.randn(batch, *shape))
    return counter.get_total_flops() // 2


def test_a_conv_on_a_per_sample_table_counts_per_sample():
    m = Fourier()
    report = archcalc.analyze(m, input=(3, 6, 5))
    layers = {layer.name: layer for layer in report.layers}
    assert report.totals["params"] == sum(p.numel() for p in m.parameters())
    # stem 1x1: 6*5 positions x 8 x 3; projection 1x1 on the 8 x 6 x 5 table: 30 x 8 x 8, once per sample
    assert layers["token_projection"].macs == 30 * 8 * 8
    assert report.totals["macs"] == 30 * 8 * 3 + 30 * 8 * 8 == _torch_macs(m, (3, 6, 5), 1)
    assert 3 * report.totals["macs"] == _torch_macs(m, (3, 6, 5), 3)  # torch runs it for every sample
    table = next(layer for layer in report.layers if layer.kind == "batch_table")
    assert table.out_shape.as_list() == [8, 6, 5] and (table.params, table.macs) == (0, 0)
    assert table.activation_elems == 8 * 6 * 5


def test_a_table_sized_by_the_batch_elsewhere_stays_refused():
    class Across(nn.Module):
        def forward(self, x):
            b = x.shape[0]
            return x + torch.zeros(3, b)  # the batch as a later size: not one table per sample

    with pytest.raises(ArchcalcError, match="sized by the batch"):
        archcalc.analyze(Across(), input=(3, 3))


def test_timm_edgenext_imports_exactly():
    result = check("timm:edgenext_xx_small")
    assert result.status == "ok", result.reasons
    assert (result.params, result.macs) == (result.torch_params, result.torch_macs)


def test_twin_gives_a_table_per_sample():
    from archcalc.core.ir import BatchTable
    from archcalc.pytorch.makers import maker_of

    x = torch.randn(3, 4, 2, 2)
    assert list(maker_of("batch_table")(BatchTable((8, 6, 5)), [x], ())(x).shape) == [3, 8, 6, 5]


def test_twin_verifies(tmp_path):
    from archcalc.pytorch.verify import verify

    spec = tmp_path / "table.yaml"
    spec.write_text("name: table\ninput: [3, 6, 5]\nlayers:\n  - {kind: batch_table, shape: [8, 6, 5]}\n"
                    "  - {kind: conv, out_channels: 4, kernel: 1}\n")
    result = verify(str(spec), batch=2)
    assert result.ok, [(c.layer, c.figure, c.analytic, c.measured) for c in result.failures()]
