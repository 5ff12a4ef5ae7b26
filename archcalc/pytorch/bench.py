"""Forward-pass timing of any model (zoo, spec file) with random weights, against the analytic FLOPs and the roofline.

What is measured, per (model, batch): `warmup` untimed forward passes, then `repeats` timed ones under
torch.inference_mode(), each timed on its own: with CUDA events on a GPU (the GPU's clock, one
synchronisation at the end), with time.perf_counter on the CPU (which runs synchronously). Reported: the
median and spread (interquartile range, min, max) in milliseconds, images per second (batch / median),
achieved TFLOP/s (the ANALYTIC FLOPs of archcalc.analyze at the same input and batch, 2 x conv and linear
MACs, over the median time), and on CUDA the peak of torch.cuda.max_memory_allocated during the runs
(weights, activations and workspaces; null on the CPU, where PyTorch keeps no such counter).

The roofline bound (archcalc.analyses.roofline) needs the device's peaks: from the datasheet table (archcalc.analyses.devices)
for a known GPU, from `calibrate()` (a large matmul and a device-to-device copy, best of several runs), or
given by the user; the CPU has no table entry.

torch is imported inside the functions: importing this module costs nothing.
"""

from __future__ import annotations

import platform
import statistics
import time
from typing import Callable, Optional

from ..errors import ArchcalcError, InputError
from ..analyses.roofline import Peaks, layer_bounds, ratio, total_bound_s

SCHEMA = 1
DTYPES = ("float32", "float16", "bfloat16")
DEVICES = ("cuda", "cpu")


class BenchError(ArchcalcError):
    """A model that cannot be built or run for a benchmark."""


def torch_dtype(name: str):
    import torch

    if name not in DTYPES:
        raise InputError(f"dtype '{name}' is not one of {', '.join(DTYPES)}")
    return getattr(torch, name)


def resolve_device(requested: Optional[str]) -> tuple:
    """(device, note): 'cuda' when a GPU is there and none was asked for, else 'cpu' with a note saying so."""
    import torch

    if requested is not None and requested not in DEVICES:
        raise InputError(f"--device {requested}: must be one of {', '.join(DEVICES)}")
    available = torch.cuda.is_available()
    if requested == "cuda" and not available:
        raise InputError(f"--device cuda: no CUDA GPU is available to torch {torch.__version__}")
    if requested is None:
        if available:
            return "cuda", None
        return "cpu", "no CUDA GPU found; benchmarking on the CPU"
    return requested, None


def cpu_name() -> str:
    """The processor's model name from /proc/cpuinfo, else what the platform module knows."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def device_name(device: str) -> str:
    import torch

    return torch.cuda.get_device_name() if device == "cuda" else cpu_name()


def synchronize(device: str) -> None:
    import torch

    if device == "cuda":
        torch.cuda.synchronize()


def tf32_allowed() -> bool:
    """Whether PyTorch may run float32 convolutions or matmuls on TF32 tensor cores (cuDNN's default: yes)."""
    import torch

    return bool(torch.backends.cudnn.allow_tf32 or torch.backends.cuda.matmul.allow_tf32)


def build_model(name: str, device: str, dtype: str, input=None):
    """(module in eval mode with random weights on `device` in `dtype`, layer_modules or None).

    A PyTorch source (torchvision:, timm:, a file) is the model itself; torchvision-named zoo entries come from
    torchvision (weights=None, the entry's kwargs); any other model
    (a zoo entry, a spec file) from archcalc.pytorch.build.build_module (sized by a dry run at `input`,
    (C, H, W), the model's default when None), whose `layer_modules` map the analytic layer names to modules.
    """
    import torch

    from ..sources import resolve, zoo_entry

    from ..sources.torch_models import is_torch_source

    entry = zoo_entry(name)
    layer_modules = None
    if isinstance(name, str) and is_torch_source(name):  # the PyTorch model itself, materialised and initialised
        module = _materialised(name, device)
    elif entry is not None and entry.torchvision:
        from ..sources.torchvision_import import models

        builder = getattr(models(), entry.torchvision)
        with torch.device(device):  # initialise on the device: random init of vgg16 on a GPU takes ms, not s
            module = builder(weights=None, **entry.torchvision_kwargs)
    else:
        from .build import build_module

        module = build_module(resolve(name), device, torch_dtype(dtype), input=input)
        layer_modules = getattr(module, "layer_modules", None)
    return module.to(device=device, dtype=torch_dtype(dtype)).eval(), layer_modules


def _materialised(name: str, device: str):
    """The named PyTorch model (built on meta by the importer) on `device`, each module's own init run."""
    import copy

    import torch

    from ..sources import _torch_model

    module = copy.deepcopy(_torch_model(name, ()).module).to_empty(device=device)
    with torch.no_grad():
        for m in module.modules():
            if hasattr(m, "reset_parameters"):
                m.reset_parameters()
            if hasattr(m, "reset_running_stats"):
                m.reset_running_stats()
    return module


def time_callable(fn: Callable, *, repeats: int, warmup: int, device: str) -> list:
    """Milliseconds of each of `repeats` calls of fn(), after `warmup` untimed calls."""
    import torch

    if repeats < 1 or warmup < 0:
        raise InputError(f"repeats {repeats} and warmup {warmup}: need repeats >= 1 and warmup >= 0")
    for _ in range(warmup):
        fn()
    synchronize(device)
    if device == "cuda":
        marks = [(torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True))
                 for _ in range(repeats)]
        for start, end in marks:
            start.record()
            fn()
            end.record()
        torch.cuda.synchronize()
        return [start.elapsed_time(end) for start, end in marks]
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1e3)
    return times


def spread(times_ms: list) -> dict:
    """Median, interquartile range, min and max of a list of milliseconds (IQR 0 for a single value)."""
    if len(times_ms) > 1:
        q1, _, q3 = statistics.quantiles(times_ms, n=4, method="inclusive")
    else:
        q1 = q3 = times_ms[0]
    return {"median_ms": statistics.median(times_ms), "iqr_ms": q3 - q1,
            "min_ms": min(times_ms), "max_ms": max(times_ms)}


def time_with_torch_benchmark(fn: Callable, *, min_run_time: float = 1.0) -> dict:
    """The same call timed by torch.utils.benchmark.Timer.blocked_autorange (it synchronises CUDA itself).

    The Timer runs on one thread unless told otherwise; it is given the process's thread count so that both
    timers measure the same thing.
    """
    import torch
    from torch.utils import benchmark

    timer = benchmark.Timer(stmt="fn()", globals={"fn": fn}, num_threads=torch.get_num_threads())
    measurement = timer.blocked_autorange(min_run_time=min_run_time)
    return {"median_ms": measurement.median * 1e3, "iqr_ms": measurement.iqr * 1e3,
            "runs": len(measurement.times) * measurement.number_per_run}


def calibrate(device: str, dtype: str, repeats: int = 5) -> Peaks:
    """Measure the device's ceilings: a square matmul's FLOP/s and a device copy's bytes/s, best of `repeats`.

    Sizes: 8192^2 matrices and a 1 GiB copy on CUDA, 1024^2 and 64 MiB on the CPU. A copy moves its size
    twice (read and write). For float32 on CUDA the matmul may use TF32 when PyTorch lets convolutions use it,
    so that the compute ceiling is the one the model's convolutions can reach.
    """
    import torch

    n, copy_bytes = (8192, 2**30) if device == "cuda" else (1024, 2**26)
    t = torch_dtype(dtype)
    a = torch.randn(n, n, device=device, dtype=t)
    b = torch.randn(n, n, device=device, dtype=t)
    c = torch.empty(n, n, device=device, dtype=t)
    before = torch.get_float32_matmul_precision()
    if device == "cuda" and dtype == "float32" and tf32_allowed():
        torch.set_float32_matmul_precision("high")  # TF32 matmuls, as cuDNN's float32 convolutions may use
    try:
        matmul_ms = min(time_callable(lambda: torch.mm(a, b, out=c), repeats=repeats, warmup=2, device=device))
    finally:
        torch.set_float32_matmul_precision(before)
    del a, b, c
    src = torch.empty(copy_bytes, dtype=torch.uint8, device=device)
    dst = torch.empty_like(src)
    copy_ms = min(time_callable(lambda: dst.copy_(src), repeats=repeats, warmup=2, device=device))
    del src, dst
    flops_per_s = 2 * n**3 / (matmul_ms / 1e3)  # a multiply-accumulate counts 2
    bytes_per_s = 2 * copy_bytes / (copy_ms / 1e3)  # read + write
    return Peaks(flops_per_s, bytes_per_s,
                 f"calibrated: {n}x{n} {dtype} matmul, {copy_bytes // 2**20} MiB copy, best of {repeats}")


def device_peaks(device: str, dtype: str, *, calibrated: bool = False, peak_tflops: Optional[float] = None,
                 bandwidth_gbs: Optional[float] = None) -> tuple:
    """(Peaks or None, note or None): options over calibration over the datasheet table."""
    from ..analyses.devices import lookup, math_mode

    base, note = None, None
    if calibrated:
        base = calibrate(device, dtype)
    elif device == "cuda":
        name = device_name(device)
        spec = lookup(name)
        mode = math_mode(dtype, tf32_allowed())
        if spec is None:
            note = f"'{name}' is not in archcalc's device table; use --calibrate or --peak-tflops/--bandwidth-gbs"
        elif spec.peak_tflops(mode) is None:
            note = f"the {spec.name} datasheet gives no {mode} rate; use --calibrate or --peak-tflops"
        else:
            base = Peaks.from_units(spec.peak_tflops(mode), spec.bandwidth_gbs,
                                    f"{spec.name} datasheet, {mode} dense: {spec.source}")
    if peak_tflops is None and bandwidth_gbs is None:
        if base is None and note is None:
            note = "no peaks for the CPU: roofline columns are empty (use --calibrate or --peak-tflops and --bandwidth-gbs)"
        return base, note
    if base is None and (peak_tflops is None or bandwidth_gbs is None):
        raise InputError("--peak-tflops and --bandwidth-gbs: give both where the device has no known peaks "
                         "(or add --calibrate)")
    tflops = peak_tflops if peak_tflops is not None else base.tflops
    gbs = bandwidth_gbs if bandwidth_gbs is not None else base.bandwidth_gbs
    origin = "given" if base is None else f"given over {base.source}"
    return Peaks.from_units(tflops, gbs, origin), None


def prepare(name: str, *, device: str, dtype: str, channels_last: bool, input=None):
    """(module, layer_modules): the model built at `input` (C, H, W) and put in the requested memory format."""
    import torch

    module, layer_modules = build_model(name, device, dtype, input)
    if channels_last:
        module = module.to(memory_format=torch.channels_last)
    return module, layer_modules


def bench_one(name: str, module, *, device: str, batch: int, dtype: str, channels_last: bool = False,
              compiled=None, repeats: int = 10, warmup: int = 3, input=None, peaks: Optional[Peaks] = None,
              per_layer: bool = False, layer_modules: Optional[dict] = None) -> dict:
    """One result record (the JSON schema's fields) for one model at one batch size."""
    from ..sources import analyze, resolve
    from .guard import check_fits, torch_errors

    report = analyze(name, input=input, batch=batch, dtype=dtype)
    check_fits(report, resolve(name, input), device, f"bench {name}")
    with torch_errors(f"bench {name} at batch {batch}"):
        return _bench_record(name, module, report, device=device, dtype=dtype, channels_last=channels_last,
                             compiled=compiled, repeats=repeats, warmup=warmup, peaks=peaks,
                             per_layer=per_layer, layer_modules=layer_modules)


def _bench_record(name: str, module, report, *, device: str, dtype: str, channels_last: bool, compiled,
                  repeats: int, warmup: int, peaks: Optional[Peaks], per_layer: bool,
                  layer_modules: Optional[dict]) -> dict:
    import torch

    batch = report.batch
    dims = [int(d) for d in report.input.as_list()]
    x = torch.randn(batch, *dims, device=device, dtype=torch_dtype(dtype))
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    run = compiled if compiled is not None else module
    if device == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    try:
        with torch.inference_mode():
            times = time_callable(lambda: run(x), repeats=repeats, warmup=warmup, device=device)
    except RuntimeError as err:  # out of memory, an unsupported dtype on this device, ...
        raise BenchError(f"{name} at batch {batch} ({dtype}) failed on {device}: {str(err).splitlines()[0]}") from None
    peak_memory = torch.cuda.max_memory_allocated() if device == "cuda" else None
    stats = spread(times)
    median_s = stats["median_ms"] / 1e3
    flops = int(report.totals["flops"])
    bounds = layer_bounds(report, peaks) if peaks is not None else None
    bound_s = total_bound_s(bounds) if bounds is not None else None
    record = {
        "model": name, "batch": batch, "dtype": dtype, "channels_last": channels_last,
        "compile": compiled is not None, "repeats": repeats, **stats,
        "images_per_s": batch / median_s, "achieved_tflops": flops / median_s / 1e12,
        "peak_memory_bytes": peak_memory,
        "roofline_ms": bound_s * 1e3 if bound_s is not None else None,
        "roofline_ratio": ratio(median_s, bound_s),
        # beyond the schema's required fields
        "input": dims, "warmup": warmup, "flops": flops, "times_ms": times,
        "roofline_limiter": _limiter(bounds) if bounds is not None else None,
    }
    if per_layer:
        from .layer_timing import per_layer_rows, time_layers

        timing = time_layers(module, x, names=[s.name for s in report.layers], device=device,
                             repeats=repeats, warmup=min(warmup, 1), layer_modules=layer_modules)
        record["per_layer"] = per_layer_rows(report, peaks, timing)
        record["per_layer_total_ms"] = timing["total_ms"]
    return record


def _limiter(bounds) -> str:
    """Which ceiling holds most of the model's bound: 'compute' or 'memory'."""
    compute = sum(b.bound_s for b in bounds if b.limiter == "compute")
    memory = sum(b.bound_s for b in bounds if b.limiter == "memory")
    return "compute" if compute >= memory else "memory"


def run_bench(models, *, device: Optional[str] = None, batches=(1,), dtype: str = "float32",
              channels_last: bool = False, compile: bool = False, repeats: int = 10, warmup: int = 3,
              input=None, calibrated: bool = False, peak_tflops: Optional[float] = None,
              bandwidth_gbs: Optional[float] = None, per_layer: bool = False,
              on_note: Callable = lambda note: None, on_step: Callable = lambda model, batch, done: None,
              keep_on_interrupt: bool = False) -> dict:
    """Benchmark every model at every batch size; the bench JSON document (schema 1).

    `on_note` receives the one-line note that the CPU stands in for a missing GPU, as soon as it is known;
    `on_step(model, batch, done)` each step as it starts (batch None: the model is built), with the number of
    measurements done. With `keep_on_interrupt`, Ctrl-C ends the loop and the document holds what finished,
    with "interrupted": true.
    """
    import torch

    from ..sources import analyze

    if per_layer and compile:
        raise InputError("--per-layer and --compile: hooks do not see inside a compiled graph; pick one")
    if dtype not in DTYPES:
        raise InputError(f"dtype '{dtype}' is not one of {', '.join(DTYPES)}")
    device, note = resolve_device(device)
    if note:
        on_note(note)
    peaks, peak_note = device_peaks(device, dtype, calibrated=calibrated, peak_tflops=peak_tflops,
                                    bandwidth_gbs=bandwidth_gbs)
    notes = [n for n in (note, peak_note) if n]
    if device == "cpu":
        notes.append("peak memory: not measured on the CPU (PyTorch keeps no allocation peak there): null")
    results, interrupted = [], False
    try:
        for name in models:
            on_step(name, None, len(results))
            dims = tuple(int(d) for d in analyze(name, input=input).input.as_list())
            module, layer_modules = prepare(name, device=device, dtype=dtype, channels_last=channels_last, input=dims)
            compiled = torch.compile(module) if compile else None
            for batch in batches:
                on_step(name, batch, len(results))
                results.append(bench_one(name, module, device=device, batch=batch, dtype=dtype,
                                         channels_last=channels_last, compiled=compiled, repeats=repeats,
                                         warmup=warmup, input=input, peaks=peaks, per_layer=per_layer,
                                         layer_modules=layer_modules))
            del module, compiled
            if device == "cuda":
                torch.cuda.empty_cache()
    except KeyboardInterrupt:
        if not keep_on_interrupt:
            raise
        interrupted = True
        notes.append(f"interrupted (Ctrl-C) after {len(results)} of {len(models) * len(batches)} measurements")
    doc = {"schema": SCHEMA, "kind": "bench", "device": device, "device_name": device_name(device),
           "torch": torch.__version__, "peaks": peaks.to_json() if peaks is not None else None,
           "notes": notes, "results": results}
    return {**doc, "interrupted": True} if interrupted else doc
