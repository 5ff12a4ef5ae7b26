"""The analytic inference peak (archcalc/memory.py) and the measured activation bytes (measure/memory.py)."""

from __future__ import annotations

import pytest

import archcalc
from archcalc import Net
from archcalc.analyses.inference_memory import inference_memory

F32 = 4


def test_chain_peak_is_the_largest_pair_of_neighbours():
    net = Net("t", input=(3, 8, 8))
    x = net.relu(net.conv(net.input, 8, 3, padding=1), inplace=True)  # 8x8x8, relu in place
    net.conv(x, 4, 3, padding=1)  # 4x8x8
    peak = inference_memory(net.graph())
    # conv1 runs with the input alive (3 + 8 channels); conv2 with conv1's output alive (8 + 4)
    assert peak.peak_bytes == max(3 + 8, 8 + 4) * 8 * 8 * F32
    assert peak.at_layer == "conv2"


def test_residual_keeps_its_input_alive_until_the_add():
    net = Net("t", input=(4, 6, 6))
    y = net.conv(net.conv(net.input, 4, 3, padding=1), 4, 3, padding=1)
    net.add([y, net.input])
    plane = 4 * 6 * 6 * F32
    # at the second conv: the input (kept for the add), the first conv's output and the second's
    assert inference_memory(net.graph()).peak_bytes == 3 * plane


def test_peak_scales_with_batch():
    one = inference_memory("vgg16").peak_bytes
    assert inference_memory("vgg16", batch=4).peak_bytes == 4 * one


def test_vgg16_peak_is_its_first_two_block_one_convs():
    # features.2 (64x224x224) runs while features.0's output (64x224x224, relu in place) is alive
    assert inference_memory("vgg16").peak_bytes == 2 * 64 * 224 * 224 * F32


@pytest.mark.torch
@pytest.mark.parametrize("name", ["vgg16_bn", "googlenet", "densenet121", "fractal-block"])
def test_measured_activation_bytes_equal_the_engine(name):
    from archcalc.pytorch.build import build_module
    from archcalc.pytorch.measured_memory import activation_bytes_by_layer

    graph = archcalc.resolve(name)
    module = build_module(graph, device="meta")
    measured = activation_bytes_by_layer(module, module.layer_modules, graph.default_input, batch=2)
    report = archcalc.analyze(graph, batch=2)
    for s in report.layers:
        assert measured[s.name] == s.activation_elems * 2 * F32, s.name
