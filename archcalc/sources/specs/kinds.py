"""Layer kinds a spec file can use, found from the builder and the rule table rather than listed here.

A spec kind is made by the `archcalc.sources.builder.Net` method of the same name (conv, maxpool, linear, concat,
...; also the builder's shorthands such as global_avgpool), or, for every elementwise activation the rules
know (relu, tanh, gelu, ...), by `Net.act`. Its fields are that method's keyword parameters, read from its
signature. A kind that has rules but no builder method (mean, pad_channels) is made with `Net.layer` from
the attribute dataclass its shape rule is annotated with; its fields are that dataclass's fields. So a kind
another module adds needs no change here.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import inspect
import typing
from dataclasses import dataclass
from typing import Callable, Optional

from ..builder import Net
from ...core.rules import known_kinds, rules_for

NOT_LAYERS = {"layer", "graph", "scope", "act"}  # builder methods that make no layer of their own kind
INPUT_PARAMS = {"x": False, "xs": True}  # the builder's name for a method's input -> takes several inputs


@dataclass(frozen=True)
class LayerMaker:
    """How a spec makes one kind: the builder call, its fields (name -> inspect.Parameter), and arity."""

    kind: str
    call: Callable  # call(net, inputs, name=..., **fields) -> the new node's name
    fields: dict
    joins: Optional[bool]  # True: merges several inputs (concat, add); False: one input; None: either

    def required(self) -> list:
        return [n for n, p in self.fields.items() if p.default is inspect.Parameter.empty]


def _activation_kinds() -> set:
    from ...core.rules.activation import ACTIVATION_COST

    return set(ACTIVATION_COST)


def _from_method(kind: str, method) -> LayerMaker | None:
    params = list(inspect.signature(method).parameters.values())[1:]  # drop self
    if not params or params[0].name not in INPUT_PARAMS:
        return None
    fields = {p.name: p for p in params[1:] if p.name != "name" and p.kind is p.POSITIONAL_OR_KEYWORD}

    def call(net, inputs, name=None, **values):
        return getattr(net, kind)(inputs, name=name, **values)

    return LayerMaker(kind, call, fields, INPUT_PARAMS[params[0].name])


def _activation(kind: str) -> LayerMaker:
    inplace = inspect.signature(Net.act).parameters["inplace"]

    def call(net, inputs, name=None, inplace=False):
        return net.act(kind, inputs, inplace=inplace, name=name)

    return LayerMaker(kind, call, {"inplace": inplace}, False)


def _from_attrs(kind: str) -> LayerMaker | None:
    """A kind without a builder method, made from the dataclass its shape rule takes (None if unannotated)."""
    shape_rule = rules_for(kind)["shape"]
    try:
        first = next(iter(inspect.signature(shape_rule).parameters))
        attrs = typing.get_type_hints(shape_rule).get(first)
    except (NameError, TypeError, StopIteration):  # an annotation that does not resolve: no maker
        return None
    if not dataclasses.is_dataclass(attrs):
        return None
    fields = {f.name: inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY,
                                        default=inspect.Parameter.empty if f.default is dataclasses.MISSING
                                        else f.default) for f in dataclasses.fields(attrs)}

    def call(net, inputs, name=None, **values):
        return net.layer(kind, attrs(**values), inputs, name)

    return LayerMaker(kind, call, fields, None)


@functools.lru_cache(maxsize=1)
def makers() -> dict:
    """Every kind a spec can make: kind -> LayerMaker (found once; the rules and builder are fixed by then)."""
    activations = _activation_kinds()
    found = {kind: _activation(kind) for kind in sorted(activations)}
    candidates = set(known_kinds()) | {m for m in dir(Net) if not m.startswith("_") and m not in NOT_LAYERS}
    for kind in sorted(candidates - activations):
        method = getattr(Net, kind, None)
        maker = _from_method(kind, method) if callable(method) else None
        if maker is None and kind in known_kinds():
            maker = _from_attrs(kind)
        if maker is not None:
            found[kind] = maker
    return found


def spec_kinds() -> list:
    """Names of the kinds a spec file can use, sorted."""
    return sorted(makers())


def lookup(kind: str, joining: bool) -> LayerMaker:
    """The maker of `kind`; LookupError with the reason (and the closest kinds) when there is none."""
    table = makers()
    maker = table.get(kind)
    if maker is None:
        if kind in known_kinds():
            raise LookupError(f"layer kind '{kind}' is known to the engine, but neither archcalc.sources.builder.Net "
                              "nor its shape rule's annotation says how to make it, so spec files cannot use it")
        close = difflib.get_close_matches(kind.lower(), list(table), n=3)  # ReLU, Conv2d: torch's spellings
        hint = f"; did you mean {' or '.join(close)}?" if close else f"; known kinds: {', '.join(sorted(table))}"
        raise LookupError(f"unknown layer kind '{kind}'{hint}")
    if maker.joins is True and not joining:
        raise LookupError(f"'{kind}' merges several inputs: use it as the join of a branches or residual entry")
    if joining and maker.joins is False:
        joins = ", ".join(k for k, m in table.items() if m.joins is not False)
        raise LookupError(f"'{kind}' takes one input and cannot join branches (joins: {joins})")
    return maker


def kind_rows() -> list:
    """(kind, its fields with their defaults, what it is) for every kind a spec file can use, sorted."""
    rows = []
    for kind, maker in sorted(makers().items()):
        fields = ", ".join(name if p.default is inspect.Parameter.empty else f"{name}={_shown(name, p.default)}"
                           for name, p in maker.fields.items())
        rows.append((kind, fields, _description(kind)))
    return rows


NONE_MEANS = {"stride": "kernel", "dims": "auto"}  # what a field left out means, where None is its default


def _shown(name: str, value) -> str:
    if value is None:
        return NONE_MEANS.get(name, "null")
    return str(value).lower() if isinstance(value, bool) else str(value)


def _description(kind: str) -> str:
    """The first line of the builder method's docstring, else of the attribute type's, else the family's."""
    if kind in _activation_kinds():
        return "elementwise activation (in place with inplace=true)"
    method = getattr(Net, kind, None)
    doc = inspect.getdoc(method) if callable(method) else None
    if not doc and kind in known_kinds():
        shape_rule = rules_for(kind)["shape"]
        try:
            first = next(iter(inspect.signature(shape_rule).parameters))
            attrs = typing.get_type_hints(shape_rule).get(first)
        except (NameError, TypeError, StopIteration):
            attrs = None
        doc = inspect.getdoc(attrs) if dataclasses.is_dataclass(attrs) else None
    first = " ".join((doc or "").split("\n\n")[0].split())
    return first.split(". ")[0].rstrip(".") + "." if first else ""  # one sentence: a table row, not a page
