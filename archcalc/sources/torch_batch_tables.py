"""Per-sample constant tables (EdgeNeXt's Fourier position encoding): a table a model builds from sizes alone
but with the batch axis, `~torch.zeros(B, H, W)`, then cumulative sums, sin and cos, and a 1 x 1 conv. torch
computes it, and the conv, once per sample (FlopCounterMode counts the conv B times), unlike the tables of
torch_constants, built once per forward. So its shape is read at a batch of 1 (first size 1), what is made
from it stays per sample, and a module run on it becomes a layer on a `batch_table` layer (per sample, on the
model's input for the batch), counted per sample as every layer is. Imported by torch_constants."""

from __future__ import annotations

from dataclasses import dataclass

from .torch_constants import Constant, _flat
from .torch_functions import function_key
from .torch_values import BATCH, Tensor, UnsupportedOp


@dataclass(frozen=True)
class SampleTable(Constant):
    """A table built from sizes alone but with the batch axis (EdgeNeXt: torch.zeros(B, H, W)): the same for every
    sample, and computed by torch once per sample. Its shape is read at a batch of 1 (first size 1); a module run
    on it (a conv) becomes a layer on a `batch_table` layer, per sample as in torch (torch_constants)."""


CREATE = ("torch.zeros", "torch.ones", "torch.full", "torch.empty")


def batch_sized(imp, args) -> bool:
    """torch.zeros((B, H, W)) and the like: a new table whose first size, and only that, is the batch."""
    values = list(_flat(args))
    return imp.node.op == "call_function" and function_key(imp.node.target) in CREATE and bool(values) and \
        values[0] is BATCH and not any(v is BATCH for v in values[1:])


def per_sample_tables(value):
    """The tables of a result made from a per-sample table (or by creating one), kept per sample."""
    if isinstance(value, Constant) and not isinstance(value, SampleTable):
        return SampleTable(value.shape)
    if isinstance(value, (list, tuple)):
        return type(value)(per_sample_tables(v) for v in value)
    return value


def table_layer(imp, x: SampleTable) -> Tensor:
    """A per-sample table met by a module: a `batch_table` layer on the model's input (for the batch), so that
    the module counts per sample, as torch runs it."""
    from ..core.ir import INPUT, BatchTable

    if len(x.shape) < 2 or x.shape[0] != 1:
        raise UnsupportedOp(f"a module on a per-sample table of shape {tuple(x.shape)}")
    return imp.add_layer("batch_table", BatchTable(tuple(int(d) for d in x.shape[1:])), [Tensor(INPUT, imp.x)])


