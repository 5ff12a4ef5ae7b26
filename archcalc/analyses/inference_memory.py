"""Analytic inference peak: the most activation bytes alive at once in one forward pass, walking in order.

Model: layers run in graph order; a layer's output is allocated while its inputs are still alive, and a
tensor is freed right after its last consumer (what Python's reference counting does in a hand-written
forward). A layer whose activation rule adds no memory (an in-place op, a view, inference dropout) shares
its first input's storage, which then lives until the last use of either. The input counts; parameters,
op workspaces and temporaries inside an op (cuDNN workspaces, LRN's intermediates) do not: the figure is
a lower bound of what an allocator shows above the parameters. Bytes for the whole batch. No torch here.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core.ir import INPUT, Graph


@dataclass(frozen=True)
class InferencePeak:
    """Peak activation bytes (whole batch), the layer at which it occurs, and the storages alive then."""

    peak_bytes: object
    at_layer: str
    alive: tuple


def _larger(a, b) -> bool:
    try:
        return bool(a > b)
    except TypeError:  # symbolic sizes: sympy cannot always order them
        return False


def inference_peak(graph: Graph, report) -> InferencePeak:
    """The inference peak of `graph` as analysed in `report` (same batch and dtype)."""
    nbytes, batch = report.bytes_per_element, report.batch
    stats = {s.name: s for s in report.layers}
    storage = {INPUT: INPUT}
    size = {INPUT: report.input.elements * nbytes * batch}
    last_use: dict = {INPUT: -1}
    for i, layer in enumerate(graph.layers):
        s = stats[layer.name]
        if s.activation_elems == 0 and layer.inputs:
            storage[layer.name] = storage[layer.inputs[0]]  # in place or a view: the input's storage
        else:
            storage[layer.name] = layer.name
            size[layer.name] = s.out_shape.elements * nbytes * batch
        for src in layer.inputs:
            last_use[storage[src]] = i
        last_use.setdefault(storage[layer.name], i)
        last_use[storage[layer.name]] = max(last_use[storage[layer.name]], i)
    final = storage[graph.output]
    alive: dict = {INPUT: size[INPUT]}
    peak, at, at_alive = size[INPUT], INPUT, (INPUT,)
    for i, layer in enumerate(graph.layers):
        name = storage[layer.name]
        if name not in alive:
            alive[name] = size[name]
        current = 0
        for value in alive.values():
            current = current + value
        if _larger(current, peak):
            peak, at, at_alive = current, layer.name, tuple(alive)
        for name in [n for n in alive if last_use.get(n, -1) <= i and n != final]:
            del alive[name]
    return InferencePeak(peak, at, at_alive)


def inference_memory(model, input=None, batch: int = 1, dtype: str = "float32") -> InferencePeak:
    """inference_peak of a zoo name, Net, Graph or spec file at `input` (its default when None)."""
    from ..sources import resolve
    from ..core.engine import propagate

    graph = resolve(model, input)
    return inference_peak(graph, propagate(graph, input, batch, dtype))
