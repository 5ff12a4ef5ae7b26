"""archcalc.pytorch.bench and per_layer on the CPU: the mechanics of timing, units, records and roofline.

No speed goals here (benchmarks/cuda_bench.py holds real figures); sizes are tiny so that 2 shared cores
cope. CUDA tests skip with a reason when there is no GPU.
"""

import time

import pytest

import torch

import archcalc  # noqa: E402
from archcalc import Net  # noqa: E402
from archcalc.pytorch import bench  # noqa: E402
from archcalc.pytorch.layer_timing import OUTSIDE, UNMATCHED, attribute, per_layer_rows, time_layers  # noqa: E402
from archcalc.analyses.roofline import Peaks, layer_bounds, total_bound_s  # noqa: E402

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU on this machine")
SCHEMA_KEYS = {"model", "batch", "dtype", "channels_last", "compile", "repeats", "median_ms", "iqr_ms",
               "min_ms", "max_ms", "images_per_s", "achieved_tflops", "peak_memory_bytes", "roofline_ms",
               "roofline_ratio"}


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_warmup_happens_and_repeats_are_counted():
    calls = []
    times = bench.time_callable(lambda: calls.append(1), repeats=5, warmup=3, device="cpu")
    assert len(calls) == 3 + 5
    assert len(times) == 5


def test_times_are_milliseconds():
    times = bench.time_callable(lambda: time.sleep(0.02), repeats=2, warmup=0, device="cpu")
    assert all(20 <= t < 2000 for t in times), times  # a 20 ms sleep reads as 20+, not 0.02 or 20000


def test_torch_benchmark_timer_in_milliseconds():
    result = bench.time_with_torch_benchmark(lambda: time.sleep(0.005), min_run_time=0.05)
    assert result["median_ms"] >= 5 and result["runs"] >= 1


def test_spread_by_hand():
    assert bench.spread([5.0, 1.0, 4.0, 2.0, 3.0]) == {"median_ms": 3.0, "iqr_ms": 4.0 - 2.0, "min_ms": 1.0,
                                                        "max_ms": 5.0}
    assert bench.spread([7.0]) == {"median_ms": 7.0, "iqr_ms": 0.0, "min_ms": 7.0, "max_ms": 7.0}


@pytest.mark.parametrize("repeats, warmup", [(0, 1), (1, -1)])
def test_bad_repeat_counts(repeats, warmup):
    with pytest.raises(archcalc.ArchcalcError):
        bench.time_callable(lambda: None, repeats=repeats, warmup=warmup, device="cpu")


def test_record_units_against_torch_flop_counter():
    from torch.utils.flop_counter import FlopCounterMode

    module, _ = bench.prepare("alexnet", device="cpu", dtype="float32", channels_last=False)
    record = bench.bench_one("alexnet", module, device="cpu", batch=2, dtype="float32", repeats=3, warmup=1,
                             input=(3, 64, 64))
    assert SCHEMA_KEYS <= set(record)
    assert record["repeats"] == 3 and len(record["times_ms"]) == 3
    assert record["min_ms"] <= record["median_ms"] <= record["max_ms"]
    assert record["images_per_s"] == pytest.approx(2 / (record["median_ms"] / 1e3))
    # achieved TFLOP/s uses the analytic FLOPs; torch's own counter (2 per MAC, conv and matmul) agrees
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        module(torch.randn(2, 3, 64, 64))
    flops = counter.get_total_flops()
    assert record["achieved_tflops"] == pytest.approx(flops / (record["median_ms"] / 1e3) / 1e12)
    assert record["peak_memory_bytes"] is None  # no allocation peak on the CPU
    assert record["roofline_ms"] is None and record["roofline_ratio"] is None


def test_record_with_given_peaks_has_its_roofline():
    peaks = Peaks.from_units(1.0, 10.0, "given")
    module, _ = bench.prepare("alexnet", device="cpu", dtype="float32", channels_last=True)
    record = bench.bench_one("alexnet", module, device="cpu", batch=1, dtype="float32", channels_last=True,
                             repeats=2, warmup=1, input=(3, 64, 64), peaks=peaks)
    report = archcalc.analyze("alexnet", input=(3, 64, 64))
    bound_s = total_bound_s(layer_bounds(report, peaks))
    assert record["roofline_ms"] == pytest.approx(bound_s * 1e3)
    assert record["roofline_ratio"] == pytest.approx(record["median_ms"] / (bound_s * 1e3))
    assert record["channels_last"] is True


def test_roofline_bound_of_a_matmul_is_its_arithmetic():
    """A 1024^3 matmul (a linear layer at batch 1024): FLOPs, bytes and the bound written out by hand.

    Whether a measured matmul stays above the calibrated bound is a timing question, checked by
    benchmarks/bench_roofline.py rather than here (a calibration is an estimate, and a shared machine moves it).
    """
    n = 1024
    net = Net("matmul", (n,))
    net.linear(net.input, n, bias=False, name="mm")
    report = archcalc.analyze(net, batch=n)
    peaks = Peaks.from_units(2.0, 100.0, "given")  # 2 TFLOP/s, 100 GB/s
    (bound,) = layer_bounds(report, peaks)
    assert bound.flops == 2 * n**3
    assert bound.bytes_moved == 3 * n * n * 4  # input, output, weight; float32
    assert bound.compute_s == pytest.approx(2 * n**3 / 2e12)
    assert bound.memory_s == pytest.approx(3 * n * n * 4 / 100e9)
    assert bound.bound_s == bound.compute_s and bound.limiter == "compute"


def test_attribute_splits_a_module_called_twice():
    calls = [("conv1", 1.0), ("layer1.0.relu", 0.5), ("layer1.0.relu", 0.25), ("pool", 0.125)]
    layers, unmatched = attribute(calls, {"conv1", "layer1.0.relu1", "layer1.0.relu2"})
    assert layers == {"conv1": 1.0, "layer1.0.relu1": 0.5, "layer1.0.relu2": 0.25}
    assert unmatched == 0.125


def test_per_layer_times_resnet18_layers():
    module, _ = bench.prepare("resnet18", device="cpu", dtype="float32", channels_last=False)
    report = archcalc.analyze("resnet18", input=(3, 32, 32))
    x = torch.randn(1, 3, 32, 32)
    timing = time_layers(module, x, names=[s.name for s in report.layers], device="cpu", repeats=2, warmup=1)
    rows = {r["name"]: r for r in per_layer_rows(report, Peaks.from_units(1, 1), timing)}
    assert rows["conv1"]["measured_ms"] > 0
    assert rows["conv1"]["flops"] == 2 * (64 * 16 * 16) * (7 * 7 * 3)  # 64x16x16 outputs, 7x7x3 window
    assert rows["layer1.0.relu1"]["measured_ms"] > 0 and rows["layer1.0.relu2"]["measured_ms"] > 0
    assert rows["layer1.0.add"]["measured_ms"] is None  # `out += identity` is no module
    assert rows["conv1"]["roofline_ratio"] == pytest.approx(rows["conv1"]["measured_ms"] / rows["conv1"]["roofline_ms"])
    assert rows[UNMATCHED]["measured_ms"] == 0
    assert OUTSIDE in rows and timing["total_ms"] > rows["conv1"]["measured_ms"]


def test_run_bench_document_on_cpu():
    notes = []
    doc = bench.run_bench(["alexnet"], device="cpu", batches=(1, 2), repeats=2, warmup=1, input=(3, 64, 64),
                          on_note=notes.append)
    assert notes == []  # the CPU was asked for: nothing to say
    assert doc["schema"] == 1 and doc["kind"] == "bench" and doc["device"] == "cpu"
    assert doc["torch"] == torch.__version__ and doc["peaks"] is None
    assert [r["batch"] for r in doc["results"]] == [1, 2]
    assert any("peak memory" in n for n in doc["notes"])


def test_run_bench_refuses_per_layer_with_compile():
    with pytest.raises(archcalc.ArchcalcError, match="per-layer"):
        bench.run_bench(["alexnet"], device="cpu", per_layer=True, compile=True)


def test_options_override_calibration_and_need_both_on_cpu():
    peaks, note = bench.device_peaks("cpu", "float32", peak_tflops=2.0, bandwidth_gbs=50.0)
    assert peaks.tflops == pytest.approx(2.0) and peaks.bandwidth_gbs == pytest.approx(50.0) and note is None
    with pytest.raises(archcalc.ArchcalcError, match="both"):
        bench.device_peaks("cpu", "float32", peak_tflops=2.0)
    peaks, note = bench.device_peaks("cpu", "float32")
    assert peaks is None and "no peaks" in note


def test_spec_built_model_runs():
    doc = bench.run_bench(["lenet5"], device="cpu", batches=(2,), repeats=2, warmup=1, per_layer=True)
    rows = {r["name"]: r for r in doc["results"][0]["per_layer"]}
    assert rows["c1"]["measured_ms"] > 0  # build_module's layer_modules are hooked by their layer names


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_cuda_without_gpu_is_an_error():
    with pytest.raises(archcalc.ArchcalcError, match="no CUDA GPU"):
        bench.resolve_device("cuda")
    assert bench.resolve_device(None) == ("cpu", "no CUDA GPU found; benchmarking on the CPU")


@needs_cuda
def test_cuda_record_has_memory_and_a_valid_bound():
    doc = bench.run_bench(["resnet18"], device="cuda", batches=(8,), repeats=5, warmup=2, per_layer=True)
    r = doc["results"][0]
    report = archcalc.analyze("resnet18", batch=8)
    assert r["peak_memory_bytes"] > report.totals["param_bytes"]  # weights at least, activations beside
    if doc["peaks"] is not None:  # a GPU in the datasheet table
        assert r["roofline_ratio"] >= 1
    assert r["per_layer"][0]["measured_ms"] > 0


@needs_cuda
def test_cuda_events_agree_with_torch_benchmark():
    module, _ = bench.prepare("resnet18", device="cuda", dtype="float32", channels_last=False)
    x = torch.randn(8, 3, 224, 224, device="cuda")
    with torch.inference_mode():
        events = bench.spread(bench.time_callable(lambda: module(x), repeats=20, warmup=5, device="cuda"))
        timer = bench.time_with_torch_benchmark(lambda: module(x), min_run_time=0.5)
    assert timer["median_ms"] == pytest.approx(events["median_ms"], rel=0.15)
