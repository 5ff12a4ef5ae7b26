"""What reading a PyTorch model costs: `archcalc summary SOURCE --json` against torch's own FlopCounterMode.

Whole fresh processes, side by side, the same torch: archcalc's CLI on torchvision:resnet152 (and on timm
models) versus a small script that builds the same model on the meta device (weights=None /
pretrained=False) and runs FlopCounterMode on a meta input. Median of N runs each, interleaved; the ratio
archcalc / FlopCounterMode (goal: <= 1), and the time of a process that only imports torch, torchvision
(and timm), the floor both pay, with the ratio of what each spends above it. A model archcalc refuses is
reported and not timed.

Run:  .venv/bin/python benchmarks/bench_import.py [--repeats 5] [--models torchvision:resnet152 timm:resnet50]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

DEFAULT_MODELS = ("torchvision:resnet152", "timm:vit_base_patch16_224", "timm:resnet50")

# torchvision's CUDA wheel beside a CPU torch needs archcalc.sources.torchvision_import's workaround; it is
# inlined here so that the baseline imports nothing of archcalc.
_IMPORT_TV = """
import sys, torch
try:
    import torchvision
except RuntimeError as err:
    if "torchvision::nms" not in str(err):
        raise
    for n in [n for n in sys.modules if n == "torchvision" or n.startswith("torchvision.")]:
        del sys.modules[n]
    lib = torch.library.Library("torchvision", "DEF")
    for op in ("nms", "qnms"):
        lib.define(op + "(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
    import torchvision
"""

_FLOPS = """
from torch.utils.flop_counter import FlopCounterMode
with torch.device("meta"):
    model = {build}
model.eval()
with torch.no_grad(), FlopCounterMode(display=False) as counter:
    model(torch.empty((1, {shape}), device="meta"))
print(sum(p.numel() for p in model.parameters()), counter.get_total_flops() // 2)
"""


def baseline_script(source: str, shape: tuple) -> str:
    kind, name = source.split(":", 1)
    if kind == "torchvision":
        build = f"torchvision.models.get_model({name!r}, weights=None)"
        head = _IMPORT_TV
    elif kind == "timm":
        build = f"timm.create_model({name!r}, pretrained=False)"
        head = _IMPORT_TV + "import timm\n"
    else:
        raise SystemExit(f"{source}: only torchvision: and timm: models")
    return head + _FLOPS.format(build=build, shape=", ".join(map(str, shape)))


def run(cmd: list, env: dict) -> tuple:
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    return time.perf_counter() - start, done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--models", nargs="+", default=list(DEFAULT_MODELS))
    args = parser.parse_args()
    bindir = os.path.dirname(sys.executable)
    exe = os.path.join(bindir, "archcalc")
    cli = [exe] if os.path.exists(exe) else [sys.executable, "-m", "archcalc"]
    # as a user runs it: bytecode cached (some sandboxes set PYTHONDONTWRITEBYTECODE, recompiling every run)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    import json

    rows = []
    for source in args.models:
        ours = cli + ["summary", source, "--json"]
        _, first = run(ours, env)  # also warms the file and bytecode caches
        if first.returncode != 0:
            why = (first.stderr.strip().splitlines() or ["?"])[-1]
            print(f"{source}: archcalc refuses it ({why[:160]}); not timed", flush=True)
            rows.append((source, None, None, why))
            continue
        report = json.loads(first.stdout)
        shape = tuple(report.get("input") or ())
        if not shape:
            shape = (3, 224, 224)
        theirs = [sys.executable, "-c", baseline_script(source, shape)]
        _, check = run(theirs, env)
        if check.returncode != 0:
            raise SystemExit(f"{source}: the FlopCounterMode script failed: {check.stderr.strip()[-400:]}")
        floor = [sys.executable, "-c", baseline_script(source, shape).split("from torch.utils")[0]]
        a, b, c = [], [], []
        for _ in range(args.repeats):  # interleaved, so drifting machine load hits all alike
            for cmd, times in ((ours, a), (theirs, b), (floor, c)):
                t, done = run(cmd, env)
                assert done.returncode == 0, done.stderr
                times.append(t)
        rows.append((source, statistics.median(a), statistics.median(b), statistics.median(c)))
        print(f"{source}: archcalc {statistics.median(a):.2f} s, FlopCounterMode {statistics.median(b):.2f} s, "
              f"imports alone {statistics.median(c):.2f} s (runs: {', '.join(f'{x:.2f}' for x in a)} | "
              f"{', '.join(f'{x:.2f}' for x in b)})", flush=True)

    print(f"\nWhole processes, median of {args.repeats} runs each ({sys.executable}):")
    print("(imports alone: the same process importing torch, torchvision (and timm) and nothing else: the floor "
          "both share)")
    print(f"{'model':34s} {'archcalc s':>11s} {'FlopCounter s':>14s} {'ratio':>7s} {'imports alone s':>16s} "
          f"{'ratio above the floor':>22s}")
    for source, a, b, extra in rows:
        if a is None:
            print(f"{source:34s} {'unsupported':>11s} {'':>14s} {'':>7s}   {extra[:80]}")
        else:
            above = f"{(a - extra) / (b - extra):.2f}" if b > extra else "n/a"
            print(f"{source:34s} {a:11.2f} {b:14.2f} {a / b:7.2f} {extra:16.2f} {above:>22s}   "
                  f"{'ok' if a <= b else 'over the goal (<= 1)'}")


if __name__ == "__main__":
    main()
