"""Rules for `param_matmul`: x @ P, a learned P of shape (..., k, m) broadcast against x (..., n, k) as
torch.matmul does. MACs n x k x m for each leading index of the output, as FlopCounterMode counts the bmm;
its parameters are the elements P is made from; backward keeps x (for P's gradient)."""

from __future__ import annotations

from ...errors import ShapeError
from ..ir import ParamMatmul
from ..shape import Shape, fmt_dim, product
from . import Params, ShapeOut, flags, rule
from .matmul import _leading
from .saved import Extra, Saved

flags("param_matmul", weighted=False, moves_bytes=True, any_layout=True)


@rule("param_matmul", "shape")
def param_matmul_shape(a: ParamMatmul, ins):
    """Output: (..., n, m); k must agree and the leading axes broadcast."""
    (x,) = ins
    p = Shape(dims=a.shape, roles="_" * len(a.shape))
    if x.rank < 2:
        raise ShapeError(f"param_matmul of {x}: the input needs 2 or more axes")
    if x.dims[-1] != p.dims[-2]:
        raise ShapeError(f"param_matmul of {x} and a learned {p}: the inner sizes differ ({fmt_dim(x.dims[-1])} "
                         f"against {p.dims[-2]})")
    lead = _leading(x, p)
    out = Shape(dims=(*lead.dims, x.dims[-2], p.dims[-1]), roles=lead.roles + x.roles[-2] + "_")
    return ShapeOut(out, f"({fmt_dim(x.dims[-2])} x {fmt_dim(x.dims[-1])}) @ a learned ({p.dims[-2]} x "
                         f"{p.dims[-1]})" + (f" for each of {lead}" if lead.rank else "") + f" -> {out}")


@rule("param_matmul", "params")
def param_matmul_params(a: ParamMatmul, ins):
    """The elements P is made from (P's own where it is a parameter as it is)."""
    return Params(weights=product(a.shape) if a.params is None else a.params, buffers=a.buffers)


@rule("param_matmul", "macs")
def param_matmul_macs(a, ins, out):
    """n x k x m for each leading index."""
    return product(out.dims[:-2]) * ins[0].dims[-2] * ins[0].dims[-1] * a.shape[-1]


rule("param_matmul", "other_ops")(lambda a, ins, out: 0)
rule("param_matmul", "activation")(lambda a, ins, out: out.elements)


@rule("param_matmul", "rf")
def param_matmul_rf(a, in_rfs, ins):
    """x's field: the product mixes x's last axis (features), not its positions."""
    return in_rfs[0], None


@rule("param_matmul", "saved")
def param_matmul_saved(a, ins, out, device):
    """bmm's backward keeps x (for P's gradient) and P (for x's). P itself is in memory anyway, but where its
    leading axes broadcast against x's, torch.matmul expands it to every leading index and bmm keeps that
    copy: P's k x m elements for each leading index of one sample (measured with saved_tensors_hooks)."""
    lead = tuple(out.dims[:-2])
    if tuple(a.shape[:-2]) == lead:
        return Saved(inputs=(0,), trainable=True)
    copy = Extra("the learned operand expanded to every leading index", product(lead) * a.shape[-2] * a.shape[-1])
    return Saved(inputs=(0,), extras=(copy,), trainable=True)
