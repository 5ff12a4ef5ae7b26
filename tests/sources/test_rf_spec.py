"""The stack shorthand and layer-list grammar of `archcalc rf`, and the single-kernel comparison."""

import pytest
import sympy

from archcalc.core.engine import propagate
from archcalc.sources.stack import (LayerSpec, RFSpecError, build_graph, compare_with_single_kernel, is_layer_list,
                             is_stack, parse, parse_layer_list, parse_stack)

C, H, W = (sympy.Symbol(n, positive=True, integer=True) for n in "CHW")


@pytest.mark.parametrize("text, count, kernel, padding", [
    ("3x3x3", 3, (3, 3), (1, 1)), ("7x7", 1, (7, 7), (3, 3)), ("5x5x2", 2, (5, 5), (2, 2)),
    ("1x7x2", 2, (1, 7), (0, 3)),
])
def test_stack_shorthand(text, count, kernel, padding):
    spec = parse_stack(text)
    assert len(spec.layers) == count
    assert all(l.kind == "conv" and l.kernel == kernel and l.stride == (1, 1) and l.padding == padding
               for l in spec.layers)


def test_layer_list():
    spec = parse_layer_list("conv11s4,pool3s2,conv5p2,conv3d2")
    assert spec.layers == (
        LayerSpec("conv", (11, 11), (4, 4), (0, 0)), LayerSpec("maxpool", (3, 3), (2, 2), (0, 0)),
        LayerSpec("conv", (5, 5), (1, 1), (2, 2)), LayerSpec("conv", (3, 3), (1, 1), (0, 0), (2, 2)))


def test_layer_list_axes_repeat_and_pool_default_stride():
    spec = parse_layer_list("conv1x7p0x3*2,avgpool2,maxpool3s1p1d2")
    assert spec.layers[0] == spec.layers[1] == LayerSpec("conv", (1, 7), (1, 1), (0, 3))
    assert spec.layers[2] == LayerSpec("avgpool", (2, 2), (2, 2), (0, 0))  # PyTorch: stride = kernel
    assert spec.layers[3] == LayerSpec("maxpool", (3, 3), (1, 1), (1, 1), (2, 2))


@pytest.mark.parametrize("text", ["conv11s4", "maxpool3s2p1", "conv1x7p0x3", "avgpool2s1", "conv3d2"])
def test_layer_text_round_trips(text):
    assert parse_layer_list(text).layers[0].text() == text


@pytest.mark.parametrize("text, position, found, expected", [
    ("3x3xq", 5, "'q'", "how many layers"),
    ("3xq", 3, "'q'", "kernel width"),
    ("3x3x", 5, "the end", "how many layers"),
    ("3x3x3y", 6, "'y'", "the end"),
    ("conv11s4,pool3q2", 15, "'q'", "s (stride)"),
    ("conv3,,pool2", 7, "','", "a layer"),
    ("cnv3,pool2", 1, "'c'", "did you mean conv?"),
    ("conv,pool2", 5, "','", "kernel size after 'conv'"),
    ("conv3s0", 7, "'0'", "at least 1"),
    ("avgpool3d2", 9, "'d'", "no dilation"),
    ("conv3s2s2", 8, "'s'", "at most once"),
])
def test_errors_point_at_the_bad_character(text, position, found, expected):
    with pytest.raises(RFSpecError) as err:
        parse(text)
    message = str(err.value)
    assert f"at position {position} found {found}" in message and expected in message
    assert "\n" not in message


def test_what_is_a_stack_or_a_list():
    assert is_stack("3x3x3") and not is_stack("vgg16")
    assert is_layer_list("conv3") and is_layer_list("a,b") and not is_layer_list("convnext") \
        and not is_layer_list("resnet18")


def test_three_3x3_against_one_7x7():
    # the lecture: 3 * (3*3 * C^2) = 27 C^2 weights against 7*7 * C^2 = 49 C^2, with 3 ReLUs against 1
    spec = parse("3x3x3")
    report = propagate(build_graph(spec), "CxHxW")
    assert report.layers[-1].rf.size == (7, 7)
    c = compare_with_single_kernel(spec, report)
    assert c.single.text == "conv7p3"
    assert c.weights == (3 * 3 * 3 * C**2, 7 * 7 * C**2)
    assert c.weights_per_c2 == (27, 49)
    assert c.macs == (3 * 3 * 3 * C**2 * H * W, 7 * 7 * C**2 * H * W)  # same padding: H x W outputs
    assert c.nonlinearities == (3, 1)


def test_comparison_at_a_numeric_input():
    spec = parse("5x5x2")  # two 5x5 see 9x9
    report = propagate(build_graph(spec, 64), (64, 56, 56))
    c = compare_with_single_kernel(spec, report)
    assert c.single.text == "conv9p4"
    assert c.weights == (2 * 5 * 5 * 64 * 64, 9 * 9 * 64 * 64) and c.weights_per_c2 == (50, 81)
    assert c.macs == (2 * 5 * 5 * 64 * 64 * 56 * 56, 9 * 9 * 64 * 64 * 56 * 56)


def test_strided_stack_single_kernel_keeps_jump_and_start():
    spec = parse("conv3s2p1,conv3p1")  # field 3 + 2*2 = 7, jump 2, effective padding 1 + 1*2 = 3
    report = propagate(build_graph(spec), "Cx32x32")
    c = compare_with_single_kernel(spec, report)
    assert c.single.text == "conv7s2p3"
    assert c.weights_per_c2 == (9 + 9, 49)


def test_no_comparison_for_one_conv_or_pools():
    for text in ("7x7", "conv3,pool2"):
        spec = parse(text)
        assert compare_with_single_kernel(spec, propagate(build_graph(spec), "Cx32x32")) is None
