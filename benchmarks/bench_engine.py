"""Speed of the analytic path: the whole `archcalc summary resnet152 --json` process, and the engine alone.

Goals: the whole process under 0.3 s; the engine under 10 ms for resnet152.
Run:  .venv/bin/python benchmarks/bench_engine.py [--repeats N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time


def time_process(argv, repeats, env_more=None):
    """Median and min wall time of a fresh interpreter running the CLI (what a user waits for), its output
    piped; `env_more`: variables to set (COLUMNS), any COLUMNS of ours dropped otherwise."""
    exe = os.path.join(os.path.dirname(sys.executable), "archcalc")
    cmd = [exe] if os.path.exists(exe) else [sys.executable, "-m", "archcalc"]
    # as a user runs it: bytecode cached (some sandboxes set PYTHONDONTWRITEBYTECODE, recompiling every run)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "COLUMNS")}
    env.update(env_more or {})
    subprocess.run(cmd + argv, capture_output=True, check=True, env=env)  # warm the file and bytecode caches
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(cmd + argv, capture_output=True, check=True, env=env)
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times)


def time_engine(repeats):
    """Per zoo model: median time to build the graph and to propagate it, in ms."""
    import archcalc
    from archcalc.sources import zoo
    from archcalc.core.engine import propagate

    rows = []
    for name in zoo.names():
        entry = zoo.get(name)
        graph = entry.graph()
        propagate(graph)  # first call loads the rule modules
        build, run = [], []
        for _ in range(repeats):
            t0 = time.perf_counter()
            graph = entry.graph()
            t1 = time.perf_counter()
            propagate(graph)
            t2 = time.perf_counter()
            build.append(t1 - t0)
            run.append(t2 - t1)
        rows.append((name, len(graph.layers), statistics.median(build) * 1e3, statistics.median(run) * 1e3))
    del archcalc
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    median, best = time_process(["summary", "resnet152", "--json"], max(5, args.repeats // 2))
    print(f"process  archcalc summary resnet152 --json: median {median * 1e3:.0f} ms, min {best * 1e3:.0f} ms "
          f"(goal < 300 ms)")
    median, best = time_process(["--help"], max(5, args.repeats // 2))
    print(f"process  archcalc --help: median {median * 1e3:.0f} ms, min {best * 1e3:.0f} ms")
    print(f"{'model':<24}{'layers':>8}{'build ms':>10}{'engine ms':>11}")
    for name, layers, build, run in time_engine(args.repeats):
        print(f"{name:<24}{layers:>8}{build:>10.2f}{run:>11.2f}")


if __name__ == "__main__":
    main()
