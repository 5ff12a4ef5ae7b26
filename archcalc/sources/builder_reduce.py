"""Builder methods for the statistics of core/rules/reductions.py, mixed into Net (sources/builder.py): a
variance or standard deviation and a maximum or minimum over axes (torch's dims, the batch excluded), and the
elementwise roots sqrt and rsqrt; expand, the view that stretches axes of size 1; and the layers with a
fixed filter or border of core/rules/fixed_filters.py (buffer_conv, border_pad)."""

from __future__ import annotations

from dataclasses import asdict

from ..core import ir
from ..errors import GraphError
from .builder_layout import sample_axis


def _axes(net, name, kind, dim) -> tuple:
    dims = list(dim) if isinstance(dim, (list, tuple)) else [dim]
    axes = tuple(sample_axis(net.name, name, d) for d in dims)
    if not axes:
        raise GraphError(f"{net.name}: layer {name or '(unnamed)'}: {kind} needs at least one dim")
    return axes


class ReduceMethods:
    def reduce_var(self, x, dim, keepdim: bool = False, correction: int = 1, root: bool = False, name=None) -> str:
        """x.var(dim, correction, keepdim) over one or more axes; root: x.std. correction 1 is torch's
        default (unbiased), 0 the population variance."""
        if isinstance(correction, bool) or not isinstance(correction, int) or correction < 0:
            raise GraphError(f"{self.name}: layer {name or '(unnamed)'}: reduce_var correction must be a whole "
                             f"number from 0, got {correction!r}")
        axes = _axes(self, name, "reduce_var", dim)
        return self.layer("reduce_var", ir.ReduceVar(axes, bool(keepdim), correction, bool(root)), x, name)

    def reduce_max(self, x, dim, keepdim: bool = False, op: str = "max", name=None) -> str:
        """x.amax(dim, keepdim) over one or more axes (op "min": x.amin)."""
        if op not in ("max", "min"):
            raise GraphError(f"{self.name}: layer {name or '(unnamed)'}: reduce_max op must be max or min, "
                             f"got {op!r}")
        return self.layer("reduce_max", ir.ReduceMax(_axes(self, name, "reduce_max", dim), bool(keepdim), op),
                          x, name)

    def sqrt(self, x, inplace: bool = False, name=None) -> str:
        """x.sqrt(), elementwise."""
        return self.layer("sqrt", ir.Elementwise(bool(inplace)), x, name)

    def rsqrt(self, x, inplace: bool = False, name=None) -> str:
        """torch.rsqrt(x) = 1 / sqrt(x), elementwise."""
        return self.layer("rsqrt", ir.Elementwise(bool(inplace)), x, name)

    def expand(self, x, sizes, name=None) -> str:
        """x.expand(sizes): axes of size 1 stretched to `sizes` (one per axis of a sample, the batch excluded;
        -1 keeps an axis). A view."""
        sizes = tuple(sizes) if isinstance(sizes, (list, tuple)) else (sizes,)
        if not sizes or any(isinstance(s, bool) or not isinstance(s, int) or (s < 1 and s != -1) for s in sizes):
            raise GraphError(f"{self.name}: layer {name or '(unnamed)'}: expand needs sizes of 1 or more (or -1), "
                             f"got {list(sizes)!r}")
        return self.layer("expand", ir.Expand(sizes), x, name)

    def buffer_conv(self, x, out_channels: int, kernel, stride=1, padding=0, dilation=1, groups: int = 1,
                    bias: bool = False, dims=None, buffers=None, name=None) -> str:
        """A convolution (the fields as conv) whose weight is a buffer, not a parameter (BlurPool's binomial
        filter); `buffers`: the buffer's elements where one filter is expanded to every channel."""
        if buffers is not None and (isinstance(buffers, bool) or not isinstance(buffers, int) or buffers < 1):
            raise GraphError(f"{self.name}: layer {name or '(unnamed)'}: buffers must be a positive whole "
                             f"number, got {buffers!r}")
        self.conv(x, out_channels, kernel, stride, padding, dilation, groups, bias, dims, name)
        layer = self._checked("conv")  # the conv's checks and normal form, as a buffer conv
        return self.layer("buffer_conv", ir.BufferConv(**asdict(layer.attrs), buffers=buffers), x, name)

    def border_pad(self, x, pads, mode: str = "reflect", dims=None, name=None) -> str:
        """F.pad in mode reflect, replicate or circular: `pads` as pad's ([[before, after], ...] per spatial
        axis, or one int for every side of `dims` axes), each side 0 or more."""
        if mode not in ("reflect", "replicate", "circular"):
            raise GraphError(f"{self.name}: layer {name or '(unnamed)'}: border_pad mode must be reflect, "
                             f"replicate or circular, got {mode!r}")
        self.pad(x, pads, 0.0, dims, name)
        layer = self._checked("pad")
        if any(v < 0 for p in layer.attrs.pads for v in p):
            raise GraphError(f"{self.name}: layer {name or '(unnamed)'}: border_pad sides must be 0 or more")
        return self.layer("border_pad", ir.BorderPad(layer.attrs.pads, mode), x, name)

    def take(self, x, dim: int, indices, name=None) -> str:
        """x[..., [i0, i1, ...]] along torch's `dim` (the batch excluded): those positions, in that order."""
        indices = tuple(indices) if isinstance(indices, (list, tuple)) else ()
        if not indices or any(isinstance(i, bool) or not isinstance(i, int) for i in indices):
            raise GraphError(f"{self.name}: layer {name or '(unnamed)'}: take needs a list of whole-number "
                             f"indices, got {indices!r}")
        return self.layer("take", ir.Take(sample_axis(self.name, name, dim), indices), x, name)

    def _checked(self, kind: str):
        """The layer just made by another method for its checks, taken back with its name."""
        layer = self.layers.pop()
        self._names.discard(layer.name)
        if layer.name.rsplit(".", 1)[-1] == f"{kind}{self._counts.get(kind, 0)}":
            self._counts[kind] -= 1
        return layer
