"""One table per rule family; every expected value is written as arithmetic from the layer's definition."""

import pytest

from archcalc import Net

from archcalc.sources import analyze


def one_layer(input, build):
    net = Net("t", input=input)
    build(net, net.input)
    return analyze(net).layers[-1]


CONV_CASES = [
    # (input, kwargs, out shape, params, macs)
    ((3, 227, 227), dict(out_channels=96, kernel=11, stride=4), (96, 55, 55),
     11 * 11 * 3 * 96 + 96, 55 * 55 * 96 * 11 * 11 * 3),
    ((64, 56, 56), dict(out_channels=64, kernel=3, padding=1, bias=False), (64, 56, 56),
     3 * 3 * 64 * 64, 56 * 56 * 64 * 3 * 3 * 64),
    ((96, 27, 27), dict(out_channels=256, kernel=5, padding=2, groups=2), (256, 27, 27),
     5 * 5 * (96 // 2) * 256 + 256, 27 * 27 * 256 * 5 * 5 * (96 // 2)),
    ((16, 20, 30), dict(out_channels=8, kernel=(1, 7), padding=(0, 3)), (8, 20, 30),
     1 * 7 * 16 * 8 + 8, 20 * 30 * 8 * 7 * 16),
    ((4, 32, 32), dict(out_channels=4, kernel=3, padding=2, dilation=2), (4, 32, 32),
     3 * 3 * 4 * 4 + 4, 32 * 32 * 4 * 9 * 4),
    ((32, 14, 14), dict(out_channels=32, kernel=3, padding=1, groups=32), (32, 14, 14),  # depthwise
     3 * 3 * 1 * 32 + 32, 14 * 14 * 32 * 9),
    ((3, 10, 9), dict(out_channels=2, kernel=(3, 2), stride=(2, 3)), (2, (10 - 3) // 2 + 1, (9 - 2) // 3 + 1),
     3 * 2 * 3 * 2 + 2, ((10 - 3) // 2 + 1) * ((9 - 2) // 3 + 1) * 2 * 3 * 2 * 3),
]


@pytest.mark.parametrize("input, kwargs, shape, params, macs", CONV_CASES)
def test_conv(input, kwargs, shape, params, macs):
    s = one_layer(input, lambda n, x: n.conv(x, **kwargs))
    assert tuple(s.out_shape.as_list()) == shape
    assert s.params == params
    assert s.macs == macs
    assert s.other_ops == (shape[0] * shape[1] * shape[2] if kwargs.get("bias", True) else 0)


@pytest.mark.parametrize("kind, kwargs, input, shape, other_ops", [
    ("maxpool", dict(kernel=3, stride=2), (96, 55, 55), (96, 27, 27), 96 * 27 * 27 * (3 * 3 - 1)),
    ("maxpool", dict(kernel=3, stride=2, ceil_mode=True), (64, 112, 112), (64, 56, 56), 64 * 56 * 56 * 8),
    ("maxpool", dict(kernel=3, stride=1, padding=1), (256, 28, 28), (256, 28, 28), 256 * 28 * 28 * 8),
    ("avgpool", dict(kernel=2, stride=2), (6, 28, 28), (6, 14, 14), 6 * 14 * 14 * 4),
    ("adaptive_avgpool", dict(output=1), (2048, 7, 7), (2048, 1, 1), 2048 * 7 * 7),
    ("adaptive_avgpool", dict(output=6), (256, 13, 13), (256, 6, 6), 256 * 6 * 6 * 3 * 3),
])
def test_pooling(kind, kwargs, input, shape, other_ops):
    s = one_layer(input, lambda n, x: getattr(n, kind)(x, **kwargs))
    assert tuple(s.out_shape.as_list()) == shape
    assert (s.params, s.macs) == (0, 0)
    assert s.other_ops == other_ops


def test_batchnorm_params_and_buffers():
    s = one_layer((64, 8, 8), lambda n, x: n.batchnorm(x))
    assert (s.weights, s.biases) == (64, 64)
    assert s.buffers == 64 + 64 + 1  # running mean, running var, num_batches_tracked
    assert s.other_ops == 2 * 64 * 8 * 8


def test_linear_and_flatten():
    net = Net("t", input=(256, 6, 6))
    x = net.flatten(net.input)
    net.linear(x, 4096)
    flat, fc = analyze(net).layers
    assert flat.out_shape.channels == 256 * 6 * 6 and flat.activation_elems == 0  # a view
    assert fc.params == 256 * 6 * 6 * 4096 + 4096
    assert fc.macs == 256 * 6 * 6 * 4096


def test_inplace_activation_adds_no_memory():
    net = Net("t", input=(8, 4, 4))
    a = net.relu(net.input)
    net.relu(a, inplace=True)
    first, second = analyze(net).layers
    assert first.activation_elems == 8 * 4 * 4
    assert second.activation_elems == 0


def test_concat_and_add():
    net = Net("t", input=(16, 8, 8))
    a = net.conv(net.input, 4, 1)
    b = net.conv(net.input, 12, 3, padding=1)
    c = net.concat([a, b])
    net.add([c, net.input])
    report = analyze(net)
    assert report.layer("concat1").out_shape.channels == 4 + 12
    assert report.layer("add1").other_ops == 16 * 8 * 8
