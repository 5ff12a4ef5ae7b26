"""The analytic saved-for-backward estimate (analyses/backward_memory.py): arithmetic cases, and measured bytes.

Expected values are written as arithmetic from what PyTorch's autograd formulas keep (derivatives.yaml):
a conv keeps its input, a ReLU its output, a max pool its input and int64 indices, a batch norm its input
and a float32 mean and inverse std per channel for the whole batch. Storages shared by several ops count
once. The last tests compare with torch.autograd.graph.saved_tensors_hooks on real models.
"""

from __future__ import annotations

import pytest

import archcalc
from archcalc import Net
from archcalc.analyses.backward_memory import saved_for_backward, training_memory

F32 = 4


def _estimate(net, batch=1, device="cpu"):
    graph = net.graph()
    return saved_for_backward(graph, archcalc.analyze(graph, batch=batch), device).total_bytes


def test_conv_relu_conv_keeps_input_and_one_relu_output():
    net = Net("t", input=(3, 8, 8))
    x = net.relu(net.conv(net.input, 4, 3), inplace=False)  # 4x6x6
    net.conv(x, 5, 3)
    # conv1: input 3x8x8; relu: its output 4x6x6, which conv2 keeps as its input too (one storage)
    assert _estimate(net, batch=2) == (3 * 8 * 8 + 4 * 6 * 6) * 2 * F32


def test_max_pool_keeps_input_and_int64_indices():
    net = Net("t", input=(3, 8, 8))
    net.maxpool(net.conv(net.input, 4, 3), 2)  # conv 4x6x6, pool 4x3x3
    assert _estimate(net) == 3 * 8 * 8 * F32 + 4 * 6 * 6 * F32 + 4 * 3 * 3 * 8


def test_batch_norm_statistics_are_per_batch_not_per_sample():
    net = Net("t", input=(3, 8, 8))
    net.batchnorm(net.conv(net.input, 4, 3))
    batch = 3
    assert _estimate(net, batch) == (3 * 8 * 8 + 4 * 6 * 6) * batch * F32 + 2 * 4 * F32


def test_nothing_is_saved_before_the_first_layer_with_weights():
    net = Net("t", input=(3, 8, 8))
    x = net.relu(net.maxpool(net.input, 2))  # no grad flows here: autograd records nothing
    net.conv(x, 4, 3)
    assert _estimate(net) == 3 * 4 * 4 * F32  # only the conv's input


def test_dropout_mask_is_float_noise_on_cpu_and_bool_on_cuda():
    net = Net("t", input=(10,))
    net.dropout(net.linear(net.input, 6), 0.5)
    assert _estimate(net) == 10 * F32 + 6 * F32
    assert _estimate(net, device="cuda") == 10 * F32 + 6 * 1


def test_in_place_add_and_views_share_storage():
    net = Net("t", input=(4, 6, 6))
    y = net.conv(net.input, 4, 3, padding=1)
    s = net.add([y, net.input], inplace=True)
    z = net.flatten(net.relu(s, inplace=True))
    net.linear(z, 2)
    # conv keeps the input; relu keeps its output (= y's storage); linear keeps the flattened view (same)
    assert _estimate(net) == (4 * 6 * 6 + 4 * 6 * 6) * F32


def test_symbolic_input_gives_a_formula():
    import sympy

    h = sympy.Symbol("H", positive=True, integer=True)
    net = Net("t")
    net.conv(net.input, 4, 1)
    est = training_memory(net.graph(), input="3xHxH")
    assert sympy.simplify(est.total_bytes - 3 * h * h * F32) == 0



@pytest.mark.parametrize("name", ["alexnet-paper", "googlenet", "squeezenet1_0", "fractal-block", "lenet5"])
def test_estimate_equals_saved_tensors_hooks(name):
    pytest.importorskip("torch", reason="measuring saved tensors needs torch")
    from archcalc.pytorch.build import build_module
    from archcalc.pytorch.measured_memory import saved_tensor_bytes

    graph = archcalc.resolve(name)
    module = build_module(graph, device="meta")
    measured = saved_tensor_bytes(module, graph.default_input, batch=2)
    assert training_memory(name, batch=2).total_bytes == measured.activation_bytes


def test_in_place_relu6_keeps_a_copy_of_its_input():
    # found by the property test: hardtanh_ (in-place ReLU6) keeps the original input in a storage of its own,
    # while the following batch norm keeps the overwritten tensor
    net = Net("t", input=(2, 6, 6))
    x = net.act("relu6", net.conv(net.input, 1, 1, bias=False), inplace=True)
    net.batchnorm(x, affine=False)
    assert _estimate(net) == 2 * 6 * 6 * F32 + 1 * 6 * 6 * F32 + 1 * 6 * 6 * F32 + 2 * 1 * F32
