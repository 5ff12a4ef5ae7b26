"""CUDA memory: measured peaks of alexnet, vgg16, googlenet, resnet152 against archcalc's analytic figures.

    PYTHONPATH=. python3 benchmarks/cuda_verify.py OUT_DIR [--batch 1 8] [--models alexnet vgg16 ...]

Writes OUT_DIR/cuda_verify.json and OUT_DIR/cuda_verify.md. Needs torch with CUDA and torchvision; fvcore
is not needed. Per model and batch, on torchvision's model (zeroed weights, no download):
- inference peak: torch.cuda.max_memory_allocated above the parameters during a no-grad eval forward,
  against archcalc.analyses.inference_memory.inference_peak (tensors alive at once, input included; no workspaces);
- training step peak: the same during a train-mode forward + backward (no optimizer), against
  archcalc.analyses.step_memory.step_peak_above_weights (the most activations and gradients alive at once along
  forward and backward, analyses/step_timeline.py);
- saved for backward on CUDA, measured with saved_tensors_hooks (each storage once) against
  archcalc.analyses.backward_memory.saved_for_backward(device="cuda");
- a whole training step with SGD and momentum (the second one, state allocated), everything allocated from
  zero (archcalc.pytorch.step_measurement.cuda_step_peak), against `archcalc memory`'s training step peak.
Commit the two files under reports/verify/cuda/; `archcalc verify --lecture` quotes vgg16 from there.

    PYTHONPATH=. python3 benchmarks/cuda_verify.py OUT_DIR --reanalyse

keeps the measured figures of OUT_DIR/cuda_verify.json and recomputes every analytic figure (and ratio) with
the present engine, without torch or a GPU: how a better estimate is checked against old measurements.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

MODELS = ("alexnet", "vgg16", "googlenet", "resnet152")


def measure(name: str, batch: int) -> dict:
    import torch

    import archcalc
    from archcalc.conventions import MB
    from archcalc.pytorch.measured_memory import cuda_peaks, saved_tensor_bytes
    from archcalc.pytorch.step_measurement import cuda_step_peak
    from archcalc.pytorch.torchvision_models import build_torchvision

    shape = tuple(archcalc.analyze(name).input.as_list())
    start = time.perf_counter()
    model = build_torchvision(name, device="cuda")
    peaks = cuda_peaks(model, shape, batch)
    saved = saved_tensor_bytes(model, shape, batch)
    step = cuda_step_peak(build_torchvision(name, device="cuda"), shape, batch, "sgd-momentum")
    record = analysed({
        "model": name, "batch": batch, "device": peaks.device_name, "torch": torch.__version__,
        "parameter_bytes": peaks.parameter_bytes, "inference_bytes": peaks.inference_bytes,
        "training_bytes": peaks.training_bytes, "saved_bytes": saved.activation_bytes, "step_bytes": step,
        "seconds": round(time.perf_counter() - start, 2)})
    del model
    torch.cuda.empty_cache()
    print(f"{name} batch {batch}: inference {record['inference_bytes'] / MB:.1f} MB (analytic "
          f"{record['inference_analytic'] / MB:.1f}), training {record['training_bytes'] / MB:.1f} MB (analytic "
          f"{record['training_analytic'] / MB:.1f}), saved {record['saved_bytes'] / MB:.1f} MB (analytic "
          f"{record['saved_analytic'] / MB:.1f})", flush=True)
    return record


def analysed(record: dict) -> dict:
    """`record` (measured figures of one model and batch) with the present engine's analytic figures and ratios."""
    import archcalc
    from archcalc.analyses.backward_memory import saved_for_backward
    from archcalc.analyses.inference_memory import inference_peak
    from archcalc.analyses.step_memory import step_peak_above_weights

    graph = archcalc.resolve(record["model"])
    report = archcalc.analyze(graph, batch=record["batch"])
    record = {**record, "inference_analytic": inference_peak(graph, report).peak_bytes,
              "training_analytic": step_peak_above_weights(graph, report, "cuda"),
              "saved_analytic": saved_for_backward(graph, report, "cuda").total_bytes}
    if "step_bytes" in record:  # measured since the memory command (older files lack it)
        record["step_analytic"] = archcalc.memory(graph, batch=record["batch"], optimizer="sgd-momentum").training_peak
    for key in ("inference", "training", "saved", "step"):
        if f"{key}_bytes" not in record:
            continue
        measured = record[f"{key}_bytes"]
        record[f"{key}_ratio"] = round(record[f"{key}_analytic"] / measured, 4) if measured else None
    return record


def write(out_dir: str, records: list, errors: list) -> None:
    from archcalc.output.files import write_atomic

    data = {"schema": 1, "models": [r for r in records if r["batch"] == 1], "records": records, "errors": errors}
    write_atomic(os.path.join(out_dir, "cuda_verify.json"), json.dumps(data, indent=1) + "\n")
    write_atomic(os.path.join(out_dir, "cuda_verify.md"), markdown(records))


def markdown(records: list) -> str:
    from archcalc.conventions import MB

    def mb(v):
        return f"{v / MB:.1f}"

    step = any("step_bytes" in r for r in records)  # files measured before the memory command lack it
    head = ("| model | batch | inference peak MB (measured / analytic) | training step peak MB (measured / "
            "analytic) | saved for backward MB (measured / analytic) |"
            + (" SGD-momentum step, all allocated, MB (measured / analytic) |" if step else "")
            + "\n|---|---:|---:|---:|---:|" + ("---:|" if step else "") + "\n")
    rows = [f"| {r['model']} | {r['batch']} | {mb(r['inference_bytes'])} / {mb(r['inference_analytic'])} | "
            f"{mb(r['training_bytes'])} / {mb(r['training_analytic'])} | {mb(r['saved_bytes'])} / "
            f"{mb(r['saved_analytic'])} |"
            + (f" {mb(r['step_bytes'])} / {mb(r['step_analytic'])} |" if step else "") for r in records]
    device = records[0]["device"] if records else "?"
    note = (f"\nMeasured on {device}, torch {records[0]['torch'] if records else '?'}; peaks are "
            "torch.cuda.max_memory_allocated above the parameters (MB = 10^6 bytes).\n")
    return head + "\n".join(rows) + "\n" + note


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir")
    parser.add_argument("--batch", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--models", nargs="+", default=list(MODELS))
    parser.add_argument("--reanalyse", action="store_true",
                        help="recompute the analytic figures of OUT_DIR/cuda_verify.json; measure nothing")
    args = parser.parse_args(argv)
    if args.reanalyse:
        with open(os.path.join(args.out_dir, "cuda_verify.json"), encoding="utf-8") as handle:
            old = json.load(handle)
        write(args.out_dir, [analysed(r) for r in old["records"]], old["errors"])
        return 0
    import torch

    if not torch.cuda.is_available():
        print("cuda_verify: no CUDA device here; nothing measured", file=sys.stderr)
        return 2
    torch.backends.cudnn.benchmark = False  # default algorithms: workspaces as an ordinary run has them
    os.makedirs(args.out_dir, exist_ok=True)
    records, errors = [], []
    for name in args.models:
        for batch in args.batch:
            try:
                records.append(measure(name, batch))
            except Exception as err:  # keep the other models' results; report this one
                errors.append({"model": name, "batch": batch, "error": f"{type(err).__name__}: {err}"})
                print(f"{name} batch {batch}: {type(err).__name__}: {err}", file=sys.stderr, flush=True)
    write(args.out_dir, records, errors)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
