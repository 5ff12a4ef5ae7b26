"""The twin of a bias gathered from a smaller table (MaxViT's, Swin's relative position bias): it holds the
table and the index as the model does, so verify compares like with like."""

from __future__ import annotations

import torch

from archcalc.core.ir_tensors import Bias, Gain
from archcalc.pytorch.makers import maker_of


def test_a_gathered_bias_twin_holds_the_table_and_the_index():
    heads, n, table_rows = 4, 49, 13 * 13  # a 7x7 window: (2*7-1)^2 relative offsets per head
    attrs = Bias(shape=(heads, n, n), params=table_rows * heads, buffers=n * n)
    twin = maker_of("bias")(attrs, [torch.zeros(1, heads, n, n)], ())
    assert sum(p.numel() for p in twin.parameters()) == 13 * 13 * 4
    assert sum(b.numel() for b in twin.buffers()) == 49 * 49
    assert twin(torch.ones(2, heads, n, n)).shape == (2, heads, n, n)


def test_a_plain_gain_twin_is_its_own_tensor():
    twin = maker_of("gain")(Gain(shape=(8, 1, 1)), [torch.zeros(1, 8, 5, 5)], ())
    assert sum(p.numel() for p in twin.parameters()) == 8 and not list(twin.buffers())
    assert torch.equal(twin(torch.full((1, 8, 5, 5), 3.0)), torch.full((1, 8, 5, 5), 3.0))  # a gain of ones


def test_a_bias_whose_parameter_another_layer_counts_holds_none():
    twin = maker_of("bias")(Bias(shape=(1, 16), params=0), [torch.zeros(1, 5, 16)], ())
    assert sum(p.numel() for p in twin.parameters()) == 0 and not list(twin.buffers())
    assert twin(torch.ones(1, 5, 16)).shape == (1, 5, 16)
