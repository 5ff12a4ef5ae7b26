"""LayerStats and Report: the engine's result, with totals, JSON (schema 2) and a pandas DataFrame."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Optional

from ..conventions import FLOPS_PER_MAC
from .shape import formula_text, to_plain

SCHEMA = 2  # 2: each shape says its axes' roles ("output_roles", "input_roles")


def json_value(value: Any) -> Any:
    """ints and floats as they are; a sympy number as int; a symbolic expression as its text."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    value = to_plain(value)
    if isinstance(value, int):
        return value
    if getattr(value, "is_Number", False):
        return float(value)
    return _formula_text(value)


@lru_cache(maxsize=8192)
def _formula_text(value) -> str:
    """sympy's printing is the cost of a symbolic report: a repeated formula (every block of a stage has the
    same shapes) is printed once, and its parts once across formulas (formula_text)."""
    return formula_text(value)


@dataclass(slots=True)  # not frozen: a frozen dataclass's __init__ costs a third of the engine's time
class LayerStats:
    """Figures of one layer for ONE sample (the Report scales by batch where a figure depends on it)."""

    name: str
    kind: str
    inputs: tuple
    in_shapes: tuple
    out_shape: Any
    weights: Any
    biases: Any
    buffers: Any
    macs: Any
    other_ops: Any
    activation_elems: Any
    rf: Any
    derivation: str = ""
    notes: tuple = ()

    @property
    def params(self):
        """Trainable parameters: weights + biases."""
        return self.weights + self.biases

    @property
    def flops(self):
        return FLOPS_PER_MAC * self.macs


@dataclass(frozen=True)
class Report:
    """The analysis of one model at one input, batch and dtype."""

    model: str
    source: str
    input: Any  # Shape
    batch: int
    dtype: str
    bytes_per_element: int
    layers: tuple
    totals: dict
    diagnostics: tuple = ()
    notes: tuple = field(default_factory=tuple)

    def layer(self, name: str) -> LayerStats:
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise KeyError(name)

    def layer_json(self, s: LayerStats) -> dict:
        b, nbytes = self.batch, self.bytes_per_element
        rf = s.rf.to_json() if s.rf is not None else None
        return {
            "name": s.name, "kind": s.kind, "inputs": list(s.inputs),
            "output_shape": [json_value(d) for d in s.out_shape.as_list()], "output_roles": s.out_shape.roles,
            "params": json_value(s.params), "weights": json_value(s.weights), "biases": json_value(s.biases),
            "buffers": json_value(s.buffers),
            "macs": json_value(s.macs * b), "flops": json_value(s.flops * b),
            "other_ops": json_value(s.other_ops * b),
            "activation_bytes": json_value(s.activation_elems * b * nbytes),
            "receptive_field": rf, "derivation": s.derivation,
        }

    def to_dict(self) -> dict:
        return {
            "schema": SCHEMA, "model": self.model, "source": self.source,
            "input": [json_value(d) for d in self.input.as_list()], "input_roles": self.input.roles,
            "batch": self.batch, "dtype": self.dtype,
            "layers": [self.layer_json(s) for s in self.layers],
            "totals": {k: json_value(v) for k, v in self.totals.items()},
            "diagnostics": [dict(d) for d in self.diagnostics],
        }

    def to_json(self, indent: Optional[int] = None) -> str:
        """The report as JSON (schema 2); compact by default (the C encoder; indent costs 5x the time)."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def to_pandas(self):
        """One row per layer; figures for the whole batch, memory in bytes."""
        import pandas as pd

        rows = []
        for d in (self.layer_json(s) for s in self.layers):
            rf = d.pop("receptive_field")
            d["output_shape"] = "x".join(str(x) for x in d["output_shape"])
            d["inputs"] = ",".join(d["inputs"])
            d["rf_size"] = "x".join(str(x) for x in rf["size"]) if rf and None not in rf["size"] else \
                ("global" if rf else "")
            rows.append(d)
        return pd.DataFrame(rows).set_index("name")


@dataclass(frozen=True)
class Row:
    """A line of a summary table: one layer, or a block of layers folded under a common name prefix."""

    name: str
    kind: str
    layers: int
    out_shape: Any
    params: Any
    macs: Any
    other_ops: Any
    activation_elems: Any
    rf: Any
    derivation: str


def fold(report: Report, depth: Optional[int] = None) -> list:
    """Rows of the report; with `depth`, layers whose dotted name is deeper are summed under its prefix."""
    rows: list = []
    for s in report.layers:
        parts = s.name.split(".")
        key = ".".join(parts[:depth]) if depth and len(parts) > depth else None
        if key is None:
            rows.append(Row(s.name, s.kind, 1, s.out_shape, s.params, s.macs, s.other_ops, s.activation_elems,
                            s.rf, s.derivation))
            continue
        last = rows[-1] if rows else None
        if last is not None and last.name == key:
            rows[-1] = Row(key, "block", last.layers + 1, s.out_shape, last.params + s.params,
                           last.macs + s.macs, last.other_ops + s.other_ops,
                           last.activation_elems + s.activation_elems, s.rf, "")
        else:
            rows.append(Row(key, "block", 1, s.out_shape, s.params, s.macs, s.other_ops, s.activation_elems,
                            s.rf, ""))
    return rows


def last_local_layer(layers):
    """The last of `layers` whose receptive field is not yet the whole input and that still has spatial axes:
    the last feature map before global pooling or a fully connected layer. None when there is none."""
    for s in reversed(list(layers)):
        if s.rf is not None and not s.rf.is_global and s.out_shape.spatial:
            return s
    return None
