"""Builder methods of one family of kinds, mixed into Net (sources/builder.py).

Kinds that change spatial size other than by a sliding window: transposed convolution, upsampling
(nearest, bilinear; by size or scale), explicit padding.
Each method checks its attributes (builder_checks) and calls self.layer(kind, attrs, inputs, name).
"""

from __future__ import annotations

from ..core import ir
from ..core.ir import per_axis
from ..errors import GraphError
from .builder_checks import axes_of, check_non_negative, check_positive

MODES = ("nearest", "linear", "bilinear", "bicubic", "trilinear")


class ResizeMethods:
    """Mixed into Net: uses its `layer` and `name`."""

    def conv_transpose(self, x, out_channels: int, kernel, stride=1, padding=0, output_padding=0, dilation=1,
                       groups: int = 1, bias: bool = True, dims=None, name=None) -> str:
        """A transposed convolution over 1, 2 or 3 spatial axes (nn.ConvTranspose1d/2d/3d): `dims`, else the
        length of a per-axis list, else 2. Output per axis: (n - 1)*s - 2p + d(k - 1) + output_padding + 1."""
        axes = axes_of(self.name, name, dims, kernel, stride, padding, output_padding, dilation)
        attrs = ir.ConvTranspose(out_channels, per_axis(kernel, axes, "kernel"), per_axis(stride, axes, "stride"),
                                 per_axis(padding, axes, "padding"),
                                 per_axis(output_padding, axes, "output_padding"),
                                 per_axis(dilation, axes, "dilation"), groups, bias)
        check_positive(self.name, name, kernel=attrs.kernel, stride=attrs.stride, dilation=attrs.dilation,
                       out_channels=(out_channels,), groups=(groups,))
        check_non_negative(self.name, name, padding=attrs.padding, output_padding=attrs.output_padding)
        return self.layer("conv_transpose", attrs, x, name)

    def upsample(self, x, size=None, scale=None, mode="nearest", align_corners=None, dims=None, name=None) -> str:
        """Resize by interpolation (nn.Upsample) to `size` or by `scale` (exactly one), each an int (a number
        for scale, over `dims` axes, default 2) or one per spatial axis; output per axis: size, or
        floor(n * scale) as torch."""
        where = f"{self.name}: layer {name or '(unnamed)'}"
        if (size is None) == (scale is None):
            raise GraphError(f"{where}: give exactly one of size and scale")
        if mode not in MODES:
            raise GraphError(f"{where}: mode must be one of {', '.join(MODES)}, got {mode!r}")
        if align_corners is not None and mode == "nearest":  # torch refuses it too
            raise GraphError(f"{where}: align_corners applies to the linear and cubic modes, not nearest")
        axes = axes_of(self.name, name, dims, size if size is not None else scale)
        if size is not None:
            size = per_axis(size, axes, "size")
            check_positive(self.name, name, size=size)
        else:
            scale = _scales(where, scale, axes)
        return self.layer("upsample", ir.Upsample(size, scale, mode, align_corners), x, name)

    def pad(self, x, pads, value=0.0, dims=None, name=None) -> str:
        """Explicit constant padding (F.pad, nn.ConstantPad1d/2d/3d) in one clear form:
        `pads` = [[before, after], ...], one pair per spatial axis in axis order (H then W; D, H, W), or one
        int for every side of `dims` axes (default 2). A negative side crops, as F.pad allows.
        (Note: F.pad's own flat tuple runs the other way, last axis first: (left, right, top, bottom).)"""
        where = f"{self.name}: layer {name or '(unnamed)'}"
        if isinstance(pads, int) and not isinstance(pads, bool):
            pads = [[pads, pads]] * axes_of(self.name, name, dims)
        pairs = tuple(tuple(p) if isinstance(p, (list, tuple)) else None for p in pads)
        if not 1 <= len(pairs) <= 3 or any(p is None or len(p) != 2 for p in pairs) or not all(
                isinstance(v, int) and not isinstance(v, bool) for p in pairs for v in p):
            raise GraphError(f"{where}: pads must be [[before, after], ...] per spatial axis (1 to 3) of "
                             f"integers, got {pads!r}")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise GraphError(f"{where}: value must be a number, got {value!r}")
        return self.layer("pad", ir.Pad(pairs, float(value)), x, name)


def _scales(where, scale, axes) -> tuple:
    """One positive scale per axis; a whole float becomes an int (exact symbolic arithmetic)."""
    values = (scale,) * axes if isinstance(scale, (int, float)) else tuple(scale)
    if len(values) != axes or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0
                                      for v in values):
        raise GraphError(f"{where}: scale must be a positive number or {axes} of them, got {scale!r}")
    return tuple(int(v) if float(v).is_integer() else float(v) for v in values)
