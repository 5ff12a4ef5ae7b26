"""What a `saved` rule returns: the tensors one layer's backward formula keeps, and their byte sizes.

A saved rule says, from PyTorch's autograd formulas (tools/autograd/derivatives.yaml), which of the layer's
inputs and whether its output backward keeps, the extra tensors the op makes only for backward, whether the
output reuses an input's storage (in-place ops, views), and whether the layer has trainable parameters.
Parameters and buffers that backward keeps (a conv's weight) are not listed: they are in memory anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

INDEX_BYTES = 8  # int64 indices of max pooling
MASK_BYTES = 1  # dropout's mask is a bool tensor
STAT_BYTES = 4  # batch norm's saved mean and inverse std are float32


@dataclass(frozen=True)
class Extra:
    """A tensor an op makes only to keep for backward: elements of one sample, bytes per element
    (None: the activation dtype)."""

    what: str
    elements: object
    bytes_per_element: Optional[int] = None
    per_sample: bool = True  # False: one tensor for the whole batch (batch-norm statistics)
    # True: kept only at batch 1, False: only at batch 2 or more, None: always. torch.matmul folds the batch and
    # head axes of 4-D operands into one: a view of a permuted tensor at batch 1, a copy otherwise
    batch_one: Optional[bool] = None
    of_input: Optional[int] = None  # a copy of this input, kept (as the input itself would be) under Saved.cross


@dataclass(frozen=True)
class Saved:
    """What one layer keeps for backward, and whether its output reuses an input's storage."""

    inputs: tuple = ()  # indices of inputs whose tensors are saved
    output: bool = False  # the output tensor is saved
    extras: tuple = ()  # Extra tensors
    alias: Optional[int] = None  # index of the input whose storage the output is (in place, view)
    trainable: bool = False  # the layer has parameters that require grad
    # two inputs, each kept for the other's gradient (mul, matmul): input i (or an Extra of_input=i) is kept
    # only when the other input requires grad, as derivatives.yaml's formulas do
    cross: bool = False
    batch_one_inputs: tuple = ()  # inputs kept only at batch 1 (at batch 2 or more an Extra copy stands in)


def inplace_alias(a) -> Optional[int]:
    """0 (the output is the first input's storage) for an op run in place, else None."""
    return 0 if getattr(a, "inplace", False) else None
