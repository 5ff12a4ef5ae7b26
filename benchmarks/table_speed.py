"""Speed of long terminal tables: `archcalc summary wrn-4000-10` (13,995 layers) as a table against --json.

Goal: the table costs at most 2x the JSON (whole processes, what a user waits for). Before the terminal
writer drew its own tables, rich took about 18 s for this table against 0.7 s for the JSON.
Run:  .venv/bin/python benchmarks/table_speed.py [--repeats N] [--model NAME]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_engine import time_process  # noqa: E402  (one way to time the CLI, shared with the engine's benchmark)

CASES = (  # (label, extra arguments, environment)
    ("json", ["--json"], {}),
    ("table, piped (natural width)", [], {}),
    ("table, COLUMNS=80", [], {"COLUMNS": "80"}),
    ("table, COLUMNS=120", [], {"COLUMNS": "120"}),
    ("table, COLUMNS=120 --wide", ["--wide"], {"COLUMNS": "120"}),
    ("csv", ["-f", "csv"], {}),
)


def time_writers(model: str, repeats: int) -> dict:
    """Min time of the output alone (the analysis done once): emit() of the summary as json, table, csv."""
    import contextlib
    import io

    from archcalc.core.engine import propagate
    from archcalc.output.summary import summary_table
    from archcalc.output.tables import Format, emit
    from archcalc.sources import resolve

    graph = resolve(model, None)
    report = propagate(graph)
    os.environ.pop("COLUMNS", None)
    times = {}
    for fmt in (Format.json, Format.table, Format.csv):
        runs = []
        for _ in range(repeats):
            start = time.perf_counter()
            with contextlib.redirect_stdout(io.StringIO()):
                emit(fmt, summary_table(report, graph=graph))
            runs.append(time.perf_counter() - start)
        times[fmt.value] = min(runs)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--model", default="wrn-4000-10")
    args = parser.parse_args()
    results = {}
    print(f"archcalc summary {args.model}: median (min) of {args.repeats} processes")
    for label, extra, env in CASES:
        median, low = time_process(["summary", args.model, *extra], args.repeats, env)
        results[label] = median
        ratio = f"  {median / results['json']:.2f}x json" if label != "json" else ""
        print(f"  {label:30} {median:6.2f} s ({low:.2f}){ratio}")
    worst = max(v for k, v in results.items() if k.startswith("table")) / results["json"]
    print(f"slowest table / json: {worst:.2f}x (goal: at most 2x; medians of whole processes, noisy on a busy machine)")
    writers = time_writers(args.model, args.repeats)
    print("the output alone, analysis done once (min): "
          + ", ".join(f"{k} {v:.3f} s" for k, v in writers.items())
          + f"; table / json {writers['table'] / writers['json']:.2f}x")


if __name__ == "__main__":
    main()
