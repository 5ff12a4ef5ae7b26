"""`archcalc memory` and `archcalc plot memory-timeline` through the command line: every term with its unit, the
JSON's terms, the budget's answer proved at B and B + 1, the per-layer table, and bad input as one line."""

from __future__ import annotations

import csv
import io
import json

import pytest

from archcalc.cli import run

F32 = 4
RESNET50_PARAMS = 25_557_032  # torchvision's resnet50, counted in tests/pytorch (sum of p.numel())


def _json(capsys, *argv) -> dict:
    assert run(["memory", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_resnet50_at_batch_32_with_adam_prints_each_term_with_its_unit(capsys):
    assert run(["memory", "resnet50", "--batch", "32", "--optimizer", "adam"]) == 0
    out = capsys.readouterr().out
    for term in ("weights", "gradients", "optimizer state", "saved for backward", "activations at peak",
                 "training step peak", "inference total", "backward, data gradients", "backward, weight gradients"):
        assert term in out, term
    assert f"{RESNET50_PARAMS * F32 / 1e6:,.2f} MB" in out  # the weights, and their gradients
    assert f"{2 * RESNET50_PARAMS * F32 / 1e6:,.2f} MB" in out  # Adam's two copies (+ 161 step counters)


def test_the_json_has_every_term(capsys):
    doc = _json(capsys, "resnet50", "--batch", "32", "--optimizer", "adam")
    t = doc["training"]
    assert t["weights_bytes"] == t["gradients_bytes"] == RESNET50_PARAMS * F32
    # two copies, and a float32 step counter for each of resnet50's 161 parameter tensors (53 conv weights,
    # 53 batch norms' weight and bias, the fc's weight and bias)
    assert t["optimizer_state_bytes"] == 2 * RESNET50_PARAMS * F32 + 4 * (53 + 2 * 53 + 2)
    peak = t["peak"]
    assert t["peak_bytes"] == (t["weights_bytes"] + t["buffers_bytes"] + t["optimizer_state_bytes"]
                               + peak["activations_bytes"] + peak["gradients_bytes"])
    assert doc["backward"]["total_macs"] == doc["backward"]["data_macs"] + doc["backward"]["weight_macs"]
    assert sum(d["saved_bytes"] for d in doc["layers"]) == t["saved_for_backward_bytes"]
    assert doc["inference"]["total_bytes"] == (doc["inference"]["weights_bytes"] + doc["inference"]["buffers_bytes"]
                                               + doc["inference"]["activation_peak_bytes"])
    assert len(doc["timeline"]) > 2 * 50


def test_budget_80gb_gives_a_batch_that_fits_and_the_next_that_does_not(capsys):
    doc = _json(capsys, "resnet50", "--optimizer", "adam", "--budget", "80GB")
    fit = doc["budget"]["training"]
    assert fit["bytes_at_batch"] <= 80 * 10**9 < fit["bytes_at_next_batch"]
    assert fit["bytes_at_batch"] == fit["fixed_bytes"] + fit["per_sample_bytes"] * fit["batch"]
    # the figure at B from a run at B, not from the line
    at = _json(capsys, "resnet50", "--optimizer", "adam", "--batch", str(fit["batch"]))
    assert at["training"]["peak_bytes"] == fit["bytes_at_batch"]
    inference = doc["budget"]["inference"]
    assert inference["bytes_at_batch"] <= 80 * 10**9 < inference["bytes_at_next_batch"]


def test_per_layer_table_sorted_biggest_first_and_csv_in_bytes(capsys):
    assert run(["memory", "vgg16", "--format", "csv", "--sort", "saved"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    saved = [int(r["saved_bytes"]) for r in rows]
    assert saved == sorted(saved, reverse=True)
    # VGG16's first conv keeps its input: 3x224x224 float32; it computes no data gradient (the image needs none)
    conv1 = next(r for r in rows if r["name"] == "features.0")
    assert int(conv1["saved_bytes"]) == 3 * 224 * 224 * F32
    assert int(conv1["backward_data_macs"]) == 0
    assert int(conv1["backward_weight_macs"]) == 64 * 224 * 224 * 3 * 3 * 3
    assert run(["memory", "vgg16", "--sort", "backward", "--top", "3"]) == 0
    assert "Per layer" in capsys.readouterr().out


def test_plot_memory_timeline_writes_a_png(capsys, tmp_path):
    out = tmp_path / "timeline.png"
    assert run(["plot", "memory-timeline", "resnet18", "--batch", "8", "--budget", "2GB", "--out", str(out)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("argv, fragment", [
    (["memory", "resnet50", "--optimizer", "rmsprop"], "rmsprop"),
    (["memory", "vgg16", "--budget", "100MB"], "even batch 1 does not fit in 100.0 MB: the weights alone take "
     f"{138_357_544 * 4 / 1e6:,.1f} MB"),  # VGG16's parameters x 4 bytes
    (["memory", "resnet50", "--budget", "24"], "give a unit, e.g. 24GB"),
    (["memory", "resnet50", "--batch", "0"], "--batch 0: must be a positive integer"),
    (["memory", "resnet50", "--amp", "--dtype", "float32"], "--amp runs activations in float16 or bfloat16"),
    (["memory", "resnet50", "--input", "3xHxW"], "numeric sizes"),
    (["memory", "resnet50", "--top", "0"], "--top 0"),
    (["plot", "memory-timeline", "resnet50", "--optimizer", "lion", "--out", "x.png"], "optimizer 'lion'"),
])
def test_bad_input_is_one_line_and_exit_code_2(capsys, argv, fragment):
    assert run(argv) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("archcalc: error") and fragment in lines[0], lines
