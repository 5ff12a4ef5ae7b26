"""A position embedding resampled to the input's grid before it is added (NaFlexViT's learned 16x16 grid
read at 24x24): it holds its own elements, not the grid it is resampled to."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

import archcalc


class Resampled(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = torch.nn.Conv2d(3, 8, 4, stride=4)
        self.pos_embed = torch.nn.Parameter(torch.zeros(1, 4, 4, 8))

    def forward(self, x):
        x = self.proj(x)  # 8 x 6 x 6 at 24 x 24
        pos = F.interpolate(self.pos_embed.permute(0, 3, 1, 2), size=(6, 6), mode="bilinear")
        return x.flatten(2).transpose(1, 2) + pos.flatten(2).transpose(1, 2)


def test_the_embedding_counts_its_own_elements():
    model = Resampled().eval()
    report = archcalc.analyze(model, input=(3, 24, 24))
    assert report.totals["params"] == sum(p.numel() for p in model.parameters()) == 3 * 16 * 8 + 8 + 4 * 4 * 8
    with FlopCounterMode(display=False) as counter:
        out = model(torch.randn(1, 3, 24, 24))
    assert report.totals["macs"] == counter.get_total_flops() // 2 == 36 * 8 * 48
    assert list(report.layers[-1].out_shape.dims) == list(out.shape[1:]) == [36, 8]
