"""The MobileNetV2 stage, the SE-ResNet bottleneck, the U-Net, the ConvNeXt and ViT blocks in examples/: every figure equals the torch
module built from the spec (`archcalc verify`), and a few figures are written out as arithmetic, so that the
spec and the torch module built from it cannot share a mistake unseen."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import archcalc
from archcalc.cli import run

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
MODERN = ["mobilenetv2-stage.yaml", "se-resnet-bottleneck.yaml", "unet.yaml", "convnext-block.yaml",
          "vit-tiny-block.yaml"]


@pytest.mark.parametrize("example", MODERN)
def test_example_verifies_against_torch(capsys, example):
    """Shapes, parameters, MACs (FlopCounterMode and fvcore), activation and saved-for-backward bytes of every
    layer equal the torch module's."""
    code = run(["verify", str(EXAMPLES / example), "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and data["ok"], [c for c in data["checks"] if not c.get("ok")][:3]
    assert {c["figure"] for c in data["checks"]} >= {"output shape", "params", "MACs (FlopCounterMode flops / 2)",
                                                     "MACs (fvcore: 1 per MAC)", "saved for backward bytes (saved_tensors_hooks)"}


def analyze(example):
    return archcalc.analyze(str(EXAMPLES / example))


def test_mobilenetv2_stage_arithmetic():
    report = analyze("mobilenetv2-stage.yaml")

    def block(cin, hidden, cout):  # expand 1x1, depthwise 3x3, project 1x1 (no biases); BN: 2 per channel
        return cin * hidden + 2 * hidden + hidden * 9 + 2 * hidden + hidden * cout + 2 * cout

    assert report.totals["params"] == block(24, 6 * 24, 32) + 2 * block(32, 6 * 32, 32)  # 39,696
    # MACs: block 0 expands at 56x56, then its stride-2 depthwise and everything after run at 28x56 -> 28x28
    macs = 56 * 56 * 24 * 144 + 28 * 28 * (144 * 9 + 144 * 32) + 2 * 28 * 28 * (32 * 192 + 192 * 9 + 192 * 32)
    assert report.totals["macs"] == macs
    assert report.layer("0.depthwise").out_shape.as_list() == [144, 28, 28]
    assert report.layer("0.depthwise").params == 144 * 3 * 3  # groups = channels: one 3x3 filter per channel
    assert [layer.name for layer in report.layers if layer.kind == "add"] == ["1.add", "2.add"]  # not block 0
    assert report.layers[-1].out_shape.as_list() == [32, 28, 28]


def test_se_resnet_bottleneck_arithmetic():
    report = analyze("se-resnet-bottleneck.yaml")
    gate = 256 * 16 + 16 + 16 * 256 + 256  # the two FC (1x1 conv) layers of the excitation, with biases
    assert report.layer("se.fc1").params + report.layer("se.fc2").params == gate
    body = 256 * 64 + 64 * 64 * 9 + 64 * 256 + 2 * (64 + 64 + 256)  # three convs without bias, three BNs
    assert report.totals["params"] == body + gate  # 78,864
    assert report.totals["macs"] == 56 * 56 * (256 * 64 + 64 * 64 * 9 + 64 * 256) + 256 * 16 + 16 * 256
    scale = report.layer("se_scale")
    assert scale.kind == "mul" and [str(s) for s in scale.in_shapes] == ["256x56x56", "256x1x1"]
    assert report.layers[-1].out_shape.as_list() == [256, 56, 56]


def test_unet_arithmetic():
    report = analyze("unet.yaml")
    assert report.layers[-1].out_shape.as_list() == [2, 64, 64]
    assert report.layer("skip1").out_shape.as_list() == [16 + 16, 64, 64]  # skip + the path back up
    assert report.layer("skip2").out_shape.as_list() == [32 + 32, 32, 32]

    def conv(cin, cout, k):
        return cin * cout * k * k + cout

    params = (conv(1, 16, 3) + conv(16, 16, 3) + conv(16, 32, 3) + conv(32, 32, 3)   # down 1, 2
              + conv(32, 64, 3) + conv(64, 64, 3)                                   # bottleneck
              + conv(64, 32, 1) + conv(64, 32, 3) + conv(32, 32, 3)                 # up 2: 1x1 after upsample, dec 2
              + (32 * 16 * 2 * 2 + 16) + conv(32, 16, 3) + conv(16, 16, 3)          # up 1: conv_transpose, dec 1
              + conv(16, 2, 1))                                                      # classes
    assert report.totals["params"] == params  # 110,626
    assert report.layer("up1").macs == 32 * 16 * 2 * 2 * 32 * 32  # each input pixel spreads to a 2x2 patch


def test_convnext_block_arithmetic():
    report = archcalc.analyze(str(EXAMPLES / "convnext-block.yaml"))
    c, hidden, hw = 96, 384, 56 * 56
    # per block: depthwise 7x7 with biases, layer norm's weight and bias, the two pointwise layers (linear on
    # channels-last in block 0, 1x1 convs in block 1: the same weights), layer scale
    per_block = (c * 49 + c) + 2 * c + (c * hidden + hidden) + (hidden * c + c) + c
    assert report.totals["params"] == 2 * per_block
    assert report.totals["macs"] == 2 * hw * (c * 49 + c * hidden + hidden * c)
    assert report.layer("block0.gamma").params == c and report.layer("block0.gamma").macs == 0
    assert report.layer("block0.gamma").other_ops == c * hw  # one multiply per element, not a MAC
    assert report.layer("block1.drop_path").activation_elems == 0  # the identity at inference


def test_convnext_block_channels_last_layout():
    """Block 0 permutes to channels last and back: the linear layers see 56x56x96 and the add 96x56x56."""
    report = archcalc.analyze(str(EXAMPLES / "convnext-block.yaml"))
    assert str(report.layer("block0.pwconv1").out_shape) == "56x56x384"
    assert report.layer("block0.pwconv1").out_shape.roles == "SSC"
    assert report.layer("block0.to_channels_first").out_shape.roles == "CSS"
    assert report.layer("block0.pwconv1").macs == report.layer("block1.pwconv1").macs == 56 * 56 * 96 * 384


def test_vit_tiny_block_takes_tokens_and_symbols():
    t, c = 197, 192
    report = archcalc.analyze(str(EXAMPLES / "vit-tiny-block.yaml"))
    assert report.layer("attn").macs == 4 * t * c * c + 2 * t * t * c  # qkv, q k^T, a v, proj
    assert report.totals["params"] == 2 * 2 * c + (4 * c * c + 4 * c) + (c * 4 * c + 4 * c + 4 * c * c + c)
    symbolic = archcalc.analyze(str(EXAMPLES / "vit-tiny-block.yaml"), input="Tx192")
    (token,) = symbolic.totals["macs"].free_symbols
    assert symbolic.totals["macs"].subs(token, t) == report.totals["macs"]
