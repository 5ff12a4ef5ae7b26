"""Rules for statistics over axes besides the mean and sum (tokens.py) and norm (rms_norm.py), and two
elementwise roots:

- `reduce_var`: x.var(dim, correction) (x.std with root): a mean, the squared deviations, their mean. EvoNorm's
  group std, timm's SimpleNorm2d.
- `reduce_max`: x.amax(dim) / x.amin(dim): a comparison per element (CSATv2's, Hiera's max over positions).
- `sqrt`, `rsqrt`: x.sqrt(), torch.rsqrt(x), as norms written out op by op take them (timm's rms_norm2d).

No parameters and no MACs (conventions: MACs are multiply-accumulates of weights and activations; torch's
FlopCounterMode counts none of these either). Over spatial or token axes every output sees them all: global
field, as for the mean.
"""

from __future__ import annotations

from ...errors import ShapeError
from ..ir import ReduceMax, ReduceVar
from ..receptive import whole
from ..shape import SPATIAL, TOKENS, Shape
from . import NO_PARAMS, ShapeOut, flags, rule
from .passthrough import no_macs, same_rf, same_shape
from .tokens import reduced
from .saved import Saved

REDUCE = ("reduce_var", "reduce_max")
ROOTS = ("sqrt", "rsqrt")
KINDS = REDUCE + ROOTS
flags(KINDS, weighted=False, moves_bytes=True, any_layout=True)
rule(KINDS, "macs")(no_macs)
rule(KINDS, "params")(lambda a, ins: NO_PARAMS)


def _axes(a, x: Shape) -> tuple:
    axes = tuple(sorted({x.axis(axis, "reduce axis") for axis in a.axes}))
    if len(axes) != len(a.axes) or not axes:
        raise ShapeError(f"reduction over {list(a.axes)} of {x}: name each axis once, at least one")
    return axes


@rule(REDUCE, "shape")
def reduce_shape(a, ins):
    """Output: the axes removed (kept as 1 with keepdim); a max's op is max or min, a variance's correction
    a whole number from 0."""
    (x,) = ins
    if isinstance(a, ReduceMax) and a.op not in ("max", "min"):
        raise ShapeError(f"reduce_max op must be max or min, got {a.op!r}")
    if isinstance(a, ReduceVar) and (isinstance(a.correction, bool) or not isinstance(a.correction, int)
                                     or a.correction < 0):
        raise ShapeError(f"reduce_var correction must be a whole number from 0, got {a.correction!r}")
    axes = _axes(a, x)
    out = reduced(x, axes, a.keepdim)
    what = (f"{'std' if a.root else 'variance'}" if isinstance(a, ReduceVar) else a.op)
    return ShapeOut(out, f"{what} over {'x'.join(str(x.dims[i]) for i in axes)} of {x} -> {out}")


@rule(REDUCE, "other_ops")
def reduce_other_ops(a, ins, out):
    """Approximate. A max: one comparison per input element. A variance: per input element an add (the mean),
    a subtract, a square and an add; per output two divides (and a root for std)."""
    if isinstance(a, ReduceMax):
        return ins[0].elements
    return 4 * ins[0].elements + out.elements * (3 if a.root else 2)


@rule(REDUCE, "rf")
def reduce_rf(a, in_rfs, ins):
    """Over spatial or token axes: every output sees all of them, global; over others: as it was."""
    x = ins[0]
    if any(x.roles[i] in (SPATIAL, TOKENS) for i in _axes(a, x)):
        return whole(in_rfs[0]), None
    return in_rfs[0], None


@rule(REDUCE, "saved")
def reduce_saved(a, ins, out, device):
    """Measured with saved_tensors_hooks: var keeps its input; std and amax/amin keep the input and the
    result."""
    if isinstance(a, ReduceVar) and not a.root:
        return Saved(inputs=(0,))
    return Saved(inputs=(0,), output=True)


rule(ROOTS, "shape")(same_shape)
rule(ROOTS, "rf")(same_rf)


@rule("sqrt", "other_ops")
def sqrt_other_ops(a, ins, out):
    """Approximate: a root per element, counted as 1."""
    return out.elements


@rule("rsqrt", "other_ops")
def rsqrt_other_ops(a, ins, out):
    """Approximate: a root and a reciprocal per element, counted as 2."""
    return 2 * out.elements


@rule(KINDS, "activation")
def reduce_activation(a, ins, out):
    """Elements: the output is a new tensor (none for a root taken in place)."""
    return 0 if getattr(a, "inplace", False) else out.elements


@rule(ROOTS, "saved")
def root_saved(a, ins, out, device):
    """sqrt and rsqrt backward take the result (measured with saved_tensors_hooks)."""
    return Saved(output=True, alias=0 if getattr(a, "inplace", False) else None)
