"""Convolution and pooling over 1, 2 and 3 spatial axes: arithmetic written out, and every figure checked by
verify against the torch module built from the graph (Conv1d/3d, MaxPool1d/3d, BatchNorm1d/3d ...)."""

from __future__ import annotations

import pytest

import archcalc
from archcalc import Net
from archcalc.pytorch.verify import verify


def audio_net():
    """An M5-like 1-D network (Dai et al. 2017): a wide strided first conv on raw audio, then 3-wide convs."""
    net = Net("audio", input=(1, 8000))
    x = net.conv(net.input, 32, 80, stride=4, dims=1, name="conv1")
    x = net.relu(net.batchnorm(x, name="bn1"))
    x = net.maxpool(x, 4, dims=1, name="pool1")
    x = net.conv(x, 64, [3], padding=1, name="conv2")  # a one-element list says 1-D too
    x = net.maxpool(x, [4], ceil_mode=True, name="pool2")
    x = net.global_avgpool(x, dims=1, name="gap")
    return net.linear(net.flatten(x), 10, name="fc") and net


def video_net():
    """A C3D-like 3-D network (Tran et al. 2015): 3x3x3 convs, a first pool that keeps time."""
    net = Net("video", input=(3, 8, 32, 32))
    x = net.relu(net.conv(net.input, 16, 3, padding=1, dims=3, name="conv1"))
    x = net.maxpool(x, [1, 2, 2], name="pool1")
    x = net.relu(net.conv(x, 32, [3, 3, 3], padding=[1, 1, 1], name="conv2"))
    x = net.avgpool(x, 2, dims=3, name="pool2")
    x = net.adaptive_maxpool(x, [1, 2, 2], name="amp")
    return net.linear(net.flatten(x), 5, name="fc") and net


def test_conv1d_arithmetic():
    report = archcalc.analyze(audio_net())
    conv1 = report.layer("conv1")
    length = (8000 - 80) // 4 + 1  # 1981
    assert conv1.out_shape.as_list() == [32, length] and conv1.derivation == f"(8000 - 80)/4 + 1 = {length}"
    assert conv1.params == 32 * 1 * 80 + 32 and conv1.macs == length * 32 * 1 * 80
    pool2 = report.layer("pool2")
    assert pool2.out_shape.as_list() == [64, -(-(1981 // 4) // 4)]  # ceil mode: ceil(495 / 4) = 124
    assert report.layer("gap").rf.is_global and report.layer("conv2").rf.size == (80 + (4 - 1) * 4 + (3 - 1) * 16,)  # jumps 4, then 16


def test_conv3d_arithmetic():
    report = archcalc.analyze(video_net())
    conv2 = report.layer("conv2")
    assert conv2.out_shape.as_list() == [32, 8, 16, 16]
    assert conv2.params == 32 * 16 * 27 + 32 and conv2.macs == 8 * 16 * 16 * 32 * 16 * 27
    assert report.layer("pool1").derivation == "D: (8 - 1)/1 + 1 = 8; H: (32 - 2)/2 + 1 = 16; W: (32 - 2)/2 + 1 = 16"
    assert report.layer("amp").out_shape.as_list() == [32, 1, 2, 2]


@pytest.mark.parametrize("make", [audio_net, video_net], ids=["1-D", "3-D"])
@pytest.mark.parametrize("batch", [1, 2])
def test_every_figure_equals_torch(make, batch):
    result = verify(make().graph(), batch=batch)
    assert result.ok, [c for c in result.checks if not c.ok][:3]
    assert len(result.checks) > 30  # shapes, params, MACs, activation bytes per layer; saved bytes in total


def test_a_2d_network_refuses_a_1d_input(capsys):
    from archcalc.cli import run

    assert run(["summary", "resnet18", "--input", "3x224"]) == 2
    assert "expects a 2-D feature map" in capsys.readouterr().err


@pytest.mark.parametrize("dims", [0, 4, True])
def test_dims_is_1_2_or_3(dims):
    net = Net("n", input=(1, 8))
    with pytest.raises(archcalc.ArchcalcError, match="dims must be 1, 2 or 3"):
        net.conv(net.input, 2, 3, dims=dims)


@pytest.mark.parametrize("example", ["m5-audio.yaml", "c3d.yaml"])
def test_examples_verify_against_torch(capsys, example):
    """`archcalc verify examples/X` passes: shapes, parameters, MACs (FlopCounterMode and fvcore), activation
    and saved-for-backward bytes of every layer equal the torch module's."""
    import json
    from pathlib import Path

    from archcalc.cli import run

    path = Path(__file__).resolve().parents[2] / "examples" / example
    code = run(["verify", str(path), "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and data["ok"]
    assert {c["figure"] for c in data["checks"]} >= {"output shape", "params", "MACs (FlopCounterMode flops / 2)",
                                                     "MACs (fvcore: 1 per MAC)", "saved for backward bytes (saved_tensors_hooks)"}


def test_c3d_figures_as_arithmetic():
    from pathlib import Path

    report = archcalc.analyze(str(Path(__file__).resolve().parents[2] / "examples" / "c3d.yaml"))
    widths = [(3, 64), (64, 128), (128, 256), (256, 256), (256, 512), (512, 512), (512, 512), (512, 512)]
    convs = sum(o * i * 27 + o for i, o in widths)
    fcs = 8192 * 4096 + 4096 + 4096 * 4096 + 4096 + 4096 * 487 + 487
    assert report.totals["params"] == convs + fcs
    assert report.layer("pool5").out_shape.as_list() == [512, 1, 4, 4]  # (7 + 2 - 2)/2 + 1 = 4 on H and W
