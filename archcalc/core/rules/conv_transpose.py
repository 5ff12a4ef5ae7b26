"""Rules for transposed convolution over 1, 2 or 3 axes (nn.ConvTranspose1d/2d/3d): the gradient of a
convolution, used to upsample."""

from __future__ import annotations

import math

from ...errors import ShapeError
from ..ir import ConvTranspose
from ..receptive import RF
from ..shape import Shape, fmt_dim, product, to_plain
from .conv import conv_activation, conv_other_ops
from . import Params, ShapeOut, flags, rule
from .saved import Saved
from .window import AXIS_NAMES

flags("conv_transpose", weighted=True, moves_bytes=True, any_layout=False)  # learnable weights: counts for depth, as conv


def transposed_size(n, k, s, p, op, d):
    """(size, text) along one axis: (n - 1)*s - 2p + d(k - 1) + output_padding + 1, as torch's docs write it."""
    out = to_plain((n - 1) * s - 2 * p + d * (k - 1) + op + 1)
    terms = f"({fmt_dim(n)} - 1)*{s}" + (f" - 2*{p}" if p else "") + (f" + {d}*({k} - 1)" if d != 1 else f" + {k - 1}")
    terms += (f" + {op}" if op else "") + " + 1"
    return out, f"{terms} = {fmt_dim(out)}"


@rule("conv_transpose", "shape")
def conv_transpose_shape(a: ConvTranspose, ins):
    """Output shape: out_channels x transposed sizes; output_padding below stride or dilation, as torch."""
    (x,) = ins
    if len(x.spatial) != len(a.kernel):
        raise ShapeError(f"expects a {len(a.kernel)}-D feature map, got input {x}")
    if isinstance(x.channels, int) and x.channels % a.groups:
        raise ShapeError(f"{x.channels} input channels do not split into {a.groups} groups")
    if a.out_channels % a.groups:
        raise ShapeError(f"{a.out_channels} output channels do not split into {a.groups} groups")
    for op, s, d in zip(a.output_padding, a.stride, a.dilation):
        if op >= s and op >= d:  # torch: output padding must be smaller than either stride or dilation
            raise ShapeError(f"output_padding {op} must be smaller than either stride {s} or dilation {d}")
    results = [transposed_size(*axis) for axis in
               zip(x.spatial, a.kernel, a.stride, a.padding, a.output_padding, a.dilation)]
    for value, text in results:
        if isinstance(value, int) and value < 1:
            raise ShapeError(f"output size is below 1: {text}")
    texts = [t for _, t in results]
    axes = AXIS_NAMES.get(len(texts), "0123456789")
    derivation = texts[0] if len(set(texts)) == 1 else "; ".join(f"{axes[i]}: {t}" for i, t in enumerate(texts))
    return ShapeOut(Shape(a.out_channels, tuple(v for v, _ in results)), derivation)


@rule("conv_transpose", "params")
def conv_transpose_params(a: ConvTranspose, ins):
    """Elements: in x (out/groups) x prod(kernel) weights (torch's weight is in x out/groups x k...), plus one
    bias per output channel."""
    (x,) = ins
    weights = x.channels * (a.out_channels // a.groups) * product(a.kernel)
    return Params(weights=weights, biases=a.out_channels if a.bias else 0)


@rule("conv_transpose", "macs")
def conv_transpose_macs(a: ConvTranspose, ins, out):
    """MACs: every input element is multiplied by its (out/groups) x prod(kernel) weights and added into the
    output, as FlopCounterMode and fvcore count it (input positions, not output positions: the kernel
    taps that fall in the cropped padding are counted too)."""
    (x,) = ins
    return x.elements * (a.out_channels // a.groups) * product(a.kernel)


# as a conv: a bias add per output element when it has a bias; the output is a new tensor
rule("conv_transpose", "other_ops")(conv_other_ops)
rule("conv_transpose", "activation")(conv_activation)


@rule("conv_transpose", "rf")
def conv_transpose_rf(a: ConvTranspose, in_rfs, ins):
    """Field of a transposed conv, per axis (input unit i reaches outputs i*s - p + t*d, t < k).

    Output y sees the inputs i = (y + p - t*d)/s that are whole: with g = gcd(d, s), at most ceil(k*g/s) of
    them, d/g input units apart. The field shown is that widest one; the jump is j/s (fractional when the
    stride does not divide it: several outputs per input unit); the start is the centre of the continuous
    fit (p - d(k - 1)/2)/s. Exact for stride 1 (a conv flipped); for stride > 1 the field's centre (and, unless
    s divides k, its size) alternates from one output to the next and a note says the figures are the widest
    field, the mean step and a fitted start.
    """
    rf = in_rfs[0]
    if rf.is_global:
        return rf, None
    size, jump, start, uneven = [], [], [], False
    for r, j, s0, k, s, p, d in zip(rf.size, rf.jump, rf.start, a.kernel, a.stride, a.padding, a.dilation):
        g = math.gcd(d, s)
        seen = -(-k * g // s)  # ceil(k g / s) input units at most
        size.append(_tidy(r + (d // g) * (seen - 1) * j))
        jump.append(_tidy(j / s) if j % s else j // s)
        start.append(s0 + (p - d * (k - 1) / 2) / s * j)
        uneven = uneven or s > 1  # the centres step unevenly (0, 0, 1, 1, ... for k = s = 2)
    rf_out = RF(tuple(size), tuple(jump), tuple(start))
    if not uneven:
        return rf_out, None
    return rf_out, (f"transposed conv kernel {'x'.join(map(str, a.kernel))} stride {'x'.join(map(str, a.stride))}: "
                    "the field steps unevenly from one output to the next; the widest field, the mean step "
                    "and a fitted start are shown (approximate)")


def _tidy(value):
    return int(value) if isinstance(value, float) and value.is_integer() else value


@rule("conv_transpose", "saved")
def conv_transpose_saved(a: ConvTranspose, ins, out, device):
    """convolution (transposed): its input (for the weight's grad) and its weight (a parameter, not counted)."""
    return Saved(inputs=(0,), trainable=True)
