"""x / C and x - C, C a constant table (torch_constants: a tensor computed from sizes and numbers, or held as a
non-persistent buffer: CSATv2's DCT mean and std): the constant kind's x * C and x + C, one op per element
each (x / C is x times C's reciprocal, a table of its own; x - C is x plus -C), nothing of x kept for
backward. Imported from the end of torch_functions after torch_constants, whose wrappers refuse these joins:
this module wraps them in turn."""

from __future__ import annotations

from .torch_constants import Constant
from .torch_functions import FUNCTIONS, METHODS
from .torch_values import Tensor


def _as_join(previous, join: str):
    def handler(imp, args, kwargs):
        a, b = (args[0], args[1]) if len(args) > 1 else (args[0] if args else None, kwargs.get("other"))
        if isinstance(a, Tensor) and isinstance(b, Constant) and not kwargs.get("rounding_mode") and \
                kwargs.get("alpha", 1) == 1:
            return FUNCTIONS[f"operator.{join}"](imp, [a, b], {})
        return previous(imp, args, kwargs)
    return handler


for _table, _key, _join in ((FUNCTIONS, "operator.truediv", "mul"), (FUNCTIONS, "torch.div", "mul"),
                            (METHODS, "div", "mul"), (FUNCTIONS, "operator.sub", "add"),
                            (FUNCTIONS, "torch.sub", "add"), (METHODS, "sub", "add")):
    if _key in _table:
        _table[_key] = _as_join(_table[_key], _join)
