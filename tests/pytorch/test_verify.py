"""archcalc verify: exit codes, the per-layer report, and a wrong analytic figure caught and named."""

from __future__ import annotations

import json

import pytest

import torch

from archcalc.cli import run  # noqa: E402
from archcalc.core.rules import rules_for  # noqa: E402


def test_verify_vgg16_passes(capsys):
    # Issue 5: `archcalc verify vgg16` passes on the CPU.
    assert run(["verify", "vgg16"]) == 0
    out = capsys.readouterr().out
    assert "features.28" in out and "FAIL" not in out


def test_verify_json_has_every_check(capsys):
    assert run(["verify", "residual-bottleneck", "--json", "--batch", "2"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is True and data["batch"] == 2
    figures = {c["figure"] for c in data["checks"]}
    assert {"output shape", "params", "MACs (FlopCounterMode flops / 2)", "MACs (fvcore: 1 per MAC)",
            "activation bytes (forward hooks)", "saved for backward bytes (saved_tensors_hooks)"} <= figures
    conv2 = next(r for r in data["layers"] if r["layer"] == "conv2")
    # 3x3 conv, 64 -> 64 channels on 28x28, batch 2
    assert conv2["flop_counter_macs"] == 2 * 28 * 28 * 64 * 3 * 3 * 64


def test_a_wrong_rule_fails_with_the_layer_named(monkeypatch, capsys):
    conv = rules_for("conv")
    right = conv["macs"]
    monkeypatch.setitem(conv, "macs", lambda a, ins, out: right(a, ins, out) + 1)  # one MAC too many
    assert run(["verify", "residual-basic", "--no-fvcore"]) == 1
    out = capsys.readouterr().out
    assert "FAIL residual-basic: layer conv1: MACs (FlopCounterMode flops / 2)" in out


def test_a_wrong_shape_rule_fails(monkeypatch, capsys):
    from archcalc.core.rules import ShapeOut
    from archcalc.core.shape import Shape

    pool = rules_for("maxpool")
    right = pool["shape"]

    def off_by_one(a, ins):
        good = right(a, ins)
        return ShapeOut(Shape(good.shape.channels, tuple(d + 1 for d in good.shape.spatial)), good.derivation)

    monkeypatch.setitem(pool, "shape", off_by_one)
    assert run(["verify", "alexnet-paper", "--no-fvcore"]) == 1
    assert "layer pool1: output shape" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["verify", "vgg17"], "unknown model 'vgg17'"),
    (["verify", "vgg16", "--batch", "0"], "--batch 0"),
    (["verify"], "give exactly one of"),
    (["verify", "alexnet", "--all"], "give exactly one of"),
    (["verify", "alexnet", "--input", "3xHxW"], "numeric sizes"),
])
def test_bad_input_is_one_line_and_exit_2(argv, message, capsys):
    assert run(argv) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")
def test_cuda_peaks_within_tolerance(capsys):
    assert run(["verify", "alexnet", "--device", "cuda", "--no-fvcore"]) == 0


def test_cuda_refused_without_gpu(capsys):
    if torch.cuda.is_available():
        pytest.skip("a CUDA device is present")
    assert run(["verify", "alexnet", "--device", "cuda"]) == 2
    assert "no CUDA device" in capsys.readouterr().err


def test_lecture_text_uses_the_real_models(capsys):
    from archcalc.pytorch.torchvision_models import build_torchvision

    assert run(["verify", "--lecture"]) == 0
    out = capsys.readouterr().out
    googlenet = sum(p.numel() for p in build_torchvision("googlenet").parameters())
    alexnet = sum(p.numel() for p in build_torchvision("alexnet").parameters())
    assert f"{googlenet:,}" in out and f"{alexnet:,}" in out
    assert "(227 - 11)/4 + 1 = 55" in out  # the lecture's own arithmetic for conv1
