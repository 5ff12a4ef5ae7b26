"""Roofline arithmetic (archcalc.analyses.roofline): bytes moved, FLOPs, bounds and ratios, written out by hand. No torch."""

import pytest

import archcalc
from archcalc import Net
from archcalc.errors import InputError
from archcalc.analyses.roofline import Peaks, bytes_moved, layer_bounds, ratio, total_bound_s

FLOAT32 = 4  # bytes per element


def small_net() -> Net:
    """conv 3->8 3x3 on 3x10x10, in-place ReLU, flatten, linear 512->10."""
    net = Net("small", (3, 10, 10))
    x = net.conv(net.input, 8, 3, name="conv")
    x = net.relu(x, inplace=True, name="relu")
    x = net.flatten(x, name="flatten")
    net.linear(x, 10, name="fc")
    return net


@pytest.fixture
def report():
    return archcalc.analyze(small_net(), batch=2, dtype="float32")


def test_bytes_moved_is_inputs_plus_output_plus_weights(report):
    # conv: reads 3*10*10 per sample, writes 8*8*8 per sample, reads 8*3*3*3 weights + 8 biases
    assert bytes_moved(report, report.layer("conv")) == (3 * 10 * 10 + 8 * 8 * 8) * 2 * FLOAT32 + (216 + 8) * FLOAT32
    # an in-place ReLU still reads and writes its tensor
    assert bytes_moved(report, report.layer("relu")) == (512 + 512) * 2 * FLOAT32
    # flatten is a view: nothing moves
    assert bytes_moved(report, report.layer("flatten")) == 0
    assert bytes_moved(report, report.layer("fc")) == (512 + 10) * 2 * FLOAT32 + (512 * 10 + 10) * FLOAT32


def test_dropout_is_the_identity_at_inference_and_moves_nothing():
    net = Net("d", (8, 4, 4))
    net.softmax(net.dropout(net.input, 0.5, name="drop"), name="softmax")
    report = archcalc.analyze(net, batch=2, dtype="float32")
    assert bytes_moved(report, report.layer("drop")) == 0
    assert bytes_moved(report, report.layer("softmax")) == (8 * 4 * 4 + 8 * 4 * 4) * 2 * FLOAT32


def test_bounds_take_the_larger_of_compute_and_memory(report):
    peaks = Peaks.from_units(1.0, 1.0)  # 10^12 FLOP/s, 10^9 bytes/s
    bounds = {b.name: b for b in layer_bounds(report, peaks)}
    conv = bounds["conv"]
    assert conv.flops == 2 * (8 * 8 * 8) * (3 * 3 * 3) * 2  # 2 per MAC, MACs per sample, batch 2
    assert conv.compute_s == pytest.approx(conv.flops / 1e12)
    assert conv.memory_s == pytest.approx(7392 / 1e9)
    assert conv.limiter == "memory" and conv.bound_s == conv.memory_s
    assert bounds["relu"].flops == 0 and bounds["relu"].limiter == "memory"
    assert bounds["flatten"].bound_s == 0 and bounds["flatten"].limiter == "-"
    total = total_bound_s(bounds.values())
    assert total == pytest.approx((7392 + 8192 + 0 + 24696) / 1e9)


def test_a_slow_processor_makes_the_conv_compute_bound(report):
    peaks = Peaks.from_units(1e-6, 1000.0)  # 10^6 FLOP/s, 10^12 bytes/s
    conv = layer_bounds(report, peaks)[0]
    assert conv.limiter == "compute"
    assert conv.bound_s == pytest.approx(55296 / 1e6)


def test_peaks_units_and_ratio():
    peaks = Peaks.from_units(989.5, 4800, "H200 bf16")
    assert peaks.flops_per_s == pytest.approx(989.5e12) and peaks.bytes_per_s == pytest.approx(4.8e12)
    assert peaks.tflops == pytest.approx(989.5) and peaks.bandwidth_gbs == pytest.approx(4800)
    assert peaks.to_json() == {"tflops": pytest.approx(989.5), "bandwidth_gbs": pytest.approx(4800),
                               "source": "H200 bf16"}
    assert ratio(3e-3, 1e-3) == pytest.approx(3.0)
    assert ratio(3e-3, None) is None and ratio(3e-3, 0) is None


@pytest.mark.parametrize("tflops, gbs", [(0, 1), (1, -5), (float("nan"), 1)])
def test_peaks_must_be_positive(tflops, gbs):
    with pytest.raises(InputError):
        Peaks.from_units(tflops, gbs)


def test_symbolic_input_has_no_roofline():
    report = archcalc.analyze("alexnet", input="3xHxW")
    with pytest.raises(InputError, match="symbolic"):
        layer_bounds(report, Peaks.from_units(1, 1))
