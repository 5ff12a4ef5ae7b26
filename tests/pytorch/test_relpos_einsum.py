"""SAM's and MViT-v2's decomposed relative positions, in small: q, k, v split by a reshape of the permuted
qkv (heads folded into the batch), the queries contracted with a table gathered from a learned one by
torch.einsum, the result given unit axes by None-indexing and added to the scores. Figures against torch."""

from __future__ import annotations

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

import archcalc
from archcalc.pytorch.verify import verify


class RelPosAttention(torch.nn.Module):
    def __init__(self, dim: int = 8, heads: int = 2, side: int = 4, gathered: bool = True):
        super().__init__()
        self.heads, self.side, self.gathered = heads, side, gathered
        self.qkv = torch.nn.Linear(dim, 3 * dim)
        table = (2 * side - 1, dim // heads) if gathered else (side, side, dim // heads)
        self.rel_pos_h = torch.nn.Parameter(torch.zeros(*table))

    def forward(self, x):  # x: dim x side x side, read as side*side tokens
        B, C = x.shape[:2]
        x = x.flatten(2).transpose(1, 2)
        N, d = x.shape[1], C // self.heads
        qkv = self.qkv(x).reshape(B, N, 3, self.heads, -1).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.reshape(3, B * self.heads, N, -1).unbind(0)
        coords = torch.arange(self.side)[:, None] - torch.arange(self.side)[None, :] + (self.side - 1)
        rel = self.rel_pos_h[coords.long()] if self.gathered else self.rel_pos_h  # side x side x d
        r_q = q.reshape(B * self.heads, self.side, self.side, d)
        rel_h = torch.einsum("bhwc,hkc->bhwk", r_q, rel)  # (B heads) x side x side x side
        attn = (q @ k.transpose(-2, -1)).view(B * self.heads, self.side, self.side, self.side, self.side)
        attn = (attn + rel_h[:, :, :, :, None]).view(B * self.heads, N, N)
        return (attn.softmax(dim=-1) @ v).view(B, self.heads, N, d).transpose(1, 2).reshape(B, N, C)


def measured(model, shape):
    with FlopCounterMode(display=False) as counter:
        out = model(torch.randn(1, *shape))
    return counter.get_total_flops() // 2, list(out.shape[1:])


def test_the_decomposed_relative_positions_match_torch():
    model = RelPosAttention()
    report = archcalc.analyze(model, input=(8, 4, 4))
    macs, out = measured(model, (8, 4, 4))
    assert report.totals["params"] == sum(p.numel() for p in model.parameters()) == 8 * 24 + 24 + 7 * 4
    # qkv 16*8*24, q k^T and a v 2 heads * 16*16*4 each, the einsum 2 heads * 4 rows * (4 x 4 @ 4 x 4)
    assert report.totals["macs"] == macs == 16 * 8 * 24 + 2 * (2 * 16 * 16 * 4) + 2 * 4 * 4 * 4 * 4
    assert list(report.layers[-1].out_shape.dims) == out == [16, 8]
    (product,) = [s for s in report.layers if s.kind == "param_matmul"]
    assert product.params == 7 * 4  # the learned table, not the 4 x 4 x 4 gathered from it


def test_an_einsum_summing_a_letter_of_one_operand_is_refused():
    class SumsAlone(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.p = torch.nn.Parameter(torch.zeros(3, 5))

        def forward(self, x):  # x: 4 x 3; the output drops x's own letter i
            return torch.einsum("bic,cj->bj", x.transpose(1, 2), self.p)

    with pytest.raises(Exception, match="einsum 'bic,cj->bj'"):
        archcalc.analyze(SumsAlone(), input=(3, 4))


def test_verify_rebuilds_the_learned_product():
    # the learned operand used as it is: the gather from a table runs outside any layer (its index and the
    # table copy torch keeps are not modelled), so the module's saved bytes are compared on this form; at
    # batch 1 (at 2, the heads folded into the batch make matmul's rule count copies torch does not make)
    result = verify(RelPosAttention(gathered=False), input=(8, 4, 4))
    assert result.ok, [str(c) for c in result.failures()]
