"""Layer norm, group norm and instance norm: expected values written as arithmetic from each layer's definition
(other ops: per element 6 + scale + shift, per statistic 5; core/rules/layer_norm.py)."""

import json

import pytest
import sympy

from archcalc import Net
from archcalc.cli import run
from archcalc.core.rules import KindFlags, kind_flags
from archcalc.errors import GraphError, ShapeError
from archcalc.sources import analyze


def one_layer(input, build):
    net = Net("t", input=input)
    build(net, net.input)
    return analyze(net).layers[-1]


CASES = [
    # (input, kind, kwargs, weights, biases, buffers, other_ops)
    ((16, 8, 8), "layernorm", dict(channels_first=True), 16, 16, 0, 16 * 8 * 8 * (6 + 2) + 8 * 8 * 5),
    ((16, 8, 8), "layernorm", dict(axes=1), 8, 8, 0, 16 * 8 * 8 * (6 + 2) + 16 * 8 * 5),
    ((16, 8, 6), "layernorm", dict(axes=2), 8 * 6, 8 * 6, 0, 16 * 8 * 6 * (6 + 2) + 16 * 5),
    ((16, 8, 6), "layernorm", dict(axes=3), 16 * 8 * 6, 16 * 8 * 6, 0, 16 * 8 * 6 * (6 + 2) + 1 * 5),
    ((16, 8, 6), "layernorm", dict(axes=2, bias=False), 8 * 6, 0, 0, 16 * 8 * 6 * (6 + 1) + 16 * 5),
    ((16, 8, 6), "layernorm", dict(axes=2, affine=False), 0, 0, 0, 16 * 8 * 6 * 6 + 16 * 5),
    ((512,), "layernorm", dict(), 512, 512, 0, 512 * (6 + 2) + 1 * 5),
    ((32, 7, 7), "groupnorm", dict(groups=8), 32, 32, 0, 32 * 7 * 7 * (6 + 2) + 8 * 5),
    ((32, 7, 7), "groupnorm", dict(groups=32, affine=False), 0, 0, 0, 32 * 7 * 7 * 6 + 32 * 5),
    ((8, 20), "instancenorm", dict(), 0, 0, 0, 8 * 20 * 6 + 8 * 5),
    ((8, 5, 6), "instancenorm", dict(affine=True), 8, 8, 0, 8 * 5 * 6 * (6 + 2) + 8 * 5),
    ((8, 5, 6), "instancenorm", dict(track_running_stats=True), 0, 0, 2 * 8 + 1, 8 * 5 * 6 * 6 + 8 * 5),
    ((8, 3, 5, 6), "instancenorm", dict(affine=True, track_running_stats=True), 8, 8, 2 * 8 + 1,
     8 * 3 * 5 * 6 * (6 + 2) + 8 * 5),
]


@pytest.mark.parametrize("input, kind, kwargs, weights, biases, buffers, other_ops", CASES)
def test_params_ops_and_shape(input, kind, kwargs, weights, biases, buffers, other_ops):
    s = one_layer(input, lambda n, x: getattr(n, kind)(x, **kwargs))
    assert tuple(s.out_shape.as_list()) == input
    assert (s.weights, s.biases, s.buffers) == (weights, biases, buffers)
    assert s.params == weights + biases
    assert s.macs == 0
    assert s.other_ops == other_ops
    assert s.activation_elems == sympy.prod(input)


@pytest.mark.parametrize("kind, any_layout", [("layernorm", True), ("groupnorm", False), ("instancenorm", False)])
def test_flags(kind, any_layout):
    # layer norm over the last axes takes tokens x channels; group and instance norm need channels first
    assert kind_flags(kind) == KindFlags(weighted=False, moves_bytes=True, any_layout=any_layout)


def after_conv(build, input=(8, 16, 16)):
    net = Net("t", input=input)
    x = net.conv(net.input, 8, 3, padding=1)
    build(net, x)
    return analyze(net).layers[-1]


@pytest.mark.parametrize("kind, kwargs, is_global", [
    ("layernorm", dict(channels_first=True), False),  # per position: the conv's 3x3 field stays
    ("layernorm", dict(axes=1), True),  # over W: mixes positions
    ("layernorm", dict(axes=3), True),
    ("groupnorm", dict(groups=2), True),
    ("instancenorm", dict(), True),
])
def test_receptive_field(kind, kwargs, is_global):
    s = after_conv(lambda n, x: getattr(n, kind)(x, **kwargs))
    assert s.rf.is_global is is_global
    if not is_global:
        assert s.rf.size == (3, 3)


def test_groupnorm_channels_must_divide():
    with pytest.raises(ShapeError) as err:
        one_layer((30, 4, 4), lambda n, x: n.groupnorm(x, 8, name="gn"))
    message = str(err.value)
    assert "\n" not in message
    assert "'gn'" in message and "30 channels do not divide into 8 groups" in message


@pytest.mark.parametrize("input, axes", [((16, 8, 8), 4), ((512,), 2)])
def test_layernorm_over_more_axes_than_the_tensor_has(input, axes):
    with pytest.raises(ShapeError, match=f"layer norm over {axes} axes of a {len(input)}-axis tensor"):
        one_layer(input, lambda n, x: n.layernorm(x, axes=axes))


def test_instancenorm_needs_spatial_axes():
    with pytest.raises(ShapeError, match="1 to 3 spatial axes"):
        one_layer((64,), lambda n, x: n.instancenorm(x))


@pytest.mark.parametrize("call", [
    lambda n, x: n.groupnorm(x, 0),
    lambda n, x: n.layernorm(x, axes=0),
    lambda n, x: n.layernorm(x, axes=2, channels_first=True),
    lambda n, x: n.layernorm(x, eps=-1.0),
    lambda n, x: n.instancenorm(x, affine="yes"),
])
def test_builder_refuses_bad_attributes(call):
    net = Net("t", input=(8, 4, 4))
    with pytest.raises(GraphError):
        call(net, net.input)


def test_symbolic_sizes():
    H, W = sympy.symbols("H W", positive=True, integer=True)
    s = one_layer((16, "H", "W"), lambda n, x: n.layernorm(x, axes=2))
    assert s.params == 2 * H * W
    assert sympy.simplify(s.other_ops - (16 * H * W * 8 + 16 * 5)) == 0
    numeric = one_layer((16, 5, 7), lambda n, x: n.layernorm(x, axes=2))
    assert s.params.subs({H: 5, W: 7}) == numeric.params
    assert s.other_ops.subs({H: 5, W: 7}) == numeric.other_ops
    g = one_layer((16, "H", "W"), lambda n, x: n.groupnorm(x, 4))
    assert sympy.simplify(g.other_ops - (16 * H * W * 8 + 4 * 5)) == 0


SPEC = """name: norms
input: [16, 8, 8]
layers:
  - {kind: conv, out_channels: 16, kernel: 7, padding: 3, groups: 16}
  - {kind: layernorm, channels_first: true}
  - {kind: groupnorm, groups: GROUPS}
"""


def test_spec_file(tmp_path, capsys):
    path = tmp_path / "norms.yaml"
    path.write_text(SPEC.replace("GROUPS", "8"))
    assert run(["summary", str(path), "--json"]) == 0
    layers = json.loads(capsys.readouterr().out)["layers"]
    assert [(s["kind"], s["params"]) for s in layers[1:]] == [("layernorm", 2 * 16), ("groupnorm", 2 * 16)]


def test_spec_file_with_bad_groups(tmp_path, capsys):
    path = tmp_path / "norms.yaml"
    path.write_text(SPEC.replace("GROUPS", "5"))
    assert run(["summary", str(path), "--json"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert "16 channels do not divide into 5 groups" in err
