"""The rule registry's conformance: every kind has every rule and every flag, nothing registers twice, and
the flags say what the conventions say (conv and linear count for depth; flatten and dropout move nothing)."""

import pytest

from archcalc import Net
from archcalc.core import rules
from archcalc.core.rules import (FLAGS, METRICS, KindFlags, flags, is_weighted, kind_flags, known_kinds, rule,
                                 rules_for)
from archcalc.errors import GraphError
from archcalc.sources import analyze, zoo_names

KINDS = known_kinds()


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_has_every_rule(kind):
    assert "saved" in METRICS
    assert set(rules_for(kind)) == set(METRICS)


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_declares_every_flag(kind):
    declared = kind_flags(kind)
    assert {name: type(getattr(declared, name)) for name in FLAGS} == {name: bool for name in FLAGS}


def test_no_flags_for_a_kind_without_rules():
    assert sorted(rules._FLAGS) == KINDS


@pytest.mark.parametrize("kind, weighted, moves_bytes, any_layout", [
    ("conv", True, True, False),  # channels first, as torch's Conv2d
    ("linear", True, True, True),  # acts on the last axis, whatever the layout
    ("flatten", False, False, True),  # a view
    ("dropout", False, False, True),  # the identity at inference
])
def test_flags_of_the_kinds_the_conventions_name(kind, weighted, moves_bytes, any_layout):
    assert kind_flags(kind) == KindFlags(weighted=weighted, moves_bytes=moves_bytes, any_layout=any_layout)
    assert is_weighted(kind) is weighted


def test_only_weighted_kinds_count_for_depth():
    # attention holds its qkv and output projections (linear layers): it counts as one weighted layer; so does
    # Swin's window attention
    assert [k for k in KINDS if is_weighted(k)] == ["attention", "conv", "conv_transpose", "linear",
                                                    "window_attention"]


def test_only_weighted_kinds_have_macs_in_the_zoo():
    # the headline MACs are conv + linear MACs: no other kind may add any
    for name in zoo_names():
        with_macs = {s.kind for s in analyze(name).layers if s.macs != 0}
        assert all(is_weighted(k) for k in with_macs), (name, with_macs)


def test_registering_a_rule_twice_is_an_error():
    with pytest.raises(ValueError, match="twice"):
        rule("conv", "shape")(lambda a, ins: None)


def test_declaring_flags_twice_is_an_error_and_changes_nothing(monkeypatch):
    monkeypatch.setattr(rules, "_FLAGS", dict(rules._FLAGS))
    with pytest.raises(ValueError, match="twice for kind 'conv'"):
        flags(("new_kind", "conv"), weighted=False, moves_bytes=True, any_layout=True)
    assert "new_kind" not in rules._FLAGS


def test_every_flag_must_be_given_as_a_bool(monkeypatch):
    monkeypatch.setattr(rules, "_FLAGS", dict(rules._FLAGS))
    with pytest.raises(TypeError):
        flags("new_kind", weighted=False)  # no silent default for moves_bytes
    with pytest.raises(TypeError, match="moves_bytes"):
        flags("new_kind", weighted=False, moves_bytes=1, any_layout=True)
    assert "new_kind" not in rules._FLAGS


def test_unknown_kind_fails_loudly_for_flags():
    with pytest.raises(GraphError, match="unknown layer kind 'convv'; did you mean conv"):
        kind_flags("convv")


def test_engine_depth_reads_the_weighted_flag(monkeypatch):
    net = Net("t", input=(3, 8, 8))
    net.linear(net.flatten(net.relu(net.conv(net.input, 4, 3))), 10)
    assert analyze(net).totals["depth"] == 2  # conv, linear
    monkeypatch.setitem(rules._FLAGS, "relu", KindFlags(weighted=True, moves_bytes=True, any_layout=True))
    assert analyze(net).totals["depth"] == 3
