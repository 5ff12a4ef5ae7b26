"""Sliding-window output shape shared by convolution and pooling, with its arithmetic and warnings."""

from __future__ import annotations

from ...errors import ShapeError
from ..shape import Shape, fmt_dim, nearest_exact_size, window_output_size
from . import ShapeOut


AXIS_NAMES = {1: "L", 2: "HW", 3: "DHW"}  # how torch's docs name the spatial axes of 1-, 2- and 3-D inputs


def window_shape(shape: Shape, channels, kernel, stride, padding, dilation, ceil_mode=False) -> ShapeOut:
    """Output shape of a window sliding over every spatial axis, and the per-axis derivation."""
    if len(shape.spatial) != len(kernel):
        raise ShapeError(f"expects a {len(kernel)}-D feature map, got input {shape}")
    results = [window_output_size(n, k, s, p, d, ceil_mode)
               for n, k, s, p, d in zip(shape.spatial, kernel, stride, padding, dilation)]
    for n, k, p, d, res in zip(shape.spatial, kernel, padding, dilation, results):
        if isinstance(res.value, int) and res.value < 1:
            k_eff = d * (k - 1) + 1
            raise ShapeError(f"kernel {k_eff} is larger than its input {fmt_dim(n)}"
                             f"{f' padded by {p} on each side' if p else ''}")
    out = Shape(channels, tuple(r.value for r in results))
    texts = [r.text for r in results]
    axes = AXIS_NAMES.get(len(texts), "0123456789")
    derivation = texts[0] if len(set(texts)) == 1 else "; ".join(f"{axes[i]}: {t}" for i, t in enumerate(texts))
    if not any(r.remainder for r in results):  # the common case: every axis divides exactly
        return ShapeOut(out, derivation)
    messages = [_remainder_message(n, k, s, p, d, ceil_mode, res)
                 for n, k, s, p, d, res in zip(shape.spatial, kernel, stride, padding, dilation, results)]
    if len(set(messages)) == 1:  # square case: say it once
        messages = messages[:1]
    elif len(messages) > 1:
        messages = [(m[0], f"{axes[i]}: {m[1]}") if m else None for i, m in enumerate(messages)]
    return ShapeOut(out, derivation, tuple(m for m in messages if m))


def _remainder_message(n, k, s, p, d, ceil_mode, res):
    """(level, message) when the window arithmetic is not whole, else None.

    A warning when real input pixels at the far edge are never covered by any window although the windows
    otherwise tile the input (k_eff >= stride); a note when only padding is dropped, when ceil mode adds a
    partial window, or when the stride skips pixels anyway (k_eff < stride, e.g. a 1x1 stride-2 shortcut).
    """
    if not res.remainder:
        return None
    if ceil_mode:
        return ("note", f"{res.text}; ceil mode adds a partial window")
    k_eff = d * (k - 1) + 1
    lost = n + p - ((res.value - 1) * s + k_eff)  # real pixels right of the last window
    if lost <= 0:
        return ("note", f"{res.text}; only padding is left over")
    if k_eff < s:
        return ("note", f"{res.text}; the stride skips pixels anyway (kernel {k_eff} < stride {s})")
    better = nearest_exact_size(n, k, s, p, d)
    return ("warning", f"{res.text}; the last {lost} input pixel(s) are never seen; "
                       f"an input of {better} would divide exactly")


def same_shape(shape: Shape, channels, kernel, dilation) -> ShapeOut:
    """Output of a stride-1 window with torch's padding='same': every axis keeps its size.

    Total padding d*(k - 1) per axis, total//2 before and the rest after (torch pads the extra on the right),
    shown as the window arithmetic with both sides written out: (224 + 1 + 2 - 4)/1 + 1 = 224.
    """
    if len(shape.spatial) != len(kernel):
        raise ShapeError(f"expects a {len(kernel)}-D feature map, got input {shape}")
    texts = []
    for n, k, d in zip(shape.spatial, kernel, dilation):
        k_eff = d * (k - 1) + 1
        left, right = same_padding(k, d)
        pads = "".join(f" + {p}" for p in (left, right) if p)
        texts.append(f"({fmt_dim(n)}{pads} - {k_eff})/1 + 1 = {fmt_dim(n)} (same)")
    axes = AXIS_NAMES.get(len(texts), "0123456789")
    derivation = texts[0] if len(set(texts)) == 1 else "; ".join(f"{axes[i]}: {t}" for i, t in enumerate(texts))
    return ShapeOut(Shape(channels, tuple(shape.spatial)), derivation)


def same_padding(kernel: int, dilation: int) -> tuple:
    """(before, after) of torch's padding='same' on one axis: d*(k - 1) in all, the odd one after."""
    total = dilation * (kernel - 1)
    return total // 2, total - total // 2
