"""Builder methods of one family of kinds, mixed into Net (sources/builder.py).

Normalisation kinds beyond batch norm: layer norm (over the last axes, or over channels as ConvNeXt
writes it), group norm, instance norm.
Each method checks its attributes (builder_checks) and calls self.layer(kind, attrs, inputs, name).
"""

from __future__ import annotations

import math

from ..core import ir
from ..errors import GraphError
from .builder_checks import check_positive


class NormMethods:
    """Mixed into Net: uses its `layer` and `name`."""

    def _check_norm(self, name, eps, **switches) -> None:
        # eps is added under a square root: a negative or non-finite value would make NaNs, not a network
        if isinstance(eps, bool) or not isinstance(eps, (int, float)) or not math.isfinite(eps) or eps < 0:
            raise GraphError(f"{self.name}: layer {name or '(unnamed)'}: eps must be a number of 0 or more, "
                             f"got {eps!r}")
        for key, value in switches.items():
            if not isinstance(value, bool):
                raise GraphError(f"{self.name}: layer {name or '(unnamed)'}: {key} must be true or false, "
                                 f"got {value!r}")

    def layernorm(self, x, axes: int = 1, eps=1e-5, affine=True, bias=True, channels_first=False,
                  name=None) -> str:
        """Layer norm over the last `axes` axes as laid out (nn.LayerNorm), or over the channels at every
        position with channels_first (ConvNeXt's LayerNorm2d)."""
        check_positive(self.name, name, axes=(axes,))
        self._check_norm(name, eps, affine=affine, bias=bias, channels_first=channels_first)
        if channels_first and axes != 1:
            raise GraphError(f"{self.name}: layer {name or '(unnamed)'}: channels_first normalises the channels "
                             f"alone; axes must be 1, got {axes}")
        return self.layer("layernorm", ir.LayerNorm(axes, eps, affine, bias, channels_first), x, name)

    def rmsnorm(self, x, axes: int = 1, eps=None, affine=True, name=None) -> str:
        """RMS norm over the last `axes` axes as laid out (nn.RMSNorm); eps None: torch's default."""
        check_positive(self.name, name, axes=(axes,))
        self._check_norm(name, 0.0 if eps is None else eps, affine=affine)
        return self.layer("rmsnorm", ir.RMSNorm(axes, None if eps is None else float(eps), affine), x, name)

    def groupnorm(self, x, groups: int, eps=1e-5, affine=True, bias=True, name=None) -> str:
        """Group norm: the channels in `groups` groups, statistics per sample and group (nn.GroupNorm); with
        affine, a scale per channel and (bias) a shift."""
        check_positive(self.name, name, groups=(groups,))
        self._check_norm(name, eps, affine=affine, bias=bias)
        return self.layer("groupnorm", ir.GroupNorm(groups, eps, affine, bias), x, name)

    def instancenorm(self, x, eps=1e-5, affine=False, track_running_stats=False, name=None) -> str:
        """Instance norm: statistics per sample and channel (nn.InstanceNorm1d/2d/3d by the input's rank)."""
        self._check_norm(name, eps, affine=affine, track_running_stats=track_running_stats)
        return self.layer("instancenorm", ir.InstanceNorm(eps, affine, track_running_stats), x, name)
