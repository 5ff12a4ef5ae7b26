"""Shapes and sizes: Dim (an int or a sympy expression), Shape, and the conv/pool size arithmetic.

sympy is imported only when a size is symbolic, so that numeric runs stay fast.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any, Union

from ..errors import InputError, ShapeError
from ..limits import MAX_DIGITS, MAX_SIZE

Dim = Union[int, Any]  # int, or a sympy expression when the input is symbolic


def is_symbolic(value: Any) -> bool:
    """True for a sympy expression that still holds a free symbol."""
    if isinstance(value, int):
        return False
    try:
        return _has_free_symbols(value)
    except TypeError:  # unhashable
        return bool(getattr(value, "free_symbols", None))


@lru_cache(maxsize=None, typed=True)
def _has_free_symbols(value) -> bool:
    # sympy walks the whole tree for free_symbols on each call; a size is asked about by every rule that reads it
    return bool(getattr(value, "free_symbols", None))


def to_plain(value: Any) -> Any:
    """A sympy number becomes a Python int; an expression stays as it is."""
    if isinstance(value, int):
        return value
    if getattr(value, "is_Integer", False):
        return int(value)
    return value


def product(values) -> Dim:
    """Product of dims (1 for an empty sequence)."""
    values = tuple(values)
    if all(type(v) is int for v in values):
        return math.prod(values)
    try:
        return _symbolic_product(values)
    except TypeError:  # unhashable
        return to_plain(math.prod(values))


# Symbolic sizes repeat: every block of a stage has the same shapes, and the arithmetic of a feature map is
# asked for by each layer that reads it. sympy expressions are immutable and hashable, so the pure functions
# below are memoised (typed: a sympy Integer and the int it equals take different paths).
_memo = lru_cache(maxsize=None, typed=True)


@_memo
def _symbolic_product(values: tuple) -> Dim:
    return to_plain(math.prod(values))


def floor_div(numerator: Dim, denominator: int) -> Dim:
    """floor(numerator / denominator), exact for ints, sympy.floor for symbols."""
    if isinstance(numerator, int):
        return numerator // denominator
    return _symbolic_round(numerator, denominator, False)


def ceil_div(numerator: Dim, denominator: int) -> Dim:
    """ceil(numerator / denominator), exact for ints, sympy.ceiling for symbols."""
    if isinstance(numerator, int):
        return -((-numerator) // denominator)
    return _symbolic_round(numerator, denominator, True)


@_memo
def _symbolic_round(numerator, denominator: int, ceil: bool) -> Dim:
    import sympy

    return to_plain((sympy.ceiling if ceil else sympy.floor)(numerator / denominator))


def formula_text(value: Any) -> str:
    """str(value), the same text, through one printer that remembers each subexpression it has printed:
    the formulas of a network share most of their parts (the size of a feature map, its floors)."""
    if isinstance(value, (int, str)):
        return str(value)
    return _printer().doprint(value)


@lru_cache(maxsize=None)
def _printer():
    """sympy's StrPrinter (what str() of an expression uses), memoising _print by expression. An
    expression's text does not depend on where it sits (parentheses are added by the caller), except a
    Float's, whose trailing zeros are stripped below the top level: the level is part of the key."""
    from sympy.printing.str import StrPrinter

    class MemoPrinter(StrPrinter):
        def __init__(self):
            super().__init__()
            self.memo = {}

        def _print(self, expr, **kwargs) -> str:
            if kwargs:
                return super()._print(expr, **kwargs)
            try:
                key = (type(expr), expr, self._print_level == 0)
                return self.memo[key]
            except KeyError:
                text = self.memo[key] = super()._print(expr)
                return text
            except TypeError:  # unhashable (a list, a matrix): print it as it is
                return super()._print(expr)

    return MemoPrinter()


def fmt_dim(value: Any) -> str:
    """A dim as text: 55, or a formula with each floor's argument over one denominator: floor((H - 11)/4) + 1."""
    if isinstance(value, (int, str)) or not hasattr(value, "replace"):
        return str(value)
    try:
        return _fmt_formula(value)
    except TypeError:  # unhashable (a mutable matrix): no size of ours, shown as sympy writes it
        return str(value)


_fmt_formula = _memo(lambda value: formula_text(_tidy_floors(value)))


@_memo
def _tidy_floors(expr):
    """expr.replace(floor or ceiling, the same over sympy.together of its argument), bottom up as replace
    walks, each distinct subexpression once."""
    import sympy

    args = expr.args
    if isinstance(expr, (sympy.floor, sympy.ceiling)):
        # replace() would rebuild floor(tidied argument), evaluated: sympy's floor eval asks assumptions of
        # nested floors (the cost of fmt_dim); the tidied argument equals the old, which floor left alone
        return expr.func(sympy.together(_tidy_floors(args[0])), evaluate=False)
    newargs = tuple(_tidy_floors(a) for a in args)
    if args == newargs:
        return expr
    rebuilt = expr.func(*newargs)
    if any(rebuilt == old and old != new for old, new in zip(args, newargs)):
        return rebuilt  # replace(simultaneous=True): already replaced
    return _tidy_floors(rebuilt) if isinstance(rebuilt, (sympy.floor, sympy.ceiling)) else rebuilt


def fmt_shape_dim(value: Any) -> str:
    """A dim inside CxHxW: formulas in parentheses so that the x separators stay readable."""
    text = fmt_dim(value)
    return text if isinstance(value, int) or getattr(value, "is_Atom", False) else f"({text})"


CHANNELS, SPATIAL, TOKENS, OTHER = "C", "S", "T", "_"  # the role of one axis (Shape.roles)
ROLE_WORDS = {CHANNELS: "channels", SPATIAL: "spatial", TOKENS: "tokens", OTHER: "other"}


@dataclass(frozen=True, init=False)
class Shape:
    """A tensor of one sample (the batch axis is apart): its sizes in memory order and each axis's role.

    Roles, one letter per axis:
      C  channels (features): at most one axis; what conv, norms and linear layers mix
      S  spatial: an axis the receptive field is measured along (H, W; a token sequence given as input)
      T  tokens: spatial axes flattened into one (a ViT's 14x14 patches as 196 tokens); each keeps its field
      _  other: heads, a head's width, the index of a split; no channel or spatial meaning

    `Shape(C, (H, W))` is the usual channels-first map; `Shape(dims=(H, W, C), roles="SSC")` the same map
    channels-last, as after ConvNeXt's permute; `Shape(dims=(197, 768), roles="SC")` tokens x features.
    """

    dims: tuple
    roles: str
    strides: Any  # None: contiguous; else the strides of a view (core/strides.py), after a permute or slice
    sample_stride: Any  # elements from one sample to the next: None, its own elements; more for a view of a part

    def __init__(self, channels: Dim = None, spatial: tuple = (), *, dims: tuple = None, roles: str = None,
                 strides: tuple = None, sample_stride: Dim = None):
        if dims is None:
            dims, roles = (channels, *spatial), CHANNELS + SPATIAL * len(spatial)
        dims = tuple(dims)
        if roles is None or len(roles) != len(dims) or roles.count(CHANNELS) > 1:
            raise ValueError(f"shape {dims}: roles {roles!r} must name each axis, with at most one channel axis")
        object.__setattr__(self, "dims", dims)
        object.__setattr__(self, "roles", roles)
        object.__setattr__(self, "strides", strides)
        object.__setattr__(self, "sample_stride", sample_stride)

    @property
    def contiguous(self) -> bool:
        """Row-major, as a new tensor is: a reshape of it is a view."""
        return self.strides is None

    @property
    def rank(self) -> int:
        return len(self.dims)

    @property
    def channels(self) -> Dim:
        """Size of the channel axis (None for a tensor without one, such as attention scores)."""
        at = self.roles.find(CHANNELS)
        return self.dims[at] if at >= 0 else None

    @property
    def spatial(self) -> tuple:
        """Sizes of the spatial axes, in memory order."""
        return tuple(d for d, r in zip(self.dims, self.roles) if r == SPATIAL)

    @property
    def channels_first(self) -> bool:
        """C, CxL, CxHxW or CxDxHxW: the layout conv, pooling and batch norm take."""
        return self.roles == CHANNELS + SPATIAL * (len(self.dims) - 1)

    def layout(self) -> str:
        """The axes in words: 'CxHxW (channels first)', 'tokens x channels', ..."""
        if self.channels_first:
            return "channels first"
        if self.roles == SPATIAL + CHANNELS:  # a sequence given channels last: a transformer's tokens
            return "tokens x channels"
        return " x ".join(ROLE_WORDS[r] for r in self.roles)

    @cached_property  # asked for by several rules per layer; computed once
    def elements(self) -> Dim:
        """Number of elements of one sample."""
        return product(self.dims)

    def as_list(self) -> list:
        """The sizes in memory order (a torch tensor's shape without the batch axis)."""
        return list(self.dims)

    def with_dims(self, dims) -> "Shape":
        """The same roles with other sizes (a new tensor: contiguous)."""
        return Shape(dims=tuple(dims), roles=self.roles)

    def axis(self, axis: int, what: str = "axis") -> int:
        """A per-sample axis (negative from the end) as an index; ShapeError when the tensor has no such axis."""
        if not -self.rank <= axis < self.rank:
            raise ShapeError(f"{what} {axis} is out of range for a {self.rank}-axis tensor {self} (axes count "
                             "after the batch: 0 is torch's dim 1)")
        return axis % self.rank

    def channel_axis(self, axis, what: str = "axis") -> int:
        """`axis` as an index, or the channel axis where it is None."""
        if axis is not None:
            return self.axis(axis, what)
        at = self.roles.find(CHANNELS)
        if at < 0:
            raise ShapeError(f"{self} ({self.layout()}) has no channel axis; name the {what}")
        return at

    def __str__(self) -> str:
        return "x".join(fmt_shape_dim(d) for d in self.dims)


@dataclass(frozen=True)
class SizeResult:
    """One axis of a sliding-window size computation, with its arithmetic written out."""

    value: Dim
    text: str
    remainder: Any = 0  # the fraction dropped (floor) or added (ceil); 0 when exact
    padding_only: bool = True  # True when the dropped positions lie in padding only


def _frac(num: int, den: int) -> str:
    value = num / den
    return f"{value:.4f}".rstrip("0").rstrip(".")


def window_output_size(size: Dim, kernel: int, stride: int, padding: int, dilation: int = 1,
                       ceil_mode: bool = False) -> SizeResult:
    """Output length of a sliding window: floor((size + 2p - d(k-1) - 1)/s) + 1 (ceil with ceil_mode).

    Follows PyTorch: with ceil_mode, a last window that would start in the right padding is dropped.
    """
    if not isinstance(size, int):
        return _symbolic_window_size(size, kernel, stride, padding, dilation, ceil_mode)
    k_eff = dilation * (kernel - 1) + 1  # span of the dilated kernel
    pad_text = f" + 2*{padding}" if padding else ""
    dil_text = f" [dilated kernel {dilation}*({kernel}-1)+1 = {k_eff}]" if dilation != 1 else ""
    span = size + 2 * padding - k_eff  # room left for the window to slide
    head = f"({size}{pad_text} - {k_eff})/{stride} + 1"
    if span < 0:
        return SizeResult(0, f"{head} < 1{dil_text}", 0, False)
    q, r = divmod(span, stride)
    if r == 0:
        return SizeResult(q + 1, f"{head} = {q + 1}{dil_text}")
    exact = _frac(span + stride, stride)
    if ceil_mode:
        out = q + 2
        if (out - 1) * stride >= size + padding:  # PyTorch: last window must start inside input or left pad
            out -= 1
        return SizeResult(out, f"{head} = {exact} -> {out} (ceil){dil_text}", r, True)
    # floor drops r positions at the right; they are real input unless they fit in the right padding
    return SizeResult(q + 1, f"{head} = {exact} -> {q + 1} (floor){dil_text}", r, r <= padding)


@_memo
def _symbolic_window_size(size: Dim, kernel: int, stride: int, padding: int, dilation: int,
                          ceil_mode: bool) -> SizeResult:
    """window_output_size at a symbolic size (every block of a stage slides the same windows: once)."""
    k_eff = dilation * (kernel - 1) + 1
    pad_text = f" + 2*{padding}" if padding else ""
    dil_text = f" [dilated kernel {dilation}*({kernel}-1)+1 = {k_eff}]" if dilation != 1 else ""
    span = size + 2 * padding - k_eff
    head = f"({fmt_dim(size)}{pad_text} - {k_eff})/{stride} + 1"
    out = (ceil_div(span, stride) if ceil_mode else floor_div(span, stride)) + 1
    if ceil_mode and stride + padding > k_eff:
        # PyTorch drops a last window that would start in the right padding; that can happen only when
        # s + p > k_eff. With padding at most half the kernel (which torch requires) the rule is
        # out = min(ceil(span/s) + 1, ceil((size + p)/s)).
        import sympy

        out = sympy.Min(out, ceil_div(size + padding, stride))
    out = to_plain(out)
    return SizeResult(out, f"{head} = {fmt_dim(out)}{dil_text}")


def nearest_exact_size(size: int, kernel: int, stride: int, padding: int, dilation: int = 1) -> int:
    """Smallest input length >= size for which the window arithmetic divides exactly."""
    k_eff = dilation * (kernel - 1) + 1
    span = size + 2 * padding - k_eff
    return size + (-span) % stride


_SYMBOL_RE = re.compile(r"^[A-Za-z_][A-Za-z_0-9]*$")
_DIGITS_RE = re.compile(r"^[0-9]+$")  # ASCII digits only: str.isdigit() also takes '²' and '①', int() not


def _clip(text: str, limit: int = 60) -> str:
    """An input echoed in a message: one line, and short."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def parse_dim(token: str, position: int, text: str) -> Dim:
    """One dimension of an input spec: a positive integer or a symbol name."""
    token = token.strip()
    if _DIGITS_RE.match(token):
        if len(token.lstrip("0")) > MAX_DIGITS or int(token) > MAX_SIZE:
            raise InputError(f"input '{_clip(text)}': dimension {position} has {len(token)} digits; "
                             "archcalc takes sizes up to 10^18")
        value = int(token)
        if value < 1:
            raise InputError(f"input '{_clip(text)}': dimension {position} is {value}; sizes must be at least 1")
        return value
    if token.startswith("-") and _DIGITS_RE.match(token[1:]):
        raise InputError(f"input '{_clip(text)}': dimension {position} is {_clip(token, 20)}; sizes must be at least 1")
    if _SYMBOL_RE.match(token):
        import sympy

        return sympy.Symbol(token, positive=True, integer=True)
    raise InputError(f"input '{_clip(text)}': dimension {position} is '{_clip(token, 20)}'; expected a positive integer "
                     "or a symbol name such as H (format CxHxW, e.g. 3x224x224 or 3xHxW)")


MAX_RANK = 4  # channels and up to 3 spatial axes: CxL, CxHxW, CxDxHxW (torch's 1-, 2- and 3-D layers)


def parse_input(text: str) -> Shape:
    """'3x224x224', '3xHxW', '1x16000' (CxL), '3x16x112x112' (CxDxHxW), '512' (a vector); also with commas."""
    parts = re.split(r"[x,×]", text.strip())
    if len(parts) > MAX_RANK or any(p.strip() == "" for p in parts):
        got = "an empty dimension" if any(p.strip() == "" for p in parts) else f"{len(parts)} dimensions"
        raise InputError(f"input '{_clip(text)}': expected channels and up to 3 spatial sizes (C, CxL, CxHxW or "
                         f"CxDxHxW), e.g. 3x224x224 or 3xHxW; got {got}")
    dims = [parse_dim(p, i + 1, text) for i, p in enumerate(parts)]
    return Shape(dims[0], tuple(dims[1:]))


def shape_from_tuple(dims) -> Shape:
    """A tuple such as (3, 224, 224) into a Shape, checking each size."""
    if isinstance(dims, Shape):
        return dims
    if isinstance(dims, str):
        return parse_input(dims)
    dims = list(dims)
    if not dims:
        raise InputError("input: expected at least a channel count, e.g. (3, 224, 224)")
    for i, d in enumerate(dims):
        if isinstance(d, str):
            return parse_input("x".join(str(x) for x in dims))
    for i, d in enumerate(dims):
        if d is None or isinstance(d, (bool, float)) or (isinstance(d, int) and d < 1):
            raise InputError(f"input {_clip(tuple(dims))}: dimension {i + 1} is {d!r}; sizes must be whole "
                             "numbers of at least 1")
        if isinstance(d, int) and d > MAX_SIZE:
            raise InputError(f"input: dimension {i + 1} is above 10^18, the largest size archcalc takes")
    return Shape(dims[0], tuple(dims[1:]))
