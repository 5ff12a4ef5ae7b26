"""slice and channel_shuffle against torch: small graphs built as torch modules and checked by verify (shape,
parameters, MACs, activation and saved-for-backward bytes of every layer), the saved tensors of each twin
read with saved_tensors_hooks, and the ShuffleNet V2 unit of examples/ verified through the CLI."""

import json
from pathlib import Path

import pytest
import torch

import archcalc
from archcalc import Net
from archcalc.cli import run
from archcalc.core.ir import ChannelShuffle, Slice
from archcalc.pytorch.makers import maker_of
from archcalc.pytorch.verify import verify

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "shufflenetv2-unit.yaml"


def shuffle_net():
    """A split, one half convolved, concat, shuffle, and a slice of the result; also a 1-D shuffle."""
    net = Net("plumbing", input=(8, 6, 6))
    left, right = net.split(net.input, [4, 4], name="split")
    right = net.conv(right, 4, 3, padding=1, bias=False, name="conv")
    right = net.batchnorm(right, name="bn")
    x = net.concat([left, right], name="concat")
    x = net.channel_shuffle(x, 2, name="shuffle")
    x = net.slice(x, 2, 8, name="tail")
    x = net.conv(x, 6, 1, name="head")
    net.channel_shuffle(x, 3, name="shuffle3")
    return net


def shuffle_1d():
    net = Net("plumbing-1d", input=(6, 10))
    x = net.conv(net.input, 6, 3, padding=1, groups=3, dims=1, name="gconv")
    x = net.channel_shuffle(x, 3, name="shuffle")
    net.slice(x, 0, 3, name="half")
    return net


@pytest.mark.parametrize("batch", [1, 2])
@pytest.mark.parametrize("make", [shuffle_net, shuffle_1d], ids=lambda f: f.__name__)
def test_verify(make, batch):
    result = verify(make().graph(), batch=batch)
    assert result.ok, [(c.layer, c.figure, c.analytic, c.measured) for c in result.failures()]


def test_twins_compute_the_slice_and_the_shuffle():
    x = torch.arange(2 * 6 * 2 * 2, dtype=torch.float32).reshape(2, 6, 2, 2)
    sliced = maker_of("slice")(Slice(1, 4), [x])(x)
    assert torch.equal(sliced, x[:, 1:4]) and sliced.untyped_storage().data_ptr() == x.untyped_storage().data_ptr()
    shuffled = maker_of("channel_shuffle")(ChannelShuffle(3), [x])(x)
    assert torch.equal(shuffled, torch.nn.ChannelShuffle(3)(x))
    assert torch.equal(shuffled[:, :, 0, 0] // 4 % 6, torch.tensor([[0, 2, 4, 1, 3, 5]] * 2))


@pytest.mark.parametrize("kind, attrs", [("slice", Slice(1, 4)), ("channel_shuffle", ChannelShuffle(2))])
def test_twins_save_nothing_for_backward(kind, attrs):
    x = torch.randn(2, 6, 3, 3, requires_grad=True)
    saved = []
    with torch.autograd.graph.saved_tensors_hooks(lambda t: saved.append(t) or t, lambda t: t):
        y = maker_of(kind)(attrs, [x])(x)
    y.sum().backward()
    assert saved == [] and x.grad is not None


def test_shufflenetv2_unit_verifies_through_the_cli(capsys):
    code = run(["verify", str(EXAMPLE), "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and data["ok"] is True
    assert {"output shape", "params", "MACs (FlopCounterMode flops / 2)", "activation bytes (forward hooks)",
            "saved for backward bytes (saved_tensors_hooks)"} <= {c["figure"] for c in data["checks"]}


def test_shufflenetv2_unit_figures_as_arithmetic():
    report = archcalc.analyze(str(EXAMPLE))
    c, hw = 58, 28 * 28
    weights = c * c + c * 9 + c * c  # 1x1, 3x3 depthwise, 1x1; no conv bias (batch norm follows each)
    norms = 2 * c * 3  # scale and shift of three batch norms
    assert report.totals["params"] == weights + norms
    assert report.totals["macs"] == (c * c + c * 9 + c * c) * hw
    layers = {s.name: s for s in report.layers}
    assert layers["branch1"].out_shape.as_list() == [58, 28, 28]
    assert layers["branch2.split"].out_shape.as_list() == [58, 28, 28]
    assert layers["shuffle"].out_shape.as_list() == [116, 28, 28]
    assert layers["branch1"].activation_elems == 0 and layers["shuffle"].activation_elems == 116 * hw
