"""Counting conventions, in one place (the README states them too).

- MACs: one multiply-accumulate of a conv, transposed conv, linear layer or matrix product (matmul, bmm,
  attention's q k^T and a v) counts 1. The headline total is theirs (the convention of fvcore, of
  torchvision's published "GFLOPS" and of the lecture's "854M ops"); it equals FlopCounterMode's total / 2.
- FLOPs = 2 x MACs (a multiply and an add), the convention of torch's FlopCounterMode.
- Other ops: everything else (bias adds, normalisation, activations, pooling, residual adds), counted apart
  so that totals reconcile with any peer. Costs of transcendental functions are approximations.
- Parameters: trainable weights and biases apart; buffers (BatchNorm running statistics) apart from both.
- Memory: bytes by dtype; MB = 10^6 bytes, MiB = 2^20 bytes, never a bare "M".
- Activation memory: each layer's output tensor counted once; views and in-place ops add nothing; the
  input is counted apart.
- Depth: layers with learnable weights (conv, linear; attention counts once) on the longest path from input to output; the kinds
  that count are those registered `weighted` in core/rules/.
"""

from __future__ import annotations

from .errors import InputError

FLOPS_PER_MAC = 2
MB = 10**6
MiB = 2**20

DTYPE_BYTES = {"float32": 4, "float16": 2, "bfloat16": 2, "float64": 8}


def dtype_bytes(dtype: str) -> int:
    """Bytes per element of a floating dtype name."""
    try:
        return DTYPE_BYTES[dtype]
    except KeyError:
        raise InputError(f"dtype '{dtype}' is not one of {', '.join(DTYPE_BYTES)}") from None
