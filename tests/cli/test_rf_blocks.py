"""`archcalc rf --layer BLOCK`: a block name (a dotted prefix) reports the field at the block's last layer;
a name that is neither a layer nor a block is one line on stderr, exit 2, with close names."""

from __future__ import annotations

import json

import pytest

from archcalc.cli import run


def _json(capsys, *args):
    assert run(["rf", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def _field(layers) -> int:
    """Receptive field of (kernel, stride) layers in order: each adds (k - 1) x the jump before it."""
    rf, jump = 1, 1
    for k, s in layers:
        rf, jump = rf + (k - 1) * jump, jump * s
    return rf


def test_resnet_stage_reports_its_last_layer(capsys):
    """layer1 of resnet18: conv1 7x7/2, maxpool 3x3/2, then four 3x3 convs (two basic blocks)."""
    data = _json(capsys, "resnet18", "--layer", "layer1")
    field = data["field"]
    assert field["block"] == "layer1" and field["layer"].startswith("layer1.")
    assert data["layers"][-1]["name"] == field["layer"]  # the table stops at the block's end
    assert field["size"] == [_field([(7, 2), (3, 2)] + [(3, 1)] * 4)] * 2 == [43, 43]
    assert field["jump"] == [4, 4]


def test_vgg_features_block_is_its_last_pool(capsys):
    """features of vgg16: thirteen 3x3 convs in stages of 2, 2, 3, 3, 3, each stage closed by a 2x2/2 pool."""
    layers = []
    for convs in (2, 2, 3, 3, 3):
        layers += [(3, 1)] * convs + [(2, 2)]
    field = _json(capsys, "vgg16", "--layer", "features")["field"]
    assert field["layer"] == "features.30" and field["size"] == [_field(layers)] * 2 == [212, 212]


def test_table_names_the_block(capsys):
    assert run(["rf", "resnet18", "--layer", "layer2"]) == 0
    out = capsys.readouterr().out
    assert "(the last layer of block layer2)" in out


def test_a_layer_name_is_still_a_layer(capsys):
    """An exact layer name wins over a block: no block is reported."""
    field = _json(capsys, "resnet18", "--layer", "layer1.0.conv1")["field"]
    assert field["layer"] == "layer1.0.conv1" and field["block"] is None


@pytest.mark.parametrize("name, words", [
    ("layr1", ["layr1", "did you mean", "layer1"]),
    ("layer", ["layer", "did you mean"]),  # a prefix not ending at a dot names no block
    ("zzzz", ["zzzz", "top-level", "conv1", "layer4", "fc"]),
])
def test_unknown_name_is_one_line_with_close_names(capsys, name, words):
    assert run(["rf", "resnet18", "--layer", name]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert all(w in err for w in words), err
