"""The data document behind `archcalc view`: its layers are `archcalc summary --json`'s layers (names, figures,
the same texts the summary table shows), the automatic fold depth, and per-layer times mapped from a bench JSON
written as `archcalc bench --per-layer --json` writes it."""

from __future__ import annotations

import json

import pytest

from archcalc.cli import run
from archcalc.core.engine import propagate
from archcalc.errors import InputError
from archcalc.output.view_data import (AUTO_EDGES, AUTO_NODES, auto_depth, bench_times, edge_count, fold_key,
                                       node_count, view_document, view_page_document)
from archcalc.sources import resolve


def _document(model: str, input=None, batch: int = 1, times=None, depth=None) -> dict:
    graph = resolve(model, input)
    return view_document(propagate(graph, input, batch, "float32"), graph, times, depth)


def _summary_json(capsys, model: str, *argv) -> dict:
    assert run(["summary", model, "--json", *argv]) == 0
    return json.loads(capsys.readouterr().out)


def _rf_text(rf) -> str:
    """The receptive field as summary's RF column writes it, from the JSON's sizes."""
    if rf is None:
        return ""
    if None in rf["size"]:
        return "global"
    return str(rf["size"][0]) if len(set(rf["size"])) == 1 else "x".join(str(s) for s in rf["size"])


@pytest.mark.parametrize("model", ["resnet18", "googlenet"])
def test_layers_are_the_summary_json_layers(capsys, model):
    """Same layers in the same order, same inputs and figures (batch 2: the figures are the batch's), the
    output shape and receptive field as the summary table writes them."""
    expected = _summary_json(capsys, model, "--batch", "2")
    doc = _document(model, batch=2)
    assert [l["name"] for l in doc["layers"]] == [l["name"] for l in expected["layers"]]
    for got, want in zip(doc["layers"], expected["layers"]):
        for key in ("kind", "inputs", "params", "macs", "flops", "other_ops", "activation_bytes"):
            assert got[key] == want[key], (got["name"], key)
        assert got["arithmetic"] == want["derivation"]
        assert got["output"] == "x".join(str(d) for d in want["output_shape"])
        assert got["rf"] == _rf_text(want["receptive_field"])
        assert got["time_ms"] is None
    for key in ("params", "macs", "flops", "activation_bytes", "param_bytes", "depth"):
        assert doc["totals"][key] == expected["totals"][key]
    assert (doc["model"], doc["input"], doc["batch"], doc["dtype"]) == (model, "3x224x224", 2, "float32")
    assert doc["output"] == expected["layers"][-1]["name"] == "fc"


def test_kernel_rf_and_conventions_of_alexnet():
    """AlexNet's first conv is 11x11 stride 4 (Krizhevsky et al. 2012): kernel 'k11 s4', field 11; its 3x3
    stride-2 pool after it: field 11 + (3 - 1) * 4 = 19; the classifier's last layer is the output."""
    doc = _document("alexnet")
    first, pool = doc["layers"][0], doc["layers"][2]
    assert (first["kind"], first["kernel"], first["rf"], first["rf_size"]) == ("conv", "k11 s4", "11", 11)
    assert (pool["kind"], pool["kernel"], pool["rf"]) == ("maxpool", "k3 s2", "19")
    assert doc["layers"][-1]["kernel"] == "" and doc["output"] == doc["layers"][-1]["name"]
    assert "FLOPs = 2 x MACs" in doc["conventions"] and "MB = 10^6 bytes" in doc["conventions"]
    assert doc["layers"][0]["inputs"] == ["input"]


def test_notes_carry_the_warnings_not_the_floor_notes():
    """AlexNet at 227: conv1 gives (227 + 2*2 - 11)/4 + 1 = 56 exactly, the 3x3 stride-2 pool after it
    (56 - 3)/2 + 1 = 27.5 -> 27: its last input pixel is never seen, a warning the page shows; at 224 the
    engine only notes floors (55.25 -> 55, padding left over), which the layers' arithmetic already says."""
    notes = _document("alexnet", input="3x227x227")["notes"]
    assert [n for n in notes if n.startswith("warning")] == [n for n in notes if "features.2" in n]
    assert len(notes) == 1 and "(56 - 3)/2 + 1 = 27.5 -> 27" in notes[0]
    assert _document("alexnet")["notes"] == []


def test_symbolic_input_gives_formulas_as_text():
    """At 3xHxW the figures are formulas (strings), the parameters still numbers."""
    doc = _document("resnet18", input="3xHxW")
    assert isinstance(doc["totals"]["macs"], str) and "H" in doc["totals"]["macs"]
    assert doc["totals"]["params"] == _document("resnet18")["totals"]["params"]
    assert "H" in doc["input"]


def test_googlenet_is_drawn_whole_by_default():
    """GoogLeNet's 197 layers are under the automatic limit: depth null, every layer its own node."""
    doc = _document("googlenet")
    assert len(doc["layers"]) == 197 <= AUTO_NODES
    assert doc["depth"] is None and node_count([l["name"] for l in doc["layers"]], 0) == 197


def test_densenet201_is_folded_by_default():
    """DenseNet-201's 711 layers: at depth 3 one node per dense layer (6 + 12 + 48 + 32 = 98 of them, 7 layers
    each: concat, then norm, relu, conv twice) and the 711 - 98 * 7 = 25 shallower layers: 123 nodes, few
    enough, but each dense layer reads every earlier one of its block: L(L+1)/2 edges into a block of L
    layers (21 + 78 + 1176 + 528 = 1803), the block's concat reads its input and its L layers (7 + 13 + 49 + 33
    = 102), and 21 edges chain the rest (stem 4, transitions 3 x 4, norm5 and the 4 of the head): 1926, too
    many; depth 2 draws the 16 top-level blocks and layers as one chain: 16 edges, the first from the input."""
    doc = _document("densenet201")
    layers = [(l["name"], l["inputs"]) for l in doc["layers"]]
    names = [name for name, _ in layers]
    assert len(names) == 711 > AUTO_NODES
    assert node_count(names, 3) == 98 + (711 - 98 * 7) == 123 <= AUTO_NODES
    assert edge_count(layers, 3) == 1803 + 102 + 21 == 1926 > AUTO_EDGES
    assert node_count(names, 2) == edge_count(layers, 2) == 16
    assert doc["depth"] == 2
    assert fold_key("features.denseblock1.denselayer1.norm1", 3) == "features.denseblock1.denselayer1"


def test_auto_depth_picks_the_deepest_folding_under_the_limits():
    """Names a.b.c.d in a chain: 8 layers, 8 edges (the first from the input); at most 8 nodes -> every layer;
    at most 4 -> depth 3 (4 nodes); at most 2 -> depth 2; at most 1 -> depth 1; at most 0 -> still depth 1,
    the coarsest folding there is. The edges limit the same way: at most 4 edges -> depth 3."""
    names = [f"a.{b}.{c}.{d}" for b in "xy" for c in "pq" for d in "12"]
    layers = list(zip(names, [("input",), *[(n,) for n in names[:-1]]]))
    assert [auto_depth(layers, n) for n in (8, 4, 2, 1, 0)] == [0, 3, 2, 1, 1]
    assert auto_depth(layers, 8, 4) == 3 and auto_depth(layers, 8, 8) == 0
    assert node_count(names, 3) == edge_count(layers, 3) == 4 and node_count(names, 1) == 1


def test_given_depth_is_kept_and_0_is_every_layer():
    assert _document("googlenet", depth=1)["depth"] == 1
    assert _document("densenet201", depth=0)["depth"] is None


def test_page_depth_is_the_models_shallowest_unless_given():
    """Automatic: GoogLeNet beside AlexNet, both whole: every layer (null); GoogLeNet (whole) beside ResNet-152
    at 3 and DenseNet-201 at 2: the shallowest, 2, so that no model draws more than its limits; a given --depth
    is the page's, 0 meaning every layer."""
    googlenet, alexnet, densenet = _document("googlenet"), _document("alexnet"), _document("densenet201")
    resnet = _document("resnet152", depth=3)  # as given: 3, deeper than DenseNet-201's 2
    assert view_page_document([googlenet, alexnet], "macs", None)["depth"] is None
    assert view_page_document([googlenet, resnet, densenet], "macs", None)["depth"] == 2
    assert view_page_document([googlenet, densenet], "macs", 3)["depth"] == 3
    assert view_page_document([densenet], "macs", 0)["depth"] is None


def _fake_bench(model: str, times: dict, batch: int = 1) -> dict:
    """A document shaped as `archcalc bench --per-layer --json` writes it (pytorch/bench.py, layer_timing.py)."""
    rows = [{"name": n, "kind": "conv", "flops": 0, "bytes_moved": 0, "limiter": None, "roofline_ms": None,
             "measured_ms": ms, "roofline_ratio": None} for n, ms in times.items()]
    rows += [{"name": "(modules with no analytic layer)", "kind": "", "flops": None, "bytes_moved": None,
              "limiter": None, "roofline_ms": None, "measured_ms": 0.0, "roofline_ratio": None},
             {"name": "(outside hooked modules)", "kind": "", "flops": None, "bytes_moved": None, "limiter": None,
              "roofline_ms": None, "measured_ms": 0.25, "roofline_ratio": None}]
    return {"schema": 1, "kind": "bench", "device": "cpu", "device_name": "Test CPU", "torch": "2",
            "peaks": None, "notes": [],
            "results": [{"model": model, "batch": batch, "dtype": "float32", "median_ms": 1.0,
                         "per_layer": rows, "per_layer_total_ms": 1.5}]}


def test_bench_times_land_on_their_layers():
    """Measured layers get their median ms; a layer bench did not time (None, or absent) gets None; the
    'outside hooked modules' time is said in the note, not put on a layer."""
    bench = _fake_bench("lenet5", {"c1": 0.5, "c3": 0.125, "f6": None})
    times, note = bench_times(bench, "lenet5", ("lenet5",), 1)
    doc = _document("lenet5", times=times)
    got = {l["name"]: l["time_ms"] for l in doc["layers"]}
    assert got["c1"] == 0.5 and got["c3"] == 0.125
    assert got["f6"] is None and got["s2"] is None
    assert "Test CPU" in note and "0.250 ms outside hooked modules" in note and "batch 1" in note


def test_bench_result_at_the_pages_batch_is_preferred():
    one, eight = _fake_bench("lenet5", {"c1": 1.0}), _fake_bench("lenet5", {"c1": 8.0}, batch=8)
    both = {**one, "results": one["results"] + eight["results"]}
    assert bench_times(both, "lenet5", (), 8)[0]["c1"] == 8.0
    times, note = bench_times(both, "lenet5", (), 4)  # not measured at 4: the first, said in the note
    assert times["c1"] == 1.0 and "figures are for batch 4" in note


def test_bench_without_per_layer_times_says_what_to_run():
    bench = _fake_bench("alexnet", {"features.0": 1.0})
    with pytest.raises(InputError, match=r"archcalc bench lenet5 --per-layer --json"):
        bench_times(bench, "lenet5", ("lenet5",), 1)
    del bench["results"][0]["per_layer"]
    with pytest.raises(InputError, match="per-layer"):
        bench_times(bench, "alexnet", (), 1)
    with pytest.raises(InputError, match="not the JSON of `archcalc bench"):
        bench_times({"kind": "compare"}, "alexnet", (), 1)


def test_page_document_holds_the_models_and_checks_the_colour():
    docs = [_document("lenet5"), _document("alexnet")]
    page = view_page_document(docs, "params", None)
    assert [m["model"] for m in page["models"]] == ["lenet5", "alexnet"]
    assert (page["color"], page["depth"]) == ("params", None)  # both small: every layer
    assert "lenet5" in page["title"] and "alexnet" in page["title"]
    json.dumps(page)  # JSON-ready as it is
    with pytest.raises(InputError, match="--color flops"):
        view_page_document(docs, "flops", None)
