"""propagate(graph, input) -> Report: walk the graph once, in order, applying each kind's rules."""

from __future__ import annotations

from ..conventions import FLOPS_PER_MAC, dtype_bytes
from ..errors import ArchcalcError, InputError, ShapeError
from .ir import INPUT, Graph
from .receptive import input_rf
from .report import LayerStats, Report
from .rules import NO_PARAMS, is_weighted, kind_flags, rules_for
from .shape import Shape, shape_from_tuple, to_plain


def propagate(graph: Graph, input=None, batch: int = 1, dtype: str = "float32") -> Report:
    """Analyse `graph` at `input` (a Shape, a tuple or 'CxHxW'; the graph's default when None)."""
    if input is None:
        input = graph.default_input
        if input is None:
            raise InputError(f"{graph.name}: no input size given and the model has no default")
    x = _with_roles(graph, shape_from_tuple(input) if not isinstance(input, Shape) else input)
    channel_note = _check_channels(graph, x)
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise InputError(f"batch {batch!r}: must be a positive integer")
    nbytes = dtype_bytes(dtype)

    shapes = {INPUT: x}
    fields = {INPUT: input_rf(len(x.spatial))}
    depth = {INPUT: 0}
    stats, diagnostics = [], ([channel_note] if channel_note else [])
    table: dict = {}  # kind -> (its rules, whether it counts for depth)
    memo: dict = {}  # repeated blocks (ResNet's 36 in one stage) repeat (kind, attrs, inputs): compute once
    shared = graph.extras.get("shared") or {}  # a module called again: its parameters counted once
    for layer in graph.layers:
        entry = table.get(layer.kind)
        if entry is None:
            entry = table[layer.kind] = (rules_for(layer.kind), is_weighted(layer.kind),
                                         kind_flags(layer.kind).any_layout)
        rules, weighted, any_layout = entry
        ins = tuple(shapes[name] for name in layer.inputs)
        try:
            if not any_layout:
                _check_layout(ins)
            shaped, params, macs, other, act = _figures(rules, layer, ins, memo)
            if layer.name in shared:
                params = NO_PARAMS
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
        out = shapes[layer.name] = shaped.shape
        fields[layer.name] = rf
        depth[layer.name] = max(depth[n] for n in layer.inputs) + (1 if weighted else 0)
        stats.append(LayerStats(layer.name, layer.kind, layer.inputs, ins, out,
                                params.weights, params.biases, params.buffers, macs, other, act, rf,
                                shaped.derivation, tuple(m for _, m in notes) if notes else ()))

    totals = _totals(stats, x, batch, nbytes, max(depth.values()))
    _torch_totals(totals, graph.extras.get("torch_params") or {}, nbytes)
    return Report(graph.name, graph.source, x, batch, dtype, nbytes, tuple(stats), totals,
                  tuple(diagnostics), graph.notes)


def _torch_totals(totals: dict, torch_params: dict, nbytes: int) -> None:
    """What an imported torch module adds to its layers' totals: parameters of modules the forward never
    calls, MACs spent once per forward on parameters alone, and which parameters are frozen."""
    unused = torch_params.get("unused", 0)  # in modules the forward never calls (an auxiliary head)
    if unused:
        totals["params"] = to_plain(totals["params"] + unused)
        totals["param_bytes"] = to_plain(totals["params"] * nbytes)
    once = torch_params.get("param_macs", 0)  # on parameters alone (a relative position MLP): once, any batch
    if once:
        totals["macs"] = to_plain(totals["macs"] + once)
        totals["flops"] = to_plain(totals["flops"] + FLOPS_PER_MAC * once)
    frozen = torch_params.get("frozen", 0)  # requires_grad False (a frozen backbone): counted, not trainable
    totals["trainable_params"] = to_plain(totals["params"] - frozen)


def _figures(rules: dict, layer, ins: tuple, memo: dict) -> tuple:
    """(shape result, params, MACs, other ops, activation elements) of one layer; the same (kind, attributes,
    input shapes) is computed once per analysis."""
    key = (layer.kind, layer.attrs, ins)
    figures = memo.get(key)
    if figures is None:
        shaped = rules["shape"](layer.attrs, ins)
        out = shaped.shape
        figures = memo[key] = (shaped, rules["params"](layer.attrs, ins), rules["macs"](layer.attrs, ins, out),
                               rules["other_ops"](layer.attrs, ins, out), rules["activation"](layer.attrs, ins, out))
    return figures


def _check_layout(ins: tuple) -> None:
    """Conv, pooling, batch norm and the like take channels-first tensors only, as torch's do."""
    for x in ins:
        if not x.channels_first:
            raise ShapeError(f"takes a channels-first tensor (C, CxL, CxHxW or CxDxHxW); this one is {x.layout()}: "
                             "permute or reshape it back first")


def _with_roles(graph: Graph, x: Shape) -> Shape:
    """An input given as sizes takes the model's layout (a ViT block's tokens x channels); the rank must match."""
    roles = graph.input_roles
    if not roles or x.roles == roles:
        return x
    if x.rank != len(roles):
        words = Shape(dims=(1,) * len(roles), roles=roles).layout()
        example = "x".join(str(d) for d in graph.default_input) if graph.default_input else ""
        raise InputError(f"{graph.name} takes a {len(roles)}-axis input ({words}{', e.g. ' + example if example else ''})"
                         f"; {x} has {x.rank} axes")
    return Shape(dims=x.dims, roles=roles)


def _check_channels(graph: Graph, x: Shape):
    """A network written for C input channels refuses another count (its first weights have C inputs), as
    torch does; a spec file's layers follow the input instead (Graph.channels_free), and a note says so."""
    at = (graph.input_roles or "C").find("C")
    if not graph.default_input or at < 0 or not isinstance(graph.default_input[at], int):
        return None
    expected = graph.default_input[at]
    if graph.channels_free:
        if x.channels == expected:
            return None
        return {"level": "info", "layer": INPUT, "message": f"the spec's input has {expected} channels; its "
                f"first layers take the {x.channels} of this input instead (a spec leaves them free)"}
    if x.channels != expected:
        raise InputError(f"{graph.name} takes {expected} input channel{'s' if expected != 1 else ''} (its first "
                         f"layers were written for {expected}); input {x} has {x.channels}")
    return None


def _totals(stats, x: Shape, batch: int, nbytes: int, depth: int) -> dict:
    """Sums of the layers; batch-dependent figures for the whole batch."""
    def total(attr):
        numbers, formulas = 0, {}
        for s in stats:
            value = getattr(s, attr)
            if isinstance(value, int):
                numbers += value
            else:  # repeated blocks give the same formula objects: count them, sympy multiplies once
                formulas[value] = formulas.get(value, 0) + 1
        if not formulas:
            return numbers
        import sympy

        # one Add of every term: adding them one by one re-flattens a growing sum, quadratic in the layers;
        # no sympy.simplify either: on nested floors it costs seconds and gains little
        terms = [f if n == 1 else n * f for f, n in formulas.items()]
        return to_plain(sympy.Add(*terms, numbers))

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
