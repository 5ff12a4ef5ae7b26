"""Expected training-time MACs and depth under stochastic depth and FractalNet's drop-path.

Expected values are arithmetic over the papers' schedules, or an independent brute-force enumeration of
every drop outcome (the module under test walks a distribution instead)."""

from __future__ import annotations

from itertools import product

import pytest

import archcalc
from archcalc.sources import zoo
from archcalc.analyses.drop_path import NoDropPathError, expected_cost, expected_under
from archcalc.sources.zoo.stochastic import survival_probabilities


def test_survival_probabilities_decay_linearly_to_p_last():
    # Huang et al. 2016, Eq. 4: p_l = 1 - l/L (1 - p_L)
    p = survival_probabilities(54, 0.5)
    assert p[0] == pytest.approx(1 - 1 / 54 * 0.5) and p[-1] == pytest.approx(0.5)
    assert p[26] == pytest.approx(1 - 27 / 54 * 0.5)


def _stochastic_depth_110_macs():
    """Block MACs of the 110-layer CIFAR ResNet, as arithmetic: (always-run MACs, [MACs of block l])."""
    stage1 = 2 * 32 * 32 * 3 * 3 * 16 * 16
    stage2_first = 16 * 16 * 3 * 3 * 16 * 32 + 16 * 16 * 3 * 3 * 32 * 32
    stage2 = 2 * 16 * 16 * 3 * 3 * 32 * 32
    stage3_first = 8 * 8 * 3 * 3 * 32 * 64 + 8 * 8 * 3 * 3 * 64 * 64
    stage3 = 2 * 8 * 8 * 3 * 3 * 64 * 64
    blocks = [stage1] * 18 + [stage2_first] + [stage2] * 17 + [stage3_first] + [stage3] * 17
    always = 32 * 32 * 3 * 3 * 3 * 16 + 64 * 10  # the stem conv and the FC
    return always, blocks


def test_stochastic_depth_110_expected_macs_and_depth():
    always, blocks = _stochastic_depth_110_macs()
    p = [1 - l / 54 * 0.5 for l in range(1, 55)]
    cost = expected_cost(archcalc.resolve("stochastic-depth-110"))
    assert cost.test_macs == always + sum(blocks)
    assert cost.expected_macs == pytest.approx(always + sum(pl * b for pl, b in zip(p, blocks)), rel=1e-12)
    # Huang et al. 2016, Sec. 3: E(L~) = (3L - 1)/4 blocks survive (about 40 of 54); two convs per block
    assert cost.expected_depth == pytest.approx(2 + 2 * (3 * 54 - 1) / 4)
    assert cost.test_depth == 110


def _brute_force(graph, macs, keep):
    """Enumerate every joint outcome of the local drop-path joins (each with at least one input kept)."""
    joins = list(keep)
    choices = []
    for j in joins:
        n = len(keep[j])
        choices.append([m for m in product((True, False), repeat=n) if any(m)])
    weights = {}
    expected_macs = expected_depth = 0.0
    by_name = {layer.name: layer for layer in graph.layers}
    for combo in product(*choices):
        prob = 1.0
        kept = {}
        for j, mask in zip(joins, combo):
            for k, q in zip(mask, keep[j]):
                prob *= q if k else 1 - q
            kept[j] = [name for name, k in zip(by_name[j].inputs, mask) if k]
        weights[combo] = prob
        # needed layers and the longest weighted path to the output, by a plain backward search
        longest = {graph.output: 0}
        for layer in reversed(graph.layers):
            if layer.name not in longest:
                continue
            w = 1 if layer.kind in ("conv", "linear") else 0
            for src in kept.get(layer.name, layer.inputs):
                longest[src] = max(longest.get(src, -1), longest[layer.name] + w)
        expected_macs += prob * sum(macs[n] for n in longest if n in macs)
        expected_depth += prob * longest["input"]
    total = sum(weights.values())  # each join's outcomes are renormalised to exclude "all dropped"
    return expected_macs / total, expected_depth / total


@pytest.mark.parametrize("columns", [2, 3, 4])
def test_local_drop_path_equals_brute_force_enumeration(columns):
    graph = zoo.get("fractal-block").graph(columns=columns, out_channels=8)
    report = archcalc.analyze(graph, input=(64, 8, 8))  # 64: the channels the block is written for
    macs = {s.name: s.macs for s in report.layers}
    keep = graph.extras["drop_path"]["keep"]
    got = expected_under(graph, macs, keep, at_least_one=True)
    want = _brute_force(graph, macs, keep)
    assert got[0] == pytest.approx(want[0], rel=1e-12) and got[1] == pytest.approx(want[1], rel=1e-12)


def test_fractalnet_global_drop_path_runs_one_column():
    # global drop-path (Larsson et al. 2017, Sec. 3.1) keeps one column: column c has 2^(c-1) convs a block
    widths, cost_by_column = (64, 128, 256, 512, 512), []
    for c in (1, 2, 3):
        macs, cin, size = 512 * 10, 3, 32
        for w in widths:
            convs = 2 ** (c - 1)
            macs += size * size * 3 * 3 * (cin * w + (convs - 1) * w * w)
            cin, size = w, size // 2
        cost_by_column.append(macs)
    cost = expected_cost(archcalc.resolve("fractalnet-c3-b5"))
    for c, macs in enumerate(cost_by_column, start=1):
        assert cost.modes[f"column {c}"][0] == macs
        assert cost.modes[f"column {c}"][1] == 5 * 2 ** (c - 1) + 1
    assert cost.modes["global"][0] == pytest.approx(sum(cost_by_column) / 3)
    # the paper's mix: half local, half global
    mixed = 0.5 * cost.modes["local"][0] + 0.5 * cost.modes["global"][0]
    assert cost.expected_macs == pytest.approx(mixed)
    assert cost.modes["column 3"][0] < cost.test_macs  # test time runs every column


def test_models_without_a_schedule_are_refused():
    with pytest.raises(NoDropPathError, match="resnet18"):
        expected_cost(archcalc.resolve("resnet18"))
