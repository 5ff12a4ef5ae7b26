"""Builder methods of one family of kinds, mixed into Net (sources/builder.py).

Elementwise kinds beyond the activations: broadcast multiply and add (squeeze-and-excitation gates,
scaling), mish, identity, and stochastic depth's drop-path (the identity at inference).
Each method checks its attributes (builder_checks) and calls self.layer(kind, attrs, inputs, name).
"""

from __future__ import annotations

from ..core import ir
from ..errors import GraphError


class ElementwiseMethods:
    """Mixed into Net: uses its `layer` and `name`."""

    def mul(self, xs, inplace=False, name=None) -> str:
        """Elementwise product of two inputs that broadcast (numpy rules): a squeeze-and-excitation gate
        (CxHxW * Cx1x1) or a scale. In place it multiplies into the first input."""
        xs = self._two_inputs("mul", xs, name)
        return self.layer("mul", ir.Mul(self._flag(inplace, "inplace", name)), xs, name)

    def mish(self, x, inplace=False, name=None) -> str:
        """x * tanh(softplus(x)) (nn.Mish)."""
        return self.layer("mish", ir.Elementwise(self._flag(inplace, "inplace", name)), x, name)

    def scale(self, x, name=None) -> str:
        """A learned factor per channel multiplied in (ConvNeXt's layer scale: x * gamma)."""
        return self.layer("scale", ir.Scale(), x, name)

    def identity(self, x, name=None) -> str:
        """The input itself (nn.Identity): a named alias, nothing computed."""
        return self.layer("identity", ir.Identity(), x, name)

    def drop_path(self, x, p=0.0, name=None) -> str:
        """Stochastic depth on a residual branch: drops whole samples with probability p in training."""
        # p = 1 would divide by zero in the 1/(1 - p) rescale; NaN fails every comparison and is refused
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p < 1:
            raise GraphError(f"{self.name}: layer {name or '(unnamed)'}: p must be a probability in [0, 1), "
                             f"got {p!r}")
        return self.layer("drop_path", ir.DropPath(float(p)), x, name)

    def _two_inputs(self, kind: str, xs, name) -> tuple:
        xs = (xs,) if isinstance(xs, str) else tuple(xs)
        if len(xs) != 2:
            raise GraphError(f"{self.name}: layer {name or '(unnamed)'}: {kind} takes two inputs, got {len(xs)}")
        return xs

    def _flag(self, value, what: str, name) -> bool:
        if not isinstance(value, bool):
            raise GraphError(f"{self.name}: layer {name or '(unnamed)'}: {what} must be true or false, "
                             f"got {value!r}")
        return value
