"""Torch twin of the per-sample table kind: a table of the layer's shape for every sample of the input's batch
(zeros: archcalc knows the table by its shape only; its figures do not depend on its values)."""

from __future__ import annotations

import torch
from torch import nn

from . import makes


class BatchTable(nn.Module):
    def __init__(self, shape: tuple):
        super().__init__()
        self.shape = tuple(shape)

    def forward(self, x):
        return torch.zeros(x.shape[0], *self.shape, dtype=x.dtype, device=x.device)


@makes("batch_table")
def make_batch_table(a, xs):
    return BatchTable(a.shape)
