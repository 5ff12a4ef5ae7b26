"""Symbolic against numeric input: the whole `archcalc summary MODEL --json` process, side by side.

    .venv/bin/python benchmarks/bench_symbolic.py [resnet152 ...]

Prints the median of 7 runs of each (after one warm-up), the ratio, and what importing sympy alone costs
(the floor of any symbolic run). Goal: symbolic at most 3x the numeric run.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

RUNS = 7


def median_seconds(argv) -> float:
    subprocess.run(argv, capture_output=True, check=True)  # warm the file cache
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    models = sys.argv[1:] or ["resnet152", "googlenet", "densenet121"]
    base = [sys.executable, "-m", "archcalc", "summary"]
    sympy_alone = median_seconds([sys.executable, "-c", "import sympy"]) - median_seconds([sys.executable, "-c", "pass"])
    print(f"importing sympy alone: {sympy_alone * 1e3:.0f} ms")
    for model in models:
        numeric = median_seconds([*base, model, "--json"])
        symbolic = median_seconds([*base, model, "--input", "3xHxW", "--json"])
        print(f"{model:14} numeric {numeric * 1e3:6.0f} ms   symbolic (3xHxW) {symbolic * 1e3:6.0f} ms   "
              f"ratio {symbolic / numeric:4.1f}x (goal 3x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
