"""Rules for `batch_table`: a table a model builds each forward from sizes alone but with the batch axis
(EdgeNeXt: `~torch.zeros(B, H, W)`, cumulative sums, sin and cos, a 1 x 1 conv), so torch computes the table,
and every layer on it, once per sample. Its input gives the batch only.

Parameters, MACs: none (the table's arithmetic is sizes, sin and cos: FlopCounterMode counts none, and, as for
the constant tables of torch_constants, archcalc counts no other ops for building it). Activation: its
elements (torch materialises one per sample). Receptive field: the input's (it holds no pixel; where it meets
the image's features, their field is the one that counts).
"""

from __future__ import annotations

from ..ir import BatchTable
from ..shape import Shape
from . import NO_PARAMS, ShapeOut, flags, rule
from .passthrough import no_macs, no_ops, same_rf
from .saved import Saved

flags("batch_table", weighted=False, moves_bytes=True, any_layout=True)
rule("batch_table", "params")(lambda a, ins: NO_PARAMS)
rule("batch_table", "macs")(no_macs)
rule("batch_table", "other_ops")(no_ops)
rule("batch_table", "rf")(same_rf)


@rule("batch_table", "shape")
def batch_table_shape(a: BatchTable, ins):
    """Output: the table's per-sample shape, channels first, whatever the input (which gives the batch)."""
    out = Shape(a.shape[0], a.shape[1:])
    return ShapeOut(out, f"a table of {out} per sample, built from sizes")


@rule("batch_table", "activation")
def batch_table_activation(a, ins, out):
    """Elements: a new tensor per sample."""
    return out.elements


@rule("batch_table", "saved")
def batch_table_saved(a, ins, out, device):
    """Nothing: no gradient flows into a table of sizes."""
    return Saved()
