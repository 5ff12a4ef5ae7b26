"""The layout and token kinds (core/rules/reshape.py, matmul.py, tokens.py) and the axis forms of concat,
softmax and slice: shapes with their axis roles, figures written as arithmetic from each kind's definition,
receptive fields, views against copies, symbolic sizes, and the errors (Python and the CLI). No torch."""

import math

import pytest
import sympy

import archcalc
from archcalc import Net
from archcalc.cli import run
from archcalc.errors import GraphError, ShapeError

C, H, W = 4, 6, 8  # a channels-first map CxHxW
T, D = 10, 8  # tokens x channels (channels_last input)
G = None  # a global receptive field's entry


def analyse(build, input=(C, H, W), channels_last=False, at=None):
    """Layers by name of the Net that `build(net, x)` makes from the input."""
    net = Net("t", input=input, channels_last=channels_last)
    build(net, net.input)
    return {s.name: s for s in archcalc.analyze(net.graph(), input=at).layers}


def _matmul(n, x):
    n.matmul([x, n.transpose(x, 1, 2)], name="out")


MAP, TOK = ((C, H, W), False), ((T, D), True)
# (input, build making layer "out", str, roles, params, MACs, other ops, activation elements, rf.size)
CASES = {
    "reshape": (MAP, lambda n, x: n.reshape(x, [C, H * W], name="out"),
                f"{C}x{H * W}", "CT", 0, 0, 0, 0, (1, 1)),
    "reshape_heads": (TOK, lambda n, x: n.reshape(x, [T, 2, D // 2], name="out"),
                      f"{T}x2x{D // 2}", "S_C", 0, 0, 0, 0, (1,)),
    "reshape_infer": (MAP, lambda n, x: n.reshape(x, [-1, W], name="out"),
                      f"{C * H}x{W}", "CS", 0, 0, 0, 0, (G, G)),
    "flatten_all": (MAP, lambda n, x: n.flatten(x, name="out"), f"{C * H * W}", "C", 0, 0, 0, 0, (G, G)),
    "flatten_hw": (MAP, lambda n, x: n.flatten(x, 2, name="out"), f"{C}x{H * W}", "CT", 0, 0, 0, 0, (1, 1)),
    "flatten_ch": (MAP, lambda n, x: n.flatten(x, 1, 2, name="out"), f"{C * H}x{W}", "CS", 0, 0, 0, 0, (G, G)),
    "permute_last": (MAP, lambda n, x: n.permute(x, [0, 2, 3, 1], name="out"),
                     f"{H}x{W}x{C}", "SSC", 0, 0, 0, 0, (1, 1)),
    "transpose": (MAP, lambda n, x: n.transpose(x, 1, 2, name="out"), f"{H}x{C}x{W}", "SCS", 0, 0, 0, 0, (1, 1)),
    "transpose_tokens": (TOK, lambda n, x: n.transpose(x, 1, 2, name="out"), f"{D}x{T}", "CS", 0, 0, 0, 0, (1,)),
    "select": (TOK, lambda n, x: n.select(x, 1, 0, name="out"), f"{D}", "C", 0, 0, 0, 0, (1,)),
    "select_h": (MAP, lambda n, x: n.select(x, 2, H - 1, name="out"), f"{C}x{W}", "CS", 0, 0, 0, 0, (1, 1)),
    "reduce_mean_hw": (MAP, lambda n, x: n.reduce_mean(x, [2, 3], name="out"),
                       f"{C}", "C", 0, 0, C * H * W, C, (G, G)),
    "reduce_mean_keep": (MAP, lambda n, x: n.reduce_mean(x, [-2, -1], keepdim=True, name="out"),
                         f"{C}x1x1", "CSS", 0, 0, C * H * W, C, (G, G)),
    "reduce_mean_c": (MAP, lambda n, x: n.reduce_mean(x, 1, name="out"), f"{H}x{W}", "SS", 0, 0, C * H * W,
                      H * W, (1, 1)),
    "reduce_mean_tokens": (TOK, lambda n, x: n.reduce_mean(x, 1, name="out"), f"{D}", "C", 0, 0, T * D, D, (G,)),
    "class_token": (TOK, lambda n, x: n.class_token(x, name="out"), f"{T + 1}x{D}", "SC", D, 0, 0,
                    (T + 1) * D, (1,)),
    "class_tokens_2": (TOK, lambda n, x: n.class_token(x, 2, name="out"), f"{T + 2}x{D}", "SC", 2 * D, 0, 0,
                       (T + 2) * D, (1,)),
    "pos_embed": (TOK, lambda n, x: n.pos_embed(x, name="out"), f"{T}x{D}", "SC", T * D, 0, T * D, T * D, (1,)),
    "matmul": (TOK, _matmul, f"{T}x{T}", "SS", 0, T * D * T, 0, T * T, (1,)),
    "attention": (TOK, lambda n, x: n.attention(x, 2, name="out"), f"{T}x{D}", "SC",
                  4 * D * D + 3 * D + D, 4 * T * D * D + 2 * T * T * D,
                  3 * T * D + T * D + T * D + 3 * 2 * T * T, T * D, (G,)),
    "attention_nobias": (TOK, lambda n, x: n.attention(x, 4, qkv_bias=False, proj_bias=False, name="out"),
                         f"{T}x{D}", "SC", 4 * D * D, 4 * T * D * D + 2 * T * T * D, T * D + 3 * 4 * T * T,
                         T * D, (G,)),
    "linear_tokens": (TOK, lambda n, x: n.linear(x, 16, name="out"), f"{T}x16", "SC", D * 16 + 16,
                      T * D * 16, T * 16, T * 16, (1,)),
    "softmax_tokens": (TOK, lambda n, x: n.softmax(x, dim=1, name="out"), f"{T}x{D}", "SC", 0, 0, 3 * T * D,
                       T * D, (G,)),
    "softmax_channels": (TOK, lambda n, x: n.softmax(x, name="out"), f"{T}x{D}", "SC", 0, 0, 3 * T * D, T * D,
                         (1,)),
    "softmax_w": (MAP, lambda n, x: n.softmax(x, dim=-1, name="out"), f"{C}x{H}x{W}", "CSS", 0, 0,
                  3 * C * H * W, C * H * W, (G, G)),
    "concat_tokens": (TOK, lambda n, x: n.concat([x, x], dim=1, name="out"), f"{2 * T}x{D}", "SC", 0, 0, 0,
                      2 * T * D, (1,)),
    "concat_channels_last": (TOK, lambda n, x: n.concat([x, x], name="out"), f"{T}x{2 * D}", "SC", 0, 0, 0,
                             2 * T * D, (1,)),
    "concat_w": (MAP, lambda n, x: n.concat([x, x], dim=3, name="out"), f"{C}x{H}x{2 * W}", "CSS", 0, 0, 0,
                 2 * C * H * W, (1, 1)),
    "slice_w": (MAP, lambda n, x: n.slice(x, 2, 5, dim=3, name="out"), f"{C}x{H}x{5 - 2}", "CSS", 0, 0, 0, 0,
                (1, 1)),
    "slice_tokens": (TOK, lambda n, x: n.slice(x, 1, T, dim=1, name="out"), f"{T - 1}x{D}", "SC", 0, 0, 0, 0,
                     (1,)),
}


@pytest.mark.parametrize("case", list(CASES), ids=str)
def test_shape_roles_and_figures(case):
    (input, last), build, text, roles, params, macs, ops, act, rf = CASES[case]
    s = analyse(build, input, last)["out"]
    assert (str(s.out_shape), s.out_shape.roles) == (text, roles)
    assert (s.params, s.macs, s.other_ops, s.activation_elems) == (params, macs, ops, act)
    assert s.rf.size == rf


@pytest.mark.parametrize("build, field", [
    (lambda n, x: n.permute(x, [0, 1, 3, 2], name="out"), (5, 3)),  # H and W swapped
    (lambda n, x: n.transpose(x, 2, 3, name="out"), (5, 3)),
    (lambda n, x: n.transpose(x, -1, -2, name="out"), (5, 3)),
    (lambda n, x: n.permute(x, [0, 2, 3, 1], name="out"), (3, 5)),  # channels moved, H before W still
    (lambda n, x: n.permute(x, [0, 3, 1, 2], name="out"), (5, 3)),  # W first: W x C x H
    (lambda n, x: n.flatten(x, 2, name="out"), (3, 5)),  # H, W as tokens: each keeps its field
])
def test_permute_reorders_the_field_axes(build, field):
    def net(n, x):
        build(n, n.conv(x, C, (3, 5), padding=(1, 2), name="conv"))

    layers = analyse(net)
    assert layers["conv"].rf.size == (3, 5)
    assert layers["out"].rf.size == field


@pytest.mark.parametrize("build, copies", [
    (lambda n, x: n.reshape(x, [C, H * W], name="out"), False),
    (lambda n, x: n.flatten(n.transpose(x, 1, 1), 2, name="out"), False),  # a transpose of one axis: no move
    (lambda n, x: n.flatten(n.permute(x, [0, 2, 3, 1]), 2, name="out"), True),
    (lambda n, x: n.flatten(n.permute(x, [0, 2, 3, 1]), name="out"), True),
    (lambda n, x: n.reshape(n.transpose(x, 2, 3), [C, H * W], name="out"), True),
    (lambda n, x: n.reshape(n.permute(x, [0, 3, 2, 1]), [-1], name="out"), True),
    (lambda n, x: n.flatten(n.permute(x, [0, 2, 1, 3]), 2, name="out"), True),  # C and W are not adjacent
    # channels last and back (ConvNeXt): H and W adjacent again, a view
    (lambda n, x: n.flatten(n.permute(n.permute(x, [0, 2, 3, 1]), [0, 3, 1, 2]), 2, name="out"), False),
    (lambda n, x: n.reshape(n.transpose(n.transpose(x, 2, 3), 2, 3), [C, H * W], name="out"), False),
    (lambda n, x: n.reshape(n.permute(x, [0, 2, 3, 1]), [H * W, C], name="out"), False),  # (H W) C: a view
])
def test_reshape_of_a_permuted_tensor_copies(build, copies):
    s = analyse(build)["out"]
    assert s.activation_elems == (C * H * W if copies else 0)
    assert str(s.out_shape) in (f"{C}x{H * W}", f"{C * H * W}", f"{H}x{C * W}", f"{H * W}x{C}")
    assert s.out_shape.contiguous or not copies  # a copy is a new, contiguous tensor; a view keeps strides
    assert (s.params, s.macs, s.other_ops) == (0, 0, 0)
    assert ("copy" in s.derivation) == copies


def build_tokens(net, x):
    x = net.conv(x, 8, 4, stride=4, name="patch")
    x = net.flatten(x, 2, name="flat")
    x = net.transpose(x, 1, 2, name="tokens")
    x = net.class_token(x, name="cls")
    x = net.attention(x, 2, name="attn")
    net.reduce_mean(x, 1, name="mean")


@pytest.mark.parametrize("how", ["net_input", "analyze_input"])
def test_symbolic_sizes_equal_the_numeric_run(how):
    Hs, Ws = sympy.symbols("H W", positive=True, integer=True)
    if how == "net_input":
        symbolic = analyse(build_tokens, ("3", "H", "W"))
    else:
        symbolic = analyse(build_tokens, (3, 16, 16), at="3xHxW")
    numeric = analyse(build_tokens, (3, 16, 24))
    at = {Hs: 16, Ws: 24}
    for name, s in symbolic.items():
        n = numeric[name]
        assert [sympy.sympify(d).subs(at) for d in s.out_shape.as_list()] == n.out_shape.as_list(), name
        assert s.out_shape.roles == n.out_shape.roles
        for figure in ("params", "macs", "other_ops", "activation_elems"):
            assert sympy.sympify(getattr(s, figure)).subs(at) == getattr(n, figure), (name, figure)
    t = sympy.floor(Hs / 4) * sympy.floor(Ws / 4) + 1  # tokens with the class token
    assert sympy.simplify(symbolic["attn"].macs - (4 * t * 8 * 8 + 2 * t * t * 8)) == 0
    assert sympy.simplify(symbolic["flat"].out_shape.dims[1] - (t - 1)) == 0
    assert symbolic["attn"].rf.size == (G, G) and symbolic["flat"].rf.size == (4, 4)


def test_permute_naming_an_axis_twice_is_refused_by_the_builder():
    net = Net("t", input=(C, H, W))
    with pytest.raises(GraphError) as err:
        net.permute(net.input, [0, 2, 2, 1], name="twice")
    assert "twice" in str(err.value) and "names axis 2 twice" in str(err.value) and "\n" not in str(err.value)


BAD = {  # build, input, channels_last, what the message says
    "reshape": (lambda n, x: n.reshape(x, [5, 40], name="wrong_count"), (C, H, W), False,
                f"({C * H * W} elements) to 5x40 ({5 * 40} elements)"),
    "matmul": (lambda n, x: n.matmul([n.flatten(x, 2), n.flatten(x, 2)], name="inner"), (C, H, W), False,
               f"inner sizes differ ({H * W} against {C})"),
    "attention": (lambda n, x: n.attention(x, 3, name="heads3"), (T, D), True,
                  f"3 heads do not divide the width {D} ({D} mod 3 = {D % 3})"),
    "conv": (lambda n, x: n.conv(n.permute(x, [0, 2, 3, 1]), 4, 3, name="conv_last"), (C, H, W), False,
             "channels-first"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_layout_is_one_line_naming_the_layer(case):
    build, input, last, says = BAD[case]
    net = Net("t", input=input, channels_last=last)
    build(net, net.input)
    with pytest.raises(ShapeError) as err:
        archcalc.analyze(net.graph())
    message = str(err.value)
    name = net.graph().layers[-1].name
    assert f"'{name}'" in message and says in message and "\n" not in message


SPECS = {  # spec text, the layer's name, its line, what the message says
    "permute": ("input: [4, 6, 8]\nlayers:\n  - {kind: permute, dims: [0, 2, 2, 1], name: twice}\n",
                "twice", 4, "names axis 2 twice"),
    "reshape": ("input: [4, 6, 8]\nlayers:\n  - {kind: reshape, sizes: [5, 40], name: wrong_count}\n",
                "wrong_count", 4, "element counts differ"),
    "matmul": ("input: [4, 6, 8]\nlayers:\n  - {kind: flatten, start_dim: 2}\n"
               "  - {branches: [[], []], join: matmul, name: inner}\n", "inner", 5, "inner sizes differ"),
    "attention": ("input: [10, 8]\nchannels_last: true\nlayers:\n  - {kind: attention, heads: 3, name: heads3}\n",
                  "heads3", 5, "3 heads do not divide"),
    "conv": ("input: [4, 6, 8]\nlayers:\n  - {kind: permute, dims: [0, 2, 3, 1]}\n"
             "  - {kind: conv, out_channels: 4, kernel: 3, name: conv_last}\n", "conv_last", 5, "channels-first"),
}


@pytest.mark.parametrize("case", list(SPECS))
def test_cli_refuses_bad_layout_in_one_line(case, tmp_path, capsys):
    text, name, line, says = SPECS[case]
    path = tmp_path / f"bad-{case}.yaml"
    path.write_text(f"name: bad-{case}\n{text}")
    code = run(["summary", str(path)])
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert f"{path.name}:{line}:" in err and says in err
    if case != "permute":  # the builder's refusal is located by file, line and layers[i] (its name is stripped)
        assert f"'{name}'" in err


TOKENS_SPEC = """name: tokens
input: [197, 192]
channels_last: true
layers:
  - {kind: layernorm, name: norm}
  - {kind: attention, heads: 3, name: attn}
  - {kind: linear, out_features: 10, name: head}
"""


def test_channels_last_spec_keeps_tokens_by_channels(tmp_path, capsys):
    path = tmp_path / "tokens.yaml"
    path.write_text(TOKENS_SPEC)
    assert run(["summary", str(path), "--input", "50x192"]) == 0
    out = capsys.readouterr().out
    assert "50x192" in out and "50x10" in out
    layers = {s.name: s for s in archcalc.analyze(str(path), input="50x192").layers}
    assert layers["norm"].in_shapes[0].roles == "SC" and layers["attn"].out_shape.roles == "SC"
    assert layers["attn"].macs == 4 * 50 * 192 * 192 + 2 * 50 * 50 * 192
    assert layers["head"].macs == 50 * 192 * 10 and layers["attn"].rf.size == (G,)
    default = {s.name: s for s in archcalc.analyze(str(path)).layers}
    assert default["attn"].macs == 4 * 197 * 192 * 192 + 2 * 197 * 197 * 192


def test_channels_last_spec_refuses_an_image_input(tmp_path, capsys):
    path = tmp_path / "tokens.yaml"
    path.write_text(TOKENS_SPEC)
    code = run(["summary", str(path), "--input", "3x224x224"])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert "3x224x224" in err and "tokens x channels" in err


@pytest.mark.parametrize("kind, shape, params, buffers", [
    ("bias", [6, 6], None, 0),  # a learned 6x6 map added to every channel: 36 parameters
    ("bias", [1, 6, 6], 20, 36),  # gathered from a 20-element table by a 36-element index (relative position)
    ("gain", [4, 1, 1], None, 0),  # one factor per channel, channels first
    ("gain", [6], None, 0),  # one factor per position of the last axis
])
def test_learned_bias_and_gain(kind, shape, params, buffers):
    net = Net("learned", input=(4, 6, 6))
    getattr(net, kind)(net.input, shape, params=params, buffers=buffers, name="p")
    s = archcalc.analyze(net.graph()).layer("p")
    own = math.prod(shape) if params is None else params
    assert (s.params, s.buffers, s.macs) == (own, buffers, 0)
    assert s.other_ops == 4 * 6 * 6 and s.activation_elems == 4 * 6 * 6  # one add or multiply per element
    assert str(s.out_shape) == "4x6x6" and s.rf.size == (1, 1)


def test_a_learned_tensor_that_would_grow_the_input_is_refused():
    net = Net("learned", input=(4, 6, 6))
    net.bias(net.input, [2, 4, 6, 6], name="p")
    with pytest.raises(ShapeError, match="layer 'p'.*would grow the input"):
        archcalc.analyze(net.graph())


@pytest.mark.parametrize("permuted", [False, True])
def test_contiguous_copies_only_a_permuted_tensor(permuted):
    net = Net("contiguous", input=(4, 6, 8))
    x = net.permute(net.input, [0, 2, 3, 1]) if permuted else net.input
    net.contiguous(x, name="c")
    s = archcalc.analyze(net.graph()).layer("c")
    assert s.activation_elems == (4 * 6 * 8 if permuted else 0) and s.out_shape.contiguous


@pytest.mark.parametrize("op, value, text", [("mul", 0.5, "x * 0.5"), ("add", 1, "x + 1"), ("rsub", 1, "1 - x"),
                                             ("div", 2, "x / 2"), ("rdiv", 1, "1 / x"), ("pow", 2, "x ** 2")])
def test_scalar_ops(op, value, text):
    net = Net("scalar", input=(4, 6, 6))
    net.scalar(net.input, op, value, name="s")
    s = archcalc.analyze(net.graph()).layer("s")
    assert (s.params, s.macs, s.other_ops, s.activation_elems) == (0, 0, 4 * 6 * 6, 4 * 6 * 6)
    assert s.derivation == text


def test_scalar_refuses_an_unknown_op():
    net = Net("scalar", input=(4, 6, 6))
    with pytest.raises(GraphError, match="scalar needs op"):
        net.scalar(net.input, "mod", 2)


def test_reduce_sum_over_axes():
    net = Net("sum", input=(3, 4, 5, 6))
    net.reduce_sum(net.input, 1, name="s")  # torch's dim 1: the first axis of the sample
    s = archcalc.analyze(net.graph()).layer("s")
    assert str(s.out_shape) == "4x5x6" and s.params == 0 and s.macs == 0
    assert s.other_ops == 3 * 4 * 5 * 6 - 4 * 5 * 6  # (n - 1) adds per output, n = 3


@pytest.mark.parametrize("dim, norms, rf_global", [(None, 6 * 6, False), (-1, 4 * 6, True)])
def test_normalize(dim, norms, rf_global):
    net = Net("normalize", input=(4, 6, 6))
    net.normalize(net.input, dim=dim, name="n")
    s = archcalc.analyze(net.graph()).layer("n")
    assert (s.params, s.macs) == (0, 0) and str(s.out_shape) == "4x6x6"
    assert s.other_ops == 3 * 4 * 6 * 6 + 2 * norms  # power, add, divide per element; root and clamp per norm
    assert s.rf.is_global is rf_global  # along W: every output sees the whole row
