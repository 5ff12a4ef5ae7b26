"""The rule table: one function per (layer kind, metric), registered by a decorator, and each kind's flags.

Metrics and their signatures (ins: input Shapes, out: the output Shape):
  shape(attrs, ins) -> ShapeOut               output shape, its arithmetic, diagnostics
  params(attrs, ins) -> Params                weights, biases, buffers (elements)
  macs(attrs, ins, out) -> Dim                multiply-accumulates of one sample
  other_ops(attrs, ins, out) -> Dim           every other arithmetic op of one sample (conventions.py)
  activation(attrs, ins, out) -> Dim          elements of new memory the output takes (0 for views, in place)
  rf(attrs, in_rfs, ins) -> (RF, note|None)   receptive field of the output
  saved(attrs, ins, out, device) -> Saved     what autograd keeps for backward in training (saved.py);
                                              device: "cpu" or "cuda", for the few ops torch runs differently

Flags, facts about a kind that no rule computes (KindFlags); every kind declares each one with `flags`:
  weighted      a layer with learnable weights in the headline count (conv, linear): depth counts it
  moves_bytes   reads its inputs and writes its output when it runs at inference (False: a view, or the
                identity at inference)
  any_layout    takes a tensor of any layout (tokens x channels, channels-last, heads); False: channels-first
                only (C, CxL, CxHxW, CxDxHxW), as conv, pooling and batch norm; the engine refuses the rest

A kind lives in one file of this package, which registers all its rules and its flags.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field, fields
from typing import Callable

from ...errors import GraphError

METRICS = ("shape", "params", "macs", "other_ops", "activation", "rf", "saved")

_RULES: dict = {}
_FLAGS: dict = {}


@dataclass(frozen=True)
class ShapeOut:
    """Result of a shape rule."""

    shape: object
    derivation: str = ""
    diagnostics: tuple = field(default_factory=tuple)  # (level, message) pairs


@dataclass(frozen=True)
class Params:
    """Parameter elements of one layer: trainable weights and biases, and buffers (not trained)."""

    weights: object = 0
    biases: object = 0
    buffers: object = 0

    @property
    def trainable(self):
        return self.weights + self.biases


NO_PARAMS = Params()


@dataclass(frozen=True)
class KindFlags:
    """The flags of one kind (no defaults: each kind states every flag)."""

    weighted: bool
    moves_bytes: bool
    any_layout: bool


FLAGS = tuple(f.name for f in fields(KindFlags))


def rule(kinds, metric: str) -> Callable:
    """Register the decorated function as the rule for `metric` of each kind in `kinds`."""
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}")
    if isinstance(kinds, str):
        kinds = (kinds,)

    def register(fn: Callable) -> Callable:
        for kind in kinds:
            table = _RULES.setdefault(kind, {})
            if metric in table:
                raise ValueError(f"rule {metric!r} registered twice for kind {kind!r}")
            table[metric] = fn
        return fn

    return register


def flags(kinds, *, weighted: bool, moves_bytes: bool, any_layout: bool) -> None:
    """Declare the flags of each kind in `kinds`; declaring a kind's flags twice is an error."""
    if isinstance(kinds, str):
        kinds = (kinds,)
    declared = KindFlags(weighted=weighted, moves_bytes=moves_bytes, any_layout=any_layout)
    for name in FLAGS:
        if not isinstance(getattr(declared, name), bool):
            raise TypeError(f"flag {name!r} must be True or False, got {getattr(declared, name)!r}")
    twice = [kind for kind in kinds if kind in _FLAGS]
    if twice:
        raise ValueError(f"flags declared twice for kind {twice[0]!r}")
    for kind in kinds:
        _FLAGS[kind] = declared


def rules_for(kind: str) -> dict:
    """The rules of one kind; an unknown kind fails loudly with the closest known kinds."""
    _load()
    try:
        return _RULES[kind]
    except KeyError:
        close = difflib.get_close_matches(kind, _RULES, n=3)
        hint = f"; did you mean {' or '.join(close)}?" if close else f"; known kinds: {', '.join(sorted(_RULES))}"
        raise GraphError(f"unknown layer kind '{kind}'{hint}") from None


def kind_flags(kind: str) -> KindFlags:
    """The flags of one kind; an unknown kind fails loudly as in `rules_for`."""
    _load()
    try:
        return _FLAGS[kind]
    except KeyError:
        rules_for(kind)  # an unknown kind: the same error as for its rules
        raise GraphError(f"layer kind '{kind}' declares no flags") from None


def is_weighted(kind: str) -> bool:
    """Whether the kind counts for depth: a layer with learnable weights in the headline count."""
    return kind_flags(kind).weighted


def known_kinds() -> list:
    _load()
    return sorted(_RULES)


def _load() -> None:
    from ..autoload import import_modules

    import_modules(__name__)  # each module of this package registers its kinds
