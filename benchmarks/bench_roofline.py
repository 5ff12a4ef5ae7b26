"""Does a measured matmul stay above the roofline bound from the calibrated peaks?

The calibration (`archcalc bench --calibrate`) takes the best of N runs of a square matmul and a large copy;
the bound for a layer is max(FLOPs / peak FLOP/s, bytes / peak bytes/s). A layer that runs faster than its
bound would mean the calibration under-reads the machine. This script measures a 1024^3 linear layer (batch
1024) and prints the ratio measured / bound, which should be >= 1 (a few percent below means the calibration
and the layer took different BLAS paths or the machine's load moved between them).

Run:  .venv/bin/python benchmarks/bench_roofline.py [--repeats N] [--device cpu|cuda]
"""

from __future__ import annotations

import argparse

import torch

import archcalc
from archcalc import Net
from archcalc.analyses.roofline import Peaks, layer_bounds
from archcalc.pytorch import bench


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args()
    n = 1024
    before = bench.calibrate(args.device, "float32", repeats=args.repeats)
    net = Net("matmul", (n,))
    net.linear(net.input, n, bias=False, name="mm")
    report = archcalc.analyze(net, batch=n)
    layer = torch.nn.Linear(n, n, bias=False).to(args.device)
    x = torch.randn(n, n, device=args.device)
    with torch.inference_mode():
        times = bench.time_callable(lambda: layer(x), repeats=args.repeats, warmup=2, device=args.device)
    after = bench.calibrate(args.device, "float32", repeats=args.repeats)
    peaks = Peaks(max(before.flops_per_s, after.flops_per_s), max(before.bytes_per_s, after.bytes_per_s))
    (bound,) = layer_bounds(report, peaks)
    median = bench.spread(times)["median_ms"]
    print(f"device {args.device}: peak {peaks.tflops:.3f} TFLOP/s (best of {args.repeats}, before and after)")
    print(f"1024^3 linear: bound {bound.bound_s * 1e3:.3f} ms ({bound.limiter}), measured median {median:.3f} ms")
    print(f"measured / bound = {median / (bound.bound_s * 1e3):.3f} (goal: >= 1)")


if __name__ == "__main__":
    main()
