"""The elementwise kinds (mul, mish, identity, drop_path, and add broadcasting) against their torch twins:
verify() passes at batch 1 and 2, and what autograd saves matches the engine's estimate exactly, layer by
layer (verify's 1% tolerance on the total would hide a mask of a few bytes)."""

from __future__ import annotations

import pytest
import torch

import archcalc
from archcalc.analyses.backward_memory import saved_for_backward
from archcalc.pytorch.build import build_module
from archcalc.pytorch.measured_memory import saved_tensor_bytes
from archcalc.pytorch.verify import verify

C, H, W, R = 16, 8, 8, 4  # trunk channels, spatial size, SE reduced channels


def se_block(inplace=False):
    """conv -> global_avgpool -> conv(reduce) -> relu -> conv(expand) -> sigmoid -> mul with the trunk."""
    net = archcalc.Net("se", input=(3, H, W))
    x = net.conv(net.input, C, 3, padding=1, name="trunk")
    g = net.global_avgpool(x, name="squeeze")
    g = net.conv(g, R, 1, name="reduce")
    g = net.relu(g, name="relu")
    g = net.conv(g, C, 1, name="expand")
    g = net.act("sigmoid", g, name="gate")
    net.mul([x, g], inplace=inplace, name="scale")
    return net


def residual_drop_path(p=0.2):
    net = archcalc.Net("stochastic_depth", input=(C, H, W))
    x = net.conv(net.input, C, 3, padding=1, name="conv")
    x = net.mish(x, name="mish")
    x = net.drop_path(x, p, name="drop")
    net.add([x, net.input], name="join")
    return net


def mish_identity(inplace=False):
    net = archcalc.Net("mish_identity", input=(3, H, W))
    x = net.conv(net.input, C, 3, padding=1, name="conv")
    x = net.identity(x, name="alias")
    net.mish(x, inplace=inplace, name="mish")
    return net


def bias_and_scale():
    """timm-style layer scale and an SE-style bias: a Cx1x1 map broadcast over CxHxW by mul and by add."""
    net = archcalc.Net("scale", input=(3, H, W))
    x = net.conv(net.input, C, 3, padding=1, name="conv")
    g = net.global_avgpool(x, name="pool")
    y = net.mul([x, g], name="scale")
    y = net.add([y, g], name="bias")
    net.add([y, g], inplace=True, name="bias_inplace")
    return net


NETS = {"se": se_block, "se_inplace": lambda: se_block(True), "drop_path": residual_drop_path,
        "drop_path_p0": lambda: residual_drop_path(0.0), "mish_identity": mish_identity,
        "mish_inplace": lambda: mish_identity(True), "broadcast": bias_and_scale}


@pytest.mark.parametrize("batch", [1, 2])
@pytest.mark.parametrize("which", sorted(NETS))
def test_verify_passes(which, batch):
    result = verify(NETS[which]().graph(), batch=batch)
    assert result.ok, [c for c in result.checks if not c.ok]


@pytest.mark.parametrize("batch", [1, 2])
@pytest.mark.parametrize("which", sorted(NETS))
def test_saved_bytes_are_exact_layer_by_layer(which, batch):
    graph = NETS[which]().graph()
    report = archcalc.analyze(graph, batch=batch)
    estimate = saved_for_backward(graph, report, "cpu")
    built = build_module(graph, device="meta")
    measured = saved_tensor_bytes(built, tuple(report.input.as_list()), batch, built.layer_modules)
    assert estimate.total_bytes == measured.activation_bytes
    assert {k: v for k, v in estimate.by_layer.items() if v} == {k: v for k, v in measured.by_layer.items() if v}


def test_se_block_figures():
    report = archcalc.analyze(se_block())
    rows = {s.name: s for s in report.layers}
    assert report.totals["params"] == (3 * 9 * C + C) + (C * R + R) + (R * C + C)  # the three convs
    assert rows["scale"].out_shape.as_list() == [C, H, W]
    assert rows["scale"].macs == 0
    assert rows["scale"].other_ops == C * H * W
    assert rows["scale"].activation_elems == C * H * W
    assert rows["squeeze"].rf.is_global and rows["scale"].rf == rows["trunk"].rf  # 3x3: the gated map's field
    assert "gate" in " ".join(rows["scale"].notes)  # the field is the gated map's; the note says why


def test_drop_path_saves_one_mask_element_per_sample():
    graph = residual_drop_path(0.5).graph()
    report = archcalc.analyze(graph, batch=2)
    estimate = saved_for_backward(graph, report, "cpu")
    assert estimate.by_layer["drop"] == 2 * 1 * 4  # batch x one float32 per sample
    assert archcalc.analyze(graph).totals["other_ops"] == archcalc.analyze(
        residual_drop_path(0.0).graph()).totals["other_ops"]  # the identity at inference


def test_drop_path_module_is_the_identity_in_eval_and_rescales_in_training():
    module = build_module(residual_drop_path(0.5).graph())
    drop = module.layer_modules["drop"]
    x = torch.ones(64, C, 2, 2)
    assert drop.eval()(x) is x
    y = drop.train()(x)
    kept = y.flatten(1).amax(1)
    assert set(kept.tolist()) <= {0.0, 2.0}  # a whole sample dropped, or kept and scaled by 1 / (1 - p)
    assert (y == kept.view(-1, 1, 1, 1)).all()
