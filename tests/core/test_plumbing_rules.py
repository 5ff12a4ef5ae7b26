"""slice and channel_shuffle: shapes, figures and errors written as arithmetic from each kind's definition
(core/rules/plumbing.py), numeric and symbolic."""

import pytest
import sympy

from archcalc import Net
from archcalc.core.ir import ChannelShuffle, Slice
from archcalc.core.rules import kind_flags, rules_for
from archcalc.errors import GraphError, ShapeError
from archcalc.sources import analyze


def layers_of(input, build):
    net = Net("t", input=input)
    build(net, net.input)
    return analyze(net).layers


@pytest.mark.parametrize("input, start, stop", [((116, 28, 28), 0, 58), ((116, 28, 28), 58, 116),
                                                ((10,), 3, 4), ((8, 5), 0, 8), ((6, 2, 3, 4), 1, 5)])
def test_slice_shape_and_figures(input, start, stop):
    (s,) = layers_of(input, lambda n, x: n.slice(x, start, stop))
    assert s.out_shape.as_list() == [stop - start, *input[1:]]
    assert (s.params, s.buffers, s.macs, s.other_ops, s.activation_elems) == (0, 0, 0, 0, 0)  # a view
    assert s.rf.size == tuple(1 for _ in input[1:])


def test_slice_flags_and_saved():
    assert (kind_flags("slice").weighted, kind_flags("slice").moves_bytes) == (False, False)
    saved = rules_for("slice")["saved"](Slice(0, 2), None, None, "cpu")
    assert saved.alias == 0 and saved.inputs == () and not saved.output and saved.extras == ()


def test_split_makes_consecutive_named_slices():
    net = Net("t", input=(10, 4, 4))
    parts = net.split(net.input, [3, 3, 4], name="sp")
    assert parts == ["sp.0", "sp.1", "sp.2"]
    layers = analyze(net).layers
    assert [s.out_shape.channels for s in layers] == [3, 3, 4]
    assert [layer.attrs for layer in net.graph().layers] == [Slice(0, 3), Slice(3, 6), Slice(6, 10)]
    unnamed = Net("u", input=(4, 2, 2))
    assert unnamed.split(unnamed.input, [2, 2]) == ["slice1", "slice2"]


def test_slice_past_the_channels_is_one_line_naming_the_layer():
    net = Net("t", input=(8, 4, 4))
    net.slice(net.input, 4, 9, name="too_far")
    with pytest.raises(ShapeError) as err:
        analyze(net)
    message = str(err.value)
    assert "too_far" in message and "8 channels" in message and "\n" not in message


@pytest.mark.parametrize("start, stop", [(3, 3), (5, 2), (-1, 2), (0, 0)])
def test_empty_or_negative_slice_is_refused(start, stop):
    net = Net("t", input=(8, 4, 4))
    with pytest.raises(GraphError) as err:
        net.slice(net.input, start, stop, name="bad")
    assert "bad" in str(err.value) and "\n" not in str(err.value)


def test_slice_rule_refuses_empty_range_made_without_the_builder():
    net = Net("t", input=(8, 4, 4))
    net.layer("slice", Slice(5, 5), net.input, name="raw")
    with pytest.raises(ShapeError, match="raw"):
        analyze(net)


@pytest.mark.parametrize("sizes", [[], [0, 2], "ab", 3])
def test_split_refuses_bad_sizes(sizes):
    net = Net("t", input=(8, 4, 4))
    with pytest.raises(GraphError):
        net.split(net.input, sizes, name="sp")


@pytest.mark.parametrize("input, groups", [((116, 28, 28), 2), ((240, 7, 7), 3), ((12, 9), 4), ((5,), 5),
                                           ((8, 2, 3, 3), 1)])
def test_channel_shuffle_shape_and_figures(input, groups):
    (s,) = layers_of(input, lambda n, x: n.channel_shuffle(x, groups))
    assert tuple(s.out_shape.as_list()) == input
    elements = 1
    for d in input:
        elements *= d
    assert (s.params, s.buffers, s.macs, s.other_ops) == (0, 0, 0, 0)  # a permutation: no arithmetic
    assert s.activation_elems == elements  # .contiguous() writes a copy
    assert kind_flags("channel_shuffle").moves_bytes and not kind_flags("channel_shuffle").weighted
    saved = rules_for("channel_shuffle")["saved"](ChannelShuffle(groups), None, None, "cpu")
    assert saved.alias is None and saved.inputs == () and not saved.output and saved.extras == ()


@pytest.mark.parametrize("channels, groups", [(10, 3), (116, 3), (7, 2)])
def test_channel_shuffle_groups_that_do_not_divide(channels, groups):
    net = Net("t", input=(channels, 4, 4))
    net.channel_shuffle(net.input, groups, name="shuffle")
    with pytest.raises(ShapeError) as err:
        analyze(net)
    message = str(err.value)
    assert "shuffle" in message and f"{channels} mod {groups} = {channels % groups}" in message
    assert "\n" not in message


@pytest.mark.parametrize("groups", [0, -2, 1.5, True])
def test_channel_shuffle_groups_must_be_positive_integers(groups):
    net = Net("t", input=(8, 4, 4))
    with pytest.raises(GraphError, match="groups"):
        net.channel_shuffle(net.input, groups, name="bad")


def build_symbolic(net, x):
    a, b = net.split(x, [4, 4], name="sp")
    b = net.conv(b, 4, 3, padding=1, name="c")
    y = net.concat([a, b], name="cat")
    y = net.channel_shuffle(y, 2, name="shuffle")
    net.slice(y, 2, 6, name="mid")


def test_symbolic_sizes_evaluate_to_the_numeric_run():
    H, W = sympy.symbols("H W", positive=True, integer=True)
    symbolic = {s.name: s for s in layers_of((8, H, W), build_symbolic)}
    numeric = {s.name: s for s in layers_of((8, 10, 12), build_symbolic)}
    at = {H: 10, W: 12}
    for name, s in symbolic.items():
        n = numeric[name]
        assert [sympy.sympify(d).subs(at) for d in s.out_shape.as_list()] == n.out_shape.as_list()
        assert sympy.sympify(s.activation_elems).subs(at) == n.activation_elems
        assert sympy.sympify(s.macs).subs(at) == n.macs
    assert symbolic["shuffle"].activation_elems - 8 * H * W == 0
    assert symbolic["mid"].out_shape.channels == 4


def test_symbolic_channels():
    C = sympy.Symbol("C", positive=True, integer=True)
    (s,) = layers_of((2 * C, 5, 5), lambda n, x: n.channel_shuffle(x, 2))  # 2C divides by 2
    assert s.out_shape.channels - 2 * C == 0 and not s.notes
    (s,) = layers_of((C, 5, 5), lambda n, x: n.channel_shuffle(x, 2))  # undecided: stated, not refused
    assert any("divides by 2" in note for note in s.notes)
    (s,) = layers_of((C, 5, 5), lambda n, x: n.slice(x, 1, 3))
    assert s.out_shape.channels == 2 and any(">= 3" in note for note in s.notes)
    (s,) = layers_of((C + 3, 5, 5), lambda n, x: n.slice(x, 1, 3))  # C + 3 >= 3 always
    assert s.out_shape.channels == 2 and not s.notes


def test_spec_files_offer_slice_and_channel_shuffle_but_not_split():
    from archcalc.sources.specs.kinds import spec_kinds

    kinds = spec_kinds()
    assert {"slice", "channel_shuffle"} <= set(kinds)
    assert "split" not in kinds  # it makes several layers and returns a list: a builder helper only
