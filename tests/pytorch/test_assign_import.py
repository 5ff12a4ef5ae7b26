"""A write into part of a tensor (`x[:, :, 1:, 1:] = ...`, MViT-v2's relative-position terms): an `assign`
layer, and every later use of the tensor reads the written one. Figures against torch's own."""

from __future__ import annotations

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

import archcalc
from archcalc.pytorch.verify import verify


class WritesIntoPart(torch.nn.Module):
    """Scores of 1 + 16 tokens; the 16 x 16 part past the class token gets a learned term added in place."""

    def __init__(self):
        super().__init__()
        self.qk = torch.nn.Linear(8, 16)
        self.rel = torch.nn.Linear(8, 8)
        self.out = torch.nn.Linear(17, 5)

    def forward(self, x):  # x: 8 channels x 17 positions, read as 17 tokens x 8
        x = x.transpose(1, 2)
        q, k = self.qk(x).chunk(2, dim=-1)
        attn = q @ k.transpose(-2, -1)  # 17 x 17
        attn[:, 1:, 1:] = attn[:, 1:, 1:] + self.rel(x[:, 1:]) @ k[:, 1:].transpose(-2, -1)
        return self.out(attn.softmax(dim=-1))


def measured(model, shape):
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        out = model(torch.randn(1, *shape))
    return counter.get_total_flops() // 2, list(out.shape[1:])


def test_the_write_is_one_layer_and_the_figures_are_torchs():
    model = WritesIntoPart().eval()
    report = archcalc.analyze(model, input=(8, 17))
    macs, out = measured(model, (8, 17))
    assert report.totals["params"] == sum(p.numel() for p in model.parameters()) == (8 * 16 + 16) + (8 * 8 + 8) + 17 * 5 + 5
    # qk 17*8*16, q k^T 17*17*8, rel 16*8*8, rel @ k^T 16*16*8, out 17*17*5
    assert report.totals["macs"] == macs == 17 * 8 * 16 + 17 * 17 * 8 + 16 * 8 * 8 + 16 * 16 * 8 + 17 * 17 * 5
    assert list(report.layers[-1].out_shape.dims) == out
    (write,) = [s for s in report.layers if s.kind == "assign"]
    assert list(write.out_shape.dims) == [17, 17] and write.activation_elems == 0
    softmax = next(s for s in report.layers if s.kind == "softmax")
    assert softmax.inputs == (write.name,)  # the later use reads the written tensor


def test_a_symbolic_input_is_refused_for_it():
    with pytest.raises(Exception, match="numeric"):
        archcalc.analyze(WritesIntoPart(), input="8xL")


def test_verify_rebuilds_the_write():
    result = verify(WritesIntoPart(), input=(8, 17))
    assert result.ok, [str(c) for c in result.failures()]
