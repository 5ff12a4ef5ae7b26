"""propagate(graph, input) -> Report: walk the graph once, in order, applying each kind's rules."""

from __future__ import annotations

from ..conventions import FLOPS_PER_MAC, WEIGHTED_KINDS, dtype_bytes
from ..errors import ArchcalcError, InputError, ShapeError
from .ir import INPUT, Graph
from .receptive import input_rf
from .report import LayerStats, Report
from .rules import rules_for
from .shape import Shape, shape_from_tuple, to_plain


def propagate(graph: Graph, input=None, batch: int = 1, dtype: str = "float32") -> Report:
    """Analyse `graph` at `input` (a Shape, a tuple or 'CxHxW'; the graph's default when None)."""
    if input is None:
        input = graph.default_input
        if input is None:
            raise InputError(f"{graph.name}: no input size given and the model has no default")
    x = shape_from_tuple(input) if not isinstance(input, Shape) else input
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise InputError(f"batch {batch!r}: must be a positive integer")
    nbytes = dtype_bytes(dtype)

    shapes = {INPUT: x}
    fields = {INPUT: input_rf(len(x.spatial))}
    depth = {INPUT: 0}
    stats, diagnostics = [], []
    table: dict = {}
    memo: dict = {}  # repeated blocks (ResNet's 36 in one stage) repeat (kind, attrs, inputs): compute once
    for layer in graph.layers:
        rules = table.get(layer.kind) or table.setdefault(layer.kind, rules_for(layer.kind))
        ins = tuple(shapes[name] for name in layer.inputs)
        try:
            key = (layer.kind, layer.attrs, ins)
            figures = memo.get(key)
            if figures is None:
                shaped = rules["shape"](layer.attrs, ins)
                out = shaped.shape
                figures = memo[key] = (shaped, rules["params"](layer.attrs, ins),
                                       rules["macs"](layer.attrs, ins, out),
                                       rules["other_ops"](layer.attrs, ins, out),
                                       rules["activation"](layer.attrs, ins, out))
            shaped, params, macs, other, act = figures
            out = shaped.shape
            rf, rf_note = rules["rf"](layer.attrs, [fields[n] for n in layer.inputs], ins)
        except ArchcalcError as err:
            # a layer read from a spec file remembers where it was written: name the file and line too
            where = graph.extras.get("spec_locations", {}).get(layer.name)
            raise ShapeError(f"{where + ': ' if where else ''}{graph.name}: layer '{layer.name}' ({layer.kind}), input "
                             f"{', '.join(str(i) for i in ins)}: {err}") from None
        notes = shaped.diagnostics
        if rf_note:
            notes = (*notes, ("info", rf_note))
        for level, message in notes:
            diagnostics.append({"level": level, "layer": layer.name, "message": message})
        shapes[layer.name] = out
        fields[layer.name] = rf
        d = 0
        for n in layer.inputs:
            if depth[n] > d:
                d = depth[n]
        depth[layer.name] = d + 1 if layer.kind in WEIGHTED_KINDS else d
        stats.append(LayerStats(layer.name, layer.kind, layer.inputs, ins, out,
                                params.weights, params.biases, params.buffers, macs, other, act, rf,
                                shaped.derivation, tuple(m for _, m in notes) if notes else ()))

    totals = _totals(stats, x, batch, nbytes, max(depth.values()))
    return Report(graph.name, graph.source, x, batch, dtype, nbytes, tuple(stats), totals,
                  tuple(diagnostics), graph.notes)


def _totals(stats, x: Shape, batch: int, nbytes: int, depth: int) -> dict:
    """Sums of the layers; batch-dependent figures for the whole batch."""
    def total(attr):
        value = 0
        for s in stats:
            value = value + getattr(s, attr)
        return to_plain(value)  # no sympy.simplify: on nested floors it costs seconds and gains little

    weights, biases, buffers = total("weights"), total("biases"), total("buffers")
    macs, other, act = total("macs"), total("other_ops"), total("activation_elems")
    params = to_plain(weights + biases)
    return {
        "params": params, "trainable_params": params, "weights": weights, "biases": biases,
        "buffers": buffers,
        "macs": macs * batch, "flops": FLOPS_PER_MAC * macs * batch, "other_ops": other * batch,
        "activation_bytes": act * batch * nbytes, "input_bytes": x.elements * batch * nbytes,
        "param_bytes": params * nbytes, "depth": depth,
    }
