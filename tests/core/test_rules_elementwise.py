"""Rules of the elementwise kinds: mul (broadcast), add broadcasting, mish, identity and drop_path; expected
values as arithmetic; a spec file joining branches with mul (a squeeze-and-excitation block)."""

from __future__ import annotations

import math

import pytest

import archcalc
from archcalc import Net
from archcalc.cli import run
from archcalc.core.rules.activation import ACTIVATION_COST
from archcalc.errors import GraphError, ShapeError
from archcalc.sources import analyze


def pair(a_shape, b_shape, join, **kw):
    """A graph whose two inputs of the join have the given shapes (convs and pools shape them from 64x56x56)."""
    net = Net("t", input=(64, 56, 56))
    a = net.identity(net.input, name="a") if a_shape == (64, 56, 56) else _shaped(net, a_shape, "a")
    b = _shaped(net, b_shape, "b")
    getattr(net, join)([a, b], name="join", **kw)
    return net


def _shaped(net, shape, name):
    x = net.conv(net.input, shape[0], 1, name=name + "_conv")
    if shape[1:] == (1, 1):
        return net.global_avgpool(x, name=name)
    if shape[1:] != (56, 56):
        return net.adaptive_avgpool(x, shape[1:], name=name)
    return x


MUL_CASES = [
    # (a, b, output)
    ((64, 56, 56), (64, 1, 1), (64, 56, 56)),  # the squeeze-and-excitation gate
    ((64, 56, 56), (1, 1, 1), (64, 56, 56)),   # one scale for the whole map
    ((64, 56, 56), (64, 56, 56), (64, 56, 56)),
    ((64, 56, 56), (1, 56, 56), (64, 56, 56)),  # a spatial attention map
]


@pytest.mark.parametrize("a, b, out", MUL_CASES)
def test_mul_broadcasts(a, b, out):
    s = {x.name: x for x in analyze(pair(a, b, "mul")).layers}["join"]
    assert tuple(s.out_shape.as_list()) == out
    assert s.macs == 0  # an elementwise product is other ops, not a MAC
    assert s.other_ops == math.prod(out)
    assert s.activation_elems == math.prod(out)
    assert s.params == 0


def test_mul_in_place_takes_no_memory():
    s = analyze(pair((64, 56, 56), (64, 1, 1), "mul", inplace=True)).layers[-1]
    assert s.activation_elems == 0 and s.other_ops == 64 * 56 * 56


@pytest.mark.parametrize("join", ["mul", "add"])
def test_in_place_into_the_smaller_input_is_refused(join):
    net = Net("t", input=(64, 56, 56))
    g = net.global_avgpool(net.input, name="g")
    getattr(net, join)([g, net.input], inplace=True, name="join")
    with pytest.raises(ShapeError, match="in place.*64x1x1"):
        analyze(net)


@pytest.mark.parametrize("join", ["mul", "add"])
@pytest.mark.parametrize("b, kind", [((32, 1, 1), "channel counts"), ((64, 28, 28), "spatial sizes")])
def test_shapes_that_do_not_broadcast_name_both(join, b, kind):
    with pytest.raises(ShapeError) as err:
        analyze(pair((64, 56, 56), b, join))
    text = str(err.value)
    assert "\n" not in text
    assert f"different {kind}" in text and "64x56x56" in text and "x".join(map(str, b)) in text


def test_add_broadcasts_a_bias():
    s = analyze(pair((64, 56, 56), (64, 1, 1), "add")).layers[-1]
    assert tuple(s.out_shape.as_list()) == (64, 56, 56)
    assert s.other_ops == 64 * 56 * 56 * (2 - 1)
    assert s.activation_elems == 64 * 56 * 56


def test_add_of_equal_shapes_is_unchanged():
    s = analyze(pair((64, 56, 56), (64, 56, 56), "add", inplace=True)).layers[-1]
    assert tuple(s.out_shape.as_list()) == (64, 56, 56) and s.activation_elems == 0


def test_a_global_gate_keeps_the_trunks_field_and_says_so():
    net = Net("t", input=(3, 32, 32))
    x = net.conv(net.input, 8, 3, padding=1, name="conv")
    g = net.global_avgpool(x, name="pool")
    net.mul([x, g], name="gate")
    rows = {s.name: s for s in analyze(net).layers}
    assert rows["pool"].rf.is_global and rows["gate"].rf == rows["conv"].rf  # 3x3, as SE networks are quoted
    assert any("squeeze-and-excitation" in n for n in rows["gate"].notes)


def test_mul_of_symbolic_shapes():
    import sympy

    H = sympy.Symbol("H", positive=True, integer=True)
    net = Net("t", input=(8, H, H))
    g = net.global_avgpool(net.input, name="g")
    net.mul([net.input, g], name="gate")
    s = analyze(net).layers[-1]
    assert s.out_shape.as_list() == [8, H, H] and sympy.simplify(s.other_ops - 8 * H * H) == 0


@pytest.mark.parametrize("inplace", [False, True])
def test_mish(inplace):
    net = Net("t", input=(16, 10, 10))
    net.mish(net.input, inplace=inplace)
    s = analyze(net).layers[-1]
    assert s.other_ops == 16 * 10 * 10 * ACTIVATION_COST["mish"]
    assert s.activation_elems == (0 if inplace else 16 * 10 * 10)
    assert s.macs == 0 and s.params == 0


@pytest.mark.parametrize("kind, build", [("identity", lambda n, x: n.identity(x)),
                                         ("drop_path", lambda n, x: n.drop_path(x, 0.1))])
def test_passthroughs_cost_nothing(kind, build):
    net = Net("t", input=(16, 10, 10))
    x = net.conv(net.input, 16, 3, padding=1)
    build(net, x)
    conv, s = analyze(net).layers
    assert s.kind == kind and s.out_shape == conv.out_shape and s.rf == conv.rf
    assert (s.params, s.macs, s.other_ops, s.activation_elems) == (0, 0, 0, 0)


@pytest.mark.parametrize("p", [1, 1.0, -0.1, float("nan"), "0.1", True, None])
def test_drop_path_refuses_what_is_not_a_probability_below_one(p):
    net = Net("t", input=(16, 10, 10))
    with pytest.raises(GraphError, match="p must be a probability"):
        net.drop_path(net.input, p)


def test_mul_takes_two_inputs():
    net = Net("t", input=(16, 10, 10))
    with pytest.raises(GraphError, match="two inputs"):
        net.mul([net.input, net.input, net.input])


SE_SPEC = """\
name: se-block
input: [{channels}, 14, 14]
layers:
  - {{kind: conv, out_channels: 32, kernel: 3, padding: 1, name: trunk}}
  - name: scale
    join: mul
    branches:
      - - {{kind: identity, name: keep}}
      - - {{kind: global_avgpool, name: squeeze}}
        - {{kind: conv, out_channels: 8, kernel: 1, name: reduce}}
        - {{kind: relu, name: relu}}
        - {{kind: conv, out_channels: {expand}, kernel: 1, name: expand}}
        - {{kind: sigmoid, name: gate}}
"""


def test_spec_file_se_block_with_a_mul_join(tmp_path, capsys):
    path = tmp_path / "se.yaml"
    path.write_text(SE_SPEC.format(channels=16, expand=32))
    report = archcalc.analyze(str(path))
    rows = {s.name: s for s in report.layers}
    assert rows["scale"].kind == "mul" and rows["scale"].out_shape.as_list() == [32, 14, 14]
    assert report.totals["params"] == (16 * 9 * 32 + 32) + (32 * 8 + 8) + (8 * 32 + 32)
    assert run(["summary", str(path)]) == 0


def test_spec_file_bad_broadcast_exits_2_with_one_line(tmp_path, capsys):
    path = tmp_path / "se.yaml"
    path.write_text(SE_SPEC.format(channels=16, expand=24))
    capsys.readouterr()
    assert run(["summary", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "32x14x14" in err and "24x1x1" in err


@pytest.mark.parametrize("shape", [(8, 5, 5), (16, 7), (4, 3, 3, 3)])
def test_scale_has_one_parameter_per_channel(shape):
    net = archcalc.Net("s", input=shape)
    net.scale(net.input, name="gamma")
    layer = archcalc.analyze(net).layer("gamma")
    elements = 1
    for d in shape:
        elements *= d
    assert layer.params == shape[0] and layer.macs == 0
    assert layer.other_ops == elements and layer.activation_elems == elements
