"""The receptive field of a stack, a layer list, a zoo model or a spec file, layer by layer (`archcalc rf`).

analyse() parses or resolves the spec, runs the engine and returns a FieldAnalysis: the report, the layer
whose field is asked about (--layer, or the last layer), the layers that change the field, and, for a stack
read up to its last layer, the comparison with one kernel of the same field. Plain data: the rendering is
archcalc.output.receptive_field's; the measurement on a real torch model is archcalc.pytorch.empirical_field's,
which measurement() prepares the arguments of.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from ..core.report import json_value, last_local_layer
from ..errors import InputError, UnknownModelError


@dataclass(frozen=True)
class FieldAnalysis:
    """What `rf` reports on: the spec, its parsed stack (None for a model), graph and report, the chosen layer."""

    spec: str
    stack: Any  # archcalc.sources.stack.StackSpec, or None
    graph: Any
    report: Any
    layer: str  # the layer whose field is reported: --layer, or the last layer
    explicit: bool  # whether --layer named it
    comparison: Any = None  # KernelComparison of a stack read to its end, else None
    block: Optional[str] = None  # the block --layer named, whose last layer is `layer`; None for a layer

    @property
    def layers(self) -> list:
        """The report's layers up to and including the chosen one."""
        out = []
        for s in self.report.layers:
            out.append(s)
            if s.name == self.layer:
                break
        return out

    def last_feature_map(self):
        """The last layer up to the chosen one whose field is local (None when there is none)."""
        return last_local_layer(self.layers)

    def changes(self, every: bool = False) -> list:
        """The layers that change the field or merge branches, and the last one (every layer with `every`)."""
        fields = {"input": None}
        shown = []
        layers = self.layers
        for i, s in enumerate(layers):
            before = [fields.get(n) for n in s.inputs]
            fields[s.name] = s.rf
            changed = len(s.inputs) != 1 or before[0] != s.rf
            if every or changed or i == len(layers) - 1:
                shown.append(s)
        return shown

    def reported(self) -> tuple:
        """(layer, whether it stands in for the chosen one): the chosen layer, or, when its field is the whole
        input, the last feature map before it (None when there is none)."""
        s = self.report.layer(self.layer)
        if not s.rf.is_global:
            return s, False
        last = self.last_feature_map()
        return last, last is not None

    def diagnostics(self) -> list:
        """The engine's informational notes on the layers up to the chosen one."""
        names = {s.name for s in self.layers}
        return [d for d in self.report.diagnostics if d["level"] == "info" and d["layer"] in names]

    def measurement(self, input: Optional[str]) -> tuple:
        """(model, layer, input) for archcalc.pytorch.empirical_field.measure_field: without --layer the last
        feature map, since past global pooling there is no field to measure; a symbolic input is left to it."""
        from ..core.shape import is_symbolic, parse_input
        from ..sources.stack import build_graph

        x = parse_input(input) if input else None
        if x is not None and any(is_symbolic(d) for d in x.as_list()):
            x = None  # a symbolic size cannot run: let the measurement choose one
        if self.stack is not None:
            model = build_graph(self.stack, x.channels if x is not None else 3, name=self.report.model)
        else:
            model = self.spec
        last = self.last_feature_map()
        layer = self.layer if self.explicit else (last.name if last is not None else None)
        return model, layer, tuple(x.as_list()) if x is not None else None

    def to_json(self, measured=None) -> dict:
        """The analysis as JSON (schema 1); `measured` is an EmpiricalField or None."""
        r = self.report
        layers = [{"name": s.name, "kind": s.kind, "inputs": list(s.inputs),
                   "output_shape": [json_value(d) for d in s.out_shape.as_list()],
                   "receptive_field": s.rf.to_json(), "effective_padding": list(s.rf.padding)}
                  for s in self.layers]
        final = r.layer(self.layer).rf
        return {
            "schema": 1, "spec": self.spec, "form": self.stack.form if self.stack else "model",
            "model": r.model, "input": [json_value(d) for d in r.input.as_list()], "layers": layers,
            "field": {"layer": self.layer, "block": self.block, **final.to_json(),
                      "effective_padding": list(final.padding)},
            "comparison": self.comparison.to_json() if self.comparison is not None else None,
            "empirical": measured.to_json() if measured is not None else None,
            "diagnostics": [dict(d) for d in r.diagnostics],
        }


def _graph(spec: str, input: Optional[str]) -> tuple:
    """(stack or None, graph, input) of a stack, a layer list, a zoo name or a spec file."""
    from ..core.shape import parse_input
    from ..sources import resolve
    from ..sources.stack import build_graph, is_layer_list, is_stack, parse

    if is_stack(spec) or is_layer_list(spec):
        stack = parse(spec)
        # a stack keeps its size (stride 1): symbolic H, W read best; a layer list strides, so a number
        x = parse_input(input or ("CxHxW" if stack.form == "stack" else "Cx224x224"))
        return stack, build_graph(stack, x.channels), x
    try:
        return None, resolve(spec, input), input
    except UnknownModelError as err:
        raise UnknownModelError(f"{err} (or give a stack such as 3x3x3, or a layer list such as "
                                "conv3,pool2s2)") from None


def analyse(spec: str, input: Optional[str] = None, layer: Optional[str] = None) -> FieldAnalysis:
    """Parse or resolve the spec and run the engine (no torch); `layer` must name one of its layers."""
    from ..core.engine import propagate
    from ..sources.stack import compare_with_single_kernel

    stack, graph, x = _graph(spec, input)
    report = propagate(graph, x)
    names = [s.name for s in report.layers]
    asked, layer = layer, block_layer(report.model, names, layer) if layer is not None else None
    chosen = layer or names[-1]
    # the one-kernel comparison holds for a whole stack: the field of its last layer
    comparison = compare_with_single_kernel(stack, report) if stack is not None and chosen == names[-1] else None
    return FieldAnalysis(spec, stack, graph, report, chosen, layer is not None, comparison,
                         asked if asked != layer else None)


def block_layer(model: str, names: list, layer: str) -> str:
    """The layer `layer` names: itself, or for a block (a dotted prefix such as layer1 or features) its last
    layer in network order; else an InputError naming the closest layers and blocks."""
    if layer in names:
        return layer
    inside = [n for n in names if n.startswith(layer + ".")]
    if inside:
        return inside[-1]
    import difflib

    blocks = list(dict.fromkeys(".".join(n.split(".")[:i]) for n in names for i in range(1, n.count(".") + 1)))
    close = difflib.get_close_matches(layer, blocks + names, n=4)
    if close:
        hint = f"; did you mean {', '.join(close)}?"
    else:
        top = list(dict.fromkeys(n.split(".")[0] for n in names))
        hint = f"; its top-level layers and blocks: {', '.join(top[:12])}{', ...' if len(top) > 12 else ''}"
    raise InputError(f"--layer {layer}: {model} has no layer or block of that name{hint}")
