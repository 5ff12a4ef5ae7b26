"""The public builder's naming: automatic names never collide with names the user gave."""

from __future__ import annotations

import pytest

from archcalc import Net
from archcalc.errors import GraphError


def test_an_automatic_name_skips_a_number_given_explicitly():
    net = Net("n", input=(3, 8, 8))
    a = net.conv(net.input, 4, 3, padding=1, name="conv1")  # the user calls the first conv conv1 ...
    b = net.conv(a, 4, 3, padding=1)  # ... so the first unnamed conv cannot be conv1 too
    c = net.conv(b, 4, 3, padding=1, name="conv3")
    d = net.conv(c, 4, 3, padding=1)
    assert (a, b, c, d) == ("conv1", "conv2", "conv3", "conv4")
    assert [layer.name for layer in net.graph().layers] == ["conv1", "conv2", "conv3", "conv4"]


def test_automatic_names_in_a_scope_skip_explicit_ones_there():
    net = Net("n", input=(3, 8, 8))
    with net.scope("block"):
        first = net.relu(net.input, name="relu1")
        second = net.relu(first)
    assert second == "block.relu2"


def test_an_explicit_name_used_twice_is_an_error():
    net = Net("n", input=(3, 8, 8))
    net.relu(net.input, name="act")
    with pytest.raises(GraphError, match="layer name 'act' is used twice"):
        net.relu("act", name="act")
