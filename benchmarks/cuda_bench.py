"""The lecture's four networks timed on a GPU, against the device's roofline, with a second timer as a check.

For every (model, dtype, batch): CUDA-event timing of `repeats` forward passes after a warm-up (median, IQR,
min, max, images/s, achieved TFLOP/s from the analytic FLOPs, peak allocated memory), the roofline bound
from the datasheet table and from a calibration (a large matmul and a device copy), and the same model timed
again by torch.utils.benchmark.Timer.blocked_autorange: the two medians should agree within a few percent.
At the largest batch, per-layer timing (CUDA events around each module) split by what limits each layer.

Robust by design: a failing configuration is recorded with its error and the run goes on; bench.json is
rewritten after every configuration, so a run cut short keeps what it measured; a time budget stops new
configurations in time to write the Markdown and the plot.

Run on a GPU machine, from the checkout (needs torch + torchvision, not fvcore):
    PYTHONPATH=. python3 benchmarks/cuda_bench.py OUT_DIR
Check it on the CPU (tiny input, few repeats; known to run):
    .venv/bin/python benchmarks/cuda_bench.py /tmp/cuda_bench_smoke --smoke
Writes OUT_DIR/bench.json (schema 1 of `archcalc bench --json`, plus the extra fields below),
OUT_DIR/bench.md and OUT_DIR/bench.png.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the checkout, when not on PYTHONPATH
from archcalc.output.files import write_atomic  # noqa: E402

MODELS = ("alexnet", "vgg16", "googlenet", "resnet152")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="output folder (created)")
    parser.add_argument("--smoke", action="store_true", help="tiny input, few repeats: checks that it runs")
    parser.add_argument("--device", choices=("cuda", "cpu"), default=None,
                        help="default: cuda (cpu with --smoke when there is no GPU)")
    parser.add_argument("--models", default=None, help=f"default: {','.join(MODELS)} (smoke: alexnet,googlenet)")
    parser.add_argument("--batches", default="1,64")
    parser.add_argument("--dtypes", default="float32,bfloat16")
    parser.add_argument("--repeats", type=int, default=None, help="timed passes (default 50; smoke 3)")
    parser.add_argument("--warmup", type=int, default=None, help="untimed passes (default 10; smoke 1)")
    parser.add_argument("--timer-seconds", type=float, default=None,
                        help="torch.utils.benchmark min_run_time per configuration (default 1.0; smoke 0.05)")
    parser.add_argument("--budget-s", type=float, default=360.0,
                        help="start no new configuration after this many seconds (default 360)")
    return parser.parse_args(argv)


def limiter_split(per_layer: list) -> dict:
    """Measured ms summed over compute-limited layers, memory-limited layers, and the rest."""
    split = {"compute": 0.0, "memory": 0.0, "other": 0.0}
    for row in per_layer:
        if row["measured_ms"] is None:
            continue
        split[row["limiter"] if row["limiter"] in ("compute", "memory") else "other"] += row["measured_ms"]
    return split


def measure(name, module, *, device, batch, dtype, input, repeats, warmup, timer_s, peaks, calibrated,
            per_layer):
    """One configuration's record: bench's fields, the calibrated roofline, and the Timer's median."""
    import torch

    from archcalc.sources import analyze
    from archcalc.pytorch import bench
    from archcalc.analyses.roofline import layer_bounds, ratio, total_bound_s

    record = bench.bench_one(name, module, device=device, batch=batch, dtype=dtype, repeats=repeats,
                             warmup=warmup, input=input, peaks=peaks, per_layer=per_layer)
    report = analyze(name, input=input, batch=batch, dtype=dtype)
    if calibrated is not None:
        bound_s = total_bound_s(layer_bounds(report, calibrated))
        record["roofline_ms_calibrated"] = bound_s * 1e3
        record["roofline_ratio_calibrated"] = ratio(record["median_ms"] / 1e3, bound_s)
    x = torch.randn(batch, *record["input"], device=device, dtype=bench.torch_dtype(dtype))

    def forward():
        with torch.inference_mode():
            module(x)

    timer = bench.time_with_torch_benchmark(forward, min_run_time=timer_s)
    record["timer_median_ms"] = timer["median_ms"]
    record["timer_iqr_ms"] = timer["iqr_ms"]
    record["timer_runs"] = timer["runs"]
    record["timer_vs_events"] = timer["median_ms"] / record["median_ms"] - 1
    if per_layer:
        record["per_layer_split_ms"] = limiter_split(record["per_layer"])
    return record


def fmt(value, spec):
    return "-" if value is None else format(value, spec)


def markdown(doc: dict) -> str:
    lines = [f"# archcalc bench: {doc['device_name']} ({doc['device']})", "",
             f"torch {doc['torch']}, cuDNN {doc.get('cudnn')}, float32 convolutions may use TF32: "
             f"{doc.get('tf32')}; {doc['settings']}.", ""]
    for label, key in (("datasheet", "peaks"), ("calibrated", "peaks_calibrated")):
        for dtype, p in (doc.get(key) or {}).items():
            if p:
                lines.append(f"- peaks, {label}, {dtype}: {p['tflops']:.4g} TFLOP/s, {p['bandwidth_gbs']:.4g} GB/s "
                             f"({p['source']})")
    lines += ["", "Times in ms (CUDA events on a GPU, time.perf_counter on the CPU; median of the repeats; IQR and min-max show the spread). "
              "TFLOP/s: analytic FLOPs (2 x conv+linear MACs) / median. Roofline: sum over layers of "
              "max(FLOPs / peak, bytes moved / bandwidth), bytes = inputs + output + weights; ratio = "
              "median / roofline (datasheet peaks, or calibrated ones for a device the table lacks; calibrated "
              "peaks in the next column). Timer: "
              "torch.utils.benchmark.Timer.blocked_autorange median on the same model and input; diff = "
              "Timer / events - 1. Memory: torch.cuda.max_memory_allocated, MB = 10^6 bytes.", ""]
    head = ("model", "dtype", "batch", "median", "IQR", "min", "max", "images/s", "TFLOP/s", "peak MB",
            "roofline", "ratio", "ratio (cal.)", "Timer", "diff")
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in doc["results"]:
        if "error" in r:
            lines.append(f"| {r['model']} | {r['dtype']} | {r['batch']} | failed: {r['error']} |")
            continue
        memory = None if r["peak_memory_bytes"] is None else r["peak_memory_bytes"] / 1e6
        lines.append("| " + " | ".join([
            r["model"], r["dtype"], str(r["batch"]), fmt(r["median_ms"], ".3f"), fmt(r["iqr_ms"], ".3f"),
            fmt(r["min_ms"], ".3f"), fmt(r["max_ms"], ".3f"), fmt(r["images_per_s"], ",.0f"),
            fmt(r["achieved_tflops"], ".3g"), fmt(memory, ",.0f"), fmt(r["roofline_ms"], ".4g"),
            fmt(r["roofline_ratio"], ".2f"), fmt(r.get("roofline_ratio_calibrated"), ".2f"),
            fmt(r.get("timer_median_ms"), ".3f"), fmt(100 * r["timer_vs_events"], "+.1f") + "%"]) + " |")
    split_rows = [r for r in doc["results"] if "per_layer_split_ms" in r]
    if split_rows:
        lines += ["", "Per layer (CUDA events, or perf_counter on the CPU, around each module, hooks on; median over the repeats): measured "
                  "time summed over the layers the roofline calls compute-bound and memory-bound, and the rest "
                  "(functional ops, launch gaps).", "",
                  "| model | dtype | batch | hooked total | compute-bound layers | memory-bound layers | other |",
                  "|---|---|---|---|---|---|---|"]
        for r in split_rows:
            s = r["per_layer_split_ms"]
            lines.append(f"| {r['model']} | {r['dtype']} | {r['batch']} | {r['per_layer_total_ms']:.3f} | "
                         f"{s['compute']:.3f} | {s['memory']:.3f} | {s['other']:.3f} |")
    if doc.get("skipped"):
        lines += ["", "Not run (time budget): " + ", ".join(doc["skipped"])]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    args = parse_args(argv)
    import torch

    from archcalc.sources import analyze
    from archcalc.pytorch import bench

    started = time.perf_counter()
    smoke = args.smoke
    device = args.device or ("cuda" if torch.cuda.is_available() or not smoke else "cpu")
    device, _ = bench.resolve_device(device)
    repeats = args.repeats or (2 if smoke else 50)
    warmup = args.warmup if args.warmup is not None else (1 if smoke else 10)
    timer_s = args.timer_seconds or (0.05 if smoke else 1.0)
    input = (3, 64, 64) if smoke else None
    models = [m for m in (args.models or ("alexnet,googlenet" if smoke else ",".join(MODELS))).split(",") if m]
    batches = [int(b) for b in args.batches.split(",")] if not smoke else [1, 2]
    dtypes = [d for d in args.dtypes.split(",") if d]
    args.out.mkdir(parents=True, exist_ok=True)
    json_path = args.out / "bench.json"

    doc = {"schema": bench.SCHEMA, "kind": "bench", "device": device, "device_name": bench.device_name(device),
           "torch": torch.__version__, "cudnn": torch.backends.cudnn.version() if device == "cuda" else None,
           "tf32": bench.tf32_allowed() if device == "cuda" else None,
           "settings": f"repeats {repeats}, warm-up {warmup}, Timer min_run_time {timer_s} s, "
                       f"cudnn.benchmark {torch.backends.cudnn.benchmark}, input "
                       f"{'x'.join(map(str, input)) if input else 'each model default'}"
                       + (" (smoke run)" if smoke else ""),
           "peaks": {}, "peaks_calibrated": {}, "notes": [], "results": [], "skipped": []}
    for dtype in dtypes:  # peaks first: cheap, and every record needs them
        try:
            peaks, note = bench.device_peaks(device, dtype)
            doc["peaks"][dtype] = peaks.to_json() if peaks else None
            if note:
                doc["notes"].append(f"{dtype}: {note}")
            doc["peaks_calibrated"][dtype] = bench.calibrate(device, dtype).to_json()
        except Exception as err:  # noqa: BLE001 - a failed calibration must not stop the timing
            doc["notes"].append(f"{dtype}: peaks failed: {type(err).__name__}: {err}")
        print(f"peaks {dtype}: {doc['peaks'].get(dtype)} calibrated {doc['peaks_calibrated'].get(dtype)}",
              flush=True)
    write_atomic(json_path, json.dumps(doc, indent=1))

    from archcalc.analyses.roofline import Peaks

    def peaks_of(table, dtype):
        p = doc[table].get(dtype)
        return Peaks.from_units(p["tflops"], p["bandwidth_gbs"], p["source"]) if p else None

    def primary_peaks(dtype):
        """The datasheet's peaks; the calibrated ones where the device is not in the table (a CPU)."""
        return peaks_of("peaks", dtype) or peaks_of("peaks_calibrated", dtype)

    for name in models:
        for dtype in dtypes:
            if time.perf_counter() - started > args.budget_s:
                doc["skipped"] += [f"{name} {dtype} batch {b}" for b in batches]
                continue
            try:
                dims = tuple(int(d) for d in analyze(name, input=input).input.as_list())
                module, _ = bench.prepare(name, device=device, dtype=dtype, channels_last=False, input=dims)
            except Exception as err:  # noqa: BLE001
                for b in batches:
                    doc["results"].append({"model": name, "dtype": dtype, "batch": b,
                                           "error": f"{type(err).__name__}: {str(err).splitlines()[0]}"})
                write_atomic(json_path, json.dumps(doc, indent=1))
                continue
            for batch in batches:
                if time.perf_counter() - started > args.budget_s:
                    doc["skipped"].append(f"{name} {dtype} batch {batch}")
                    continue
                t0 = time.perf_counter()
                try:
                    record = measure(name, module, device=device, batch=batch, dtype=dtype, input=input,
                                     repeats=repeats, warmup=warmup, timer_s=timer_s,
                                     peaks=primary_peaks(dtype), calibrated=peaks_of("peaks_calibrated", dtype),
                                     per_layer=batch == max(batches))
                    print(f"{name} {dtype} b{batch}: {record['median_ms']:.3f} ms (IQR {record['iqr_ms']:.3f}), "
                          f"Timer {record['timer_median_ms']:.3f} ms, ratio {record['roofline_ratio']}, "
                          f"{time.perf_counter() - t0:.1f} s", flush=True)
                except Exception as err:  # noqa: BLE001 - record it, keep going
                    traceback.print_exc()
                    record = {"model": name, "dtype": dtype, "batch": batch,
                              "error": f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"}
                    if device == "cuda":
                        torch.cuda.empty_cache()
                doc["results"].append(record)
                write_atomic(json_path, json.dumps(doc, indent=1))
            del module
            if device == "cuda":
                torch.cuda.empty_cache()

    doc["elapsed_s"] = time.perf_counter() - started
    write_atomic(json_path, json.dumps(doc, indent=1))
    write_atomic(args.out / "bench.md", markdown(doc))
    ok = [r for r in doc["results"] if "error" not in r]
    if ok:
        from archcalc.output.plots import bench_times, save_figure

        save_figure(bench_times(ok, f"archcalc bench on {doc['device_name']}, torch {doc['torch']}"), args.out / "bench.png")
    print(f"wrote {json_path}, bench.md, bench.png in {doc['elapsed_s']:.1f} s; "
          f"{len(ok)} of {len(doc['results'])} configurations ran", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
