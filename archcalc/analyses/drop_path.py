"""Expected training-time cost under random path dropping: stochastic depth and FractalNet's drop-path.

At test time these networks run every layer (the engine's report). During training, joins drop some of
their inputs at random, and a layer whose output reaches the network's output by no surviving path need not
run. This module computes, exactly, the expected conv + linear MACs of the layers that do run, and the
expected depth (weighted layers on the longest surviving path), from the schedule a zoo builder stores in
`Graph.extras["drop_path"]`:

    {"scheme": "text",
     "keep": {join layer: (keep probability of input 0, of input 1, ...)},   # independent per input
     "at_least_one": bool,        # local drop-path: an outcome with every input dropped is re-drawn
     "columns": {join layer: (column of input 0, ...)}, "num_columns": C,   # FractalNet only
     "global_share": g}           # FractalNet only: share of batches using global drop-path

Global drop-path keeps one column, drawn uniformly, for the whole network; FractalNet's mix is
(1 - g) x local + g x global.

Method (exact, no sampling): walk the layers from the output back to the input, carrying the probability
distribution of "which not-yet-visited layers are needed, and the longest weighted path from each to the
output". A join branches the distribution over its keep outcomes; a layer's MACs count with the probability
that it is needed. The distribution stays small because few tensors are alive across any point of these
networks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import product as outcomes

from ..core.engine import propagate
from ..errors import ArchcalcError
from ..core.ir import INPUT, Graph
from ..core.rules import is_weighted


class NoDropPathError(ArchcalcError):
    """The model has no random path dropping to take an expectation over."""


@dataclass(frozen=True)
class ExpectedCost:
    """Test-time and expected training-time conv + linear MACs (batch 1) and depth, per sampling mode."""

    model: str
    scheme: str
    test_macs: int
    test_depth: int
    expected_macs: float           # the scheme's overall expectation (FractalNet: the local/global mix)
    expected_depth: float
    modes: dict = field(default_factory=dict)  # mode name -> (expected MACs, expected depth)

    @property
    def macs_ratio(self) -> float:
        """Expected training MACs over test-time MACs."""
        return self.expected_macs / self.test_macs


def _layer_outcomes(layer, keep: dict, at_least_one: bool) -> list:
    """[(probability, kept input names)] for one layer: all inputs with certainty, unless it is a join."""
    probs = keep.get(layer.name)
    if probs is None:
        return [(1.0, layer.inputs)]
    if len(probs) != len(layer.inputs):
        raise ArchcalcError(f"drop-path schedule: join '{layer.name}' has {len(layer.inputs)} inputs but "
                            f"{len(probs)} keep probabilities")
    result, total = [], 0.0
    for mask in outcomes((True, False), repeat=len(probs)):
        if at_least_one and not any(mask):
            continue
        p = 1.0
        for kept, q in zip(mask, probs):
            p *= q if kept else 1 - q
        if p > 0:
            result.append((p, tuple(name for name, kept in zip(layer.inputs, mask) if kept)))
            total += p
    return [(p / total, names) for p, names in result]  # re-drawing an all-dropped outcome renormalises


def expected_under(graph: Graph, macs: dict, keep: dict, at_least_one: bool) -> tuple:
    """(expected MACs, expected depth) for independent keep probabilities `keep` at the joins.

    `macs` maps each layer name to its MACs. Exact: a distribution over the needed-frontier, walked backwards.
    """
    # state: tuple of sorted (node, longest weighted path from the node's output to the network's output)
    states = {((graph.output, 0),): 1.0}
    expected_macs = 0.0
    for layer in reversed(graph.layers):
        weight = 1 if is_weighted(layer.kind) else 0
        branches = None
        new_states: dict = {}
        for state, q in states.items():
            needed = dict(state)
            downstream = needed.pop(layer.name, None)
            if downstream is None:  # nothing after this layer survives: it does not run
                new_states[state] = new_states.get(state, 0.0) + q
                continue
            expected_macs += q * macs[layer.name]
            if branches is None:
                branches = _layer_outcomes(layer, keep, at_least_one)
            for p, kept in branches:
                after = dict(needed)
                for name in kept:
                    after[name] = max(after.get(name, -1), downstream + weight)
                key = tuple(sorted(after.items()))
                new_states[key] = new_states.get(key, 0.0) + q * p
        states = new_states
    expected_depth = sum(q * dict(state).get(INPUT, 0) for state, q in states.items())
    return expected_macs, expected_depth


def expected_cost(graph: Graph, input=None) -> ExpectedCost:
    """Test-time and expected training-time MACs and depth of a graph with a drop-path schedule."""
    schedule = graph.extras.get("drop_path")
    if not schedule:
        raise NoDropPathError(f"{graph.name}: no stochastic depth or drop-path schedule; the training-time "
                              "cost equals the test-time cost")
    report = propagate(graph, input)
    macs = {s.name: s.macs for s in report.layers}
    keep, at_least_one = schedule["keep"], schedule.get("at_least_one", False)
    local = expected_under(graph, macs, keep, at_least_one)
    modes = {"local" if "columns" in schedule else "stochastic": local}
    overall = local
    if "columns" in schedule:
        per_column = []
        for c in range(1, schedule["num_columns"] + 1):
            # keep only column c's input at the joins it passes through; the other joins are never reached
            only_c = {j: tuple(1.0 if col == c else 0.0 for col in cols) if c in cols else (1.0,) * len(cols)
                      for j, cols in schedule["columns"].items()}
            per_column.append(expected_under(graph, macs, only_c, False))
            modes[f"column {c}"] = per_column[-1]
        columns = len(per_column)
        global_ = (sum(m for m, _ in per_column) / columns, sum(d for _, d in per_column) / columns)
        modes["global"] = global_
        g = schedule.get("global_share", 0.5)
        overall = ((1 - g) * local[0] + g * global_[0], (1 - g) * local[1] + g * global_[1])
        modes["mixed"] = overall
    return ExpectedCost(graph.name, schedule.get("scheme", ""), report.totals["macs"], report.totals["depth"],
                        overall[0], overall[1], modes)
