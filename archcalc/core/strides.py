"""Strides of one sample's tensor, as torch lays it out: what makes a view a view and a reshape a copy.

A tensor made by an op is contiguous (row-major; strides None in Shape). Permutes, transposes and slices of
inner axes give views with other strides; a later reshape is a view only where torch's own rule (the
`computeStride` of ATen's reshape) finds strides for the new sizes, else torch copies. Sizes may be symbolic.
"""

from __future__ import annotations

from typing import Optional

from .shape import is_symbolic, to_plain


def _eq(a, b) -> bool:
    if is_symbolic(a) or is_symbolic(b):
        return bool((a - b) == 0)
    return to_plain(a) == to_plain(b)


def _less(a, b) -> bool:
    if is_symbolic(a) or is_symbolic(b):
        return bool((b - a).is_positive)
    return to_plain(a) < to_plain(b)


def row_major(dims: tuple) -> tuple:
    """The strides of a contiguous tensor of these sizes, in elements."""
    strides, step = [], 1
    for d in reversed(dims):
        strides.append(step)
        step = step * d
    return tuple(reversed(strides))


def normalise(dims: tuple, strides: Optional[tuple]) -> Optional[tuple]:
    """None where the strides are row-major (size-1 axes' strides do not matter, as torch decides), else them."""
    if strides is None:
        return None
    if all(_eq(d, 1) or _eq(s, r) for d, s, r in zip(dims, strides, row_major(dims))):
        return None
    return tuple(strides)


def view_strides(dims: tuple, strides: Optional[tuple], new_dims: tuple) -> Optional[tuple]:
    """Strides of `new_dims` as a view of the tensor (ATen's computeStride), or None where torch must copy.

    Axes are walked from the last; a run of input axes that are contiguous with each other forms a chunk,
    and the new sizes must split each chunk exactly.
    """
    if strides is None:
        return row_major(new_dims)
    new_strides = [0] * len(new_dims)
    view_d = len(new_dims) - 1
    base = strides[-1] if strides else 1
    tensor_numel, view_numel = 1, 1
    for d in range(len(dims) - 1, -1, -1):
        tensor_numel = tensor_numel * dims[d]
        if d == 0 or (not _eq(dims[d - 1], 1) and not _eq(strides[d - 1], tensor_numel * base)):
            while view_d >= 0 and (_less(view_numel, tensor_numel) or _eq(new_dims[view_d], 1)):
                new_strides[view_d] = view_numel * base
                view_numel = view_numel * new_dims[view_d]
                view_d -= 1
            if not _eq(view_numel, tensor_numel):
                return None
            if d > 0:
                base, tensor_numel, view_numel = strides[d - 1], 1, 1
    if view_d != -1:
        return None
    return tuple(new_strides)


def sample_stride_of(x, out_elements) -> object:
    """A view's elements from one sample to the next: its input's (a part of a larger per-sample storage
    keeps the storage's stride); None where it equals the view's own elements."""
    stride = x.sample_stride if x.sample_stride is not None else x.elements
    return None if _eq(stride, out_elements) else stride


def folds(dims: tuple, strides, sample_stride, batch_one: bool) -> bool:
    """Whether torch.matmul's reshape of an operand (the batch, then `dims`) into (batch x leading axes, n, k)
    is a view: at batch 1 the batch axis does not count; at batch 2 or more its stride must continue the
    leading axes' (a part of a larger storage, or a permuted tensor, is copied)."""
    lead = product_of(dims[:-2])
    per_sample = strides if strides is not None else row_major(dims)
    if batch_one:
        return view_strides(tuple(dims), strides, (lead, *dims[-2:])) is not None
    elements = product_of(dims)
    full_dims = (2, *dims)
    full_strides = (sample_stride if sample_stride is not None else elements, *per_sample)
    return view_strides(full_dims, full_strides, (2 * lead, *dims[-2:])) is not None


def product_of(values) -> object:
    result = 1
    for v in values:
        result = result * v
    return result


def laid_out_like(dims: tuple, x) -> Optional[tuple]:
    """Strides of a new tensor made elementwise from `x` (same sizes): torch's TensorIterator lays the output
    out in the order of x's strides, so a permuted input gives a permuted output (None: contiguous)."""
    if x.strides is None or len(x.dims) != len(dims):
        return None
    import functools

    def outer_first(i, j):
        if _eq(x.strides[i], x.strides[j]):
            return i - j
        return -1 if _less(x.strides[j], x.strides[i]) else 1

    order = sorted(range(len(dims)), key=functools.cmp_to_key(outer_first))
    strides, step = [0] * len(dims), 1
    for i in reversed(order):
        strides[i] = step
        step = step * dims[i]
    return normalise(dims, tuple(strides))
