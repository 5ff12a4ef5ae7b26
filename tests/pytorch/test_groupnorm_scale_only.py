"""F.group_norm with a weight and no bias (PoolFormer-v2's GroupNorm1NoBias): a group norm with a scale per
channel and no shift: C parameters, not 2C."""

from __future__ import annotations

import torch
import torch.nn.functional as F

import archcalc
from archcalc.pytorch.verify import verify


class ScaleOnlyNorm(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 6, 1)
        self.weight = torch.nn.Parameter(torch.ones(6))

    def forward(self, x):
        return F.group_norm(self.conv(x), 1, self.weight, None, 1e-5)


def test_a_scale_only_group_norm_counts_c_parameters():
    model = ScaleOnlyNorm()
    report = archcalc.analyze(model, input=(3, 5, 5))
    norm = next(s for s in report.layers if s.kind == "groupnorm")
    assert (norm.weights, norm.biases) == (6, 0)
    assert report.totals["params"] == sum(p.numel() for p in model.parameters()) == 3 * 6 + 6 + 6


def test_verify_rebuilds_it():
    result = verify(ScaleOnlyNorm(), input=(3, 5, 5))
    assert result.ok, [str(c) for c in result.failures()]
