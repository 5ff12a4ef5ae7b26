"""Attribute types of the sliding-window extraction kinds (re-exported by core/ir.py): torch's im2col
(`F.unfold`, nn.Unfold), its inverse col2im (`F.fold`, nn.Fold), and the tensor method `x.unfold(dim, size,
step)`, which views one axis as overlapping windows. None of them has weights or multiply-accumulates."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import GraphError


def _pair(value, what: str, least: int) -> tuple:
    """An int or two ints as (height, width), each at least `least` (torch's 2-D unfold and fold)."""
    values = (value, value) if isinstance(value, int) and not isinstance(value, bool) else tuple(value)
    if len(values) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) and v >= least for v in values):
        raise GraphError(f"unfold/fold: {what} must be an integer or two integers >= {least}, got {value!r}")
    return values


def _window(obj, *, output: bool = False) -> None:
    for name, least in (("kernel", 1), ("stride", 1), ("padding", 0), ("dilation", 1)) + \
            ((("output_size", 1),) if output else ()):
        object.__setattr__(obj, name, _pair(getattr(obj, name), name, least))


@dataclass(frozen=True)
class Unfold:
    """im2col (F.unfold, nn.Unfold): the kh x kw window at each of the L positions a conv of this kernel,
    stride, padding and dilation would visit, written out as one column: C x H x W -> (C kh kw) x L, the
    column's rows ordered channel-major (c, i, j) as torch's. A copy; a conv is this then a matmul."""

    kernel: tuple
    stride: tuple = (1, 1)
    padding: tuple = (0, 0)
    dilation: tuple = (1, 1)

    def __post_init__(self):
        _window(self)


@dataclass(frozen=True)
class Fold:
    """col2im (F.fold, nn.Fold), the adjoint of Unfold: (C kh kw) x L columns summed back into a C x H x W map
    of `output_size`, each column's window added at its position (overlapping windows add up; the parts
    falling in the padding are dropped). L must be the number of windows Unfold would take of that map."""

    output_size: tuple
    kernel: tuple
    stride: tuple = (1, 1)
    padding: tuple = (0, 0)
    dilation: tuple = (1, 1)

    def __post_init__(self):
        _window(self, output=True)


@dataclass(frozen=True)
class UnfoldAxis:
    """Tensor.unfold(dim, size, step): one axis (counted after the batch, negative from the end) of length n
    viewed as floor((n - size)/step) + 1 windows of `size` positions, `step` apart, the window's positions a
    new last axis. A view of the input (overlapping windows share storage), no copy."""

    axis: int
    size: int
    step: int

    def __post_init__(self):
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (self.axis, self.size, self.step)) \
                or self.size < 1 or self.step < 1:
            raise GraphError(f"unfold: axis, size and step must be integers, size and step positive; got axis "
                             f"{self.axis!r}, size {self.size!r}, step {self.step!r}")
