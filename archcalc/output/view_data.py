"""The data behind `archcalc view`: one JSON-ready document per model, and the page's document around them.

A model's document holds its totals, conventions, notes and one entry per layer with exactly the figures of
`archcalc summary MODEL --json` (Report.layer_json: whole batch, base units), in the texts the summary table
shows (output shape, kernel, receptive field). The page (output/view_page.py) draws it; folding layers into
blocks is the page's job, at each model's "depth": null draws every layer, N >= 1 draws the layers whose
dotted name has more than N parts as the block of their first N parts (expandable). The page's own "depth"
follows the same rule: --depth as given (0: null), or with the automatic default the models' common depth
(the shallowest when they differ, so that no model draws more than AUTO_NODES nodes and AUTO_EDGES edges).

Per-layer forward times come from `archcalc bench MODEL --per-layer --json`: its per-layer rows carry the
analytic layer names, which are the names here (the built module's names are archcalc's layer names).
"""

from __future__ import annotations

from typing import Optional

from ..conventions import FLOPS_PER_MAC
from ..core.report import Report, json_value
from ..errors import InputError
from .numbers import field
from .summary import grouped_diagnostics, kernels

COLORS = ("macs", "params", "activation", "rf", "time")
CONVENTIONS = (f"MACs = conv, linear and matrix-product multiply-accumulates; FLOPs = {FLOPS_PER_MAC} x MACs; "
               "MB = 10^6 bytes; figures for the whole batch; activation = each layer's output once")
TOTALS = ("params", "macs", "flops", "other_ops", "activation_bytes", "input_bytes", "param_bytes", "depth")
# the largest graph drawn by default: GoogLeNet's 197 layers and 224 edges draw whole; ResNet-152 (515 layers)
# folds into its blocks; DenseNet's concatenations (1,926 edges between DenseNet-201's 123 dense layers, each
# across many ranks: 18 s of layout in Chromium) fold into its dense blocks
AUTO_NODES, AUTO_EDGES = 250, 400


def fold_key(name: str, depth: int) -> str:
    """The node `name` is drawn in at fold `depth`: itself (depth 0, or a name with at most `depth` parts), else
    its first `depth` dotted parts (the block)."""
    parts = name.split(".")
    return name if not depth or len(parts) <= depth else ".".join(parts[:depth])


def node_count(names, depth: int) -> int:
    """How many nodes the layers `names` make at fold `depth`."""
    return len({fold_key(n, depth) for n in names})


def edge_count(layers, depth: int) -> int:
    """How many edges the layers, (name, inputs) pairs, make between distinct nodes at fold `depth`."""
    return len({(fold_key(src, depth), fold_key(name, depth)) for name, inputs in layers for src in inputs}
               - {(node, node) for node in {fold_key(name, depth) for name, _ in layers}})


def auto_depth(layers, nodes: int = AUTO_NODES, edges: int = AUTO_EDGES) -> int:
    """The fold depth drawn by default for `layers`, (name, inputs) pairs: 0 (every layer) when they make at
    most `nodes` nodes and `edges` edges; else the deepest fold depth that does; 1 when none does."""
    layers = [(name, tuple(inputs)) for name, inputs in layers]
    names = [name for name, _ in layers]
    deepest = max((len(n.split(".")) for n in names), default=1)
    for depth in (0, *range(deepest - 1, 0, -1)):
        if node_count(names, depth) <= nodes and edge_count(layers, depth) <= edges:
            return depth
    return 1


def _rf_size(rf):
    """The largest axis of a finite receptive field in pixels (a number for the colour scale); None for a global
    field or none."""
    if rf is None or rf.is_global:
        return None
    return json_value(max(rf.size))


def _notes(report: Report) -> list:
    """The report's notes, then its warnings once per message (an SE network's gate warning once); the
    engine's 'note' diagnostics (a size floored) are in the layers' arithmetic already."""
    return [*report.notes, *(f"{level} {where}: {message}"
                             for level, where, message in grouped_diagnostics(report, ("warning",)))]


def view_document(report: Report, graph, bench_times: Optional[dict] = None, depth: Optional[int] = None) -> dict:
    """One model's document (see the module's docstring); `bench_times`: {layer name: median ms}, a layer
    without a time gets None; `depth`: --depth (None: auto_depth; 0: every layer)."""
    kernel = kernels(graph)
    times = bench_times or {}
    layers = []
    for s in report.layers:
        row = report.layer_json(s)
        layers.append({
            "name": s.name, "kind": s.kind, "inputs": list(s.inputs), "output": str(s.out_shape),
            "kernel": kernel.get(s.name, ""), "params": row["params"], "macs": row["macs"], "flops": row["flops"],
            "other_ops": row["other_ops"], "activation_bytes": row["activation_bytes"], "rf": field(s.rf),
            "rf_size": _rf_size(s.rf), "arithmetic": s.derivation,
            "time_ms": times.get(s.name) if bench_times is not None else None,
        })
    names = [s.name for s in report.layers]
    chosen = auto_depth((s.name, s.inputs) for s in report.layers) if depth is None else depth
    return {
        "model": report.model, "source": report.source, "input": str(report.input), "batch": report.batch,
        "dtype": report.dtype, "totals": {k: json_value(report.totals[k]) for k in TOTALS if k in report.totals},
        "notes": _notes(report), "conventions": CONVENTIONS,
        "depth": chosen or None,
        "layers": layers, "output": graph.output if graph is not None else (names[-1] if names else "input"),
    }


def view_page_document(docs: list, color: str, depth: Optional[int]) -> dict:
    """The page's document: its title, the colour figure, the fold depth (null: every layer; from --depth
    `depth`, 0 for every layer, or with None the models' own), and the models side by side on one colour
    scale."""
    if color not in COLORS:
        raise InputError(f"--color {color}: must be one of {', '.join(COLORS)}")
    if depth is None:  # automatic: the models' depth, the shallowest (fewest nodes) where they differ
        depth = min((d["depth"] for d in docs if d.get("depth")), default=None)
    title = "archcalc view: " + ", ".join(f"{d['model']} at {d['input']}" for d in docs)
    return {"title": title, "color": color, "depth": depth or None, "models": list(docs)}


# bench's rows of the time no module took, and of modules no layer matched (pytorch/layer_timing.py)
OUTSIDE, UNMATCHED = "(outside hooked modules)", "(modules with no analytic layer)"
RUN_BENCH = "run `archcalc bench {model} --per-layer --json > FILE` and give that file"


def bench_times(doc, model: str, names: tuple, batch: int) -> tuple:
    """({layer name: median ms}, note) of `model` from a parsed `archcalc bench --per-layer --json` document.

    The result is the one whose "model" is `model` or one of `names` (the name given, the report's), at
    `batch` where measured, else the first with per-layer times. InputError (one line) when the document is
    not bench's or holds no per-layer times for the model."""
    if not isinstance(doc, dict) or doc.get("kind") != "bench" or not isinstance(doc.get("results"), list):
        raise InputError("--bench: not the JSON of `archcalc bench --json`; " + RUN_BENCH.format(model=model))
    wanted = {model, *names}
    found = [r for r in doc["results"] if isinstance(r, dict) and r.get("model") in wanted
             and isinstance(r.get("per_layer"), list)]
    if not found:
        raise InputError(f"--bench: no per-layer times for {model} in the file; " + RUN_BENCH.format(model=model))
    result = next((r for r in found if r.get("batch") == batch), found[0])
    rows = [row for row in result["per_layer"] if isinstance(row, dict) and "name" in row]
    times = {row["name"]: row.get("measured_ms") for row in rows if row.get("measured_ms") is not None}
    outside = times.pop(OUTSIDE, None)
    times.pop(UNMATCHED, None)
    note = (f"time: median ms per layer measured by archcalc bench on {doc.get('device_name') or 'a device'} "
            f"({doc.get('device', '')}), batch {result.get('batch')}, {result.get('dtype')}; hooked modules only "
            "(functional ops such as add and concat have no time" +
            (f"; together {outside:.3f} ms outside hooked modules)" if outside is not None else ")"))
    if result.get("batch") != batch:
        note += f"; the page's figures are for batch {batch}"
    return times, note
