"""The long fuzz run: the fuzzers of tests/hostile/fuzzing.py over many inputs, with counts.

    .venv/bin/python benchmarks/fuzz.py [--inputs 4000] [--rf 4000] [--specs 2500] [--torch 300]

Prints, per fuzzer: inputs run, ok (exit 0, or exit 2 with one line), tracebacks, errors that span more
than one line, hangs (over 10 s),
wrong answers (a symbolic formula at numbers against the numeric run; with --torch, rf layer lists whose
output size differs from torch's own layers), and the first few failures of each class. Exit code 1 when
anything but ok was found.
"""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "hostile"))

from hypothesis import HealthCheck, given, settings  # noqa: E402

import fuzzing  # noqa: E402


class Hang(Exception):
    pass


def _alarm(signum, frame):
    raise Hang()


def judge(argv, extra=None) -> tuple:
    """(outcome, detail) of one input: ok, traceback, hang or wrong."""
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(fuzzing.HANG_SECONDS)
    try:
        code, out, err, exc = fuzzing.run_cli(argv)
        if isinstance(exc, Hang):
            return "hang", argv
        outcome = fuzzing.verdict(code, err, exc)
        if outcome != "ok":
            return outcome, (argv, code, err.strip()[:300], repr(exc)[:300])
        if extra is not None and code == 0 and not extra(out):
            return "wrong", argv
        return ("answered" if code == 0 else "refused"), None
    except Hang:
        return "hang", argv
    finally:
        signal.alarm(0)


def campaign(name: str, strategy, budget: int, make_argv, extra=None) -> Counter:
    counts, examples = Counter(), {}

    @settings(max_examples=budget, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def one(value):
        argv, check = make_argv(value)
        outcome, detail = judge(argv, check)
        counts[outcome] += 1
        if outcome in ("answered", "refused"):
            counts["ok"] += 1
            return
        if len(examples.setdefault(outcome, [])) < 5:
            examples[outcome].append(detail)

    start = time.perf_counter()
    one()
    took = time.perf_counter() - start
    total = counts["ok"] + sum(n for k, n in counts.items() if k not in ("ok", "answered", "refused"))
    print(f"{name:14} {total:6,} inputs in {took:6.1f} s: ok {counts['ok']:,} (answered {counts['answered']:,}, "
          f"refused in one line {counts['refused']:,}), tracebacks {counts['traceback']}, "
          f"not one line {counts['not one line']}, hangs {counts['hang']}, wrong {counts['wrong']}")
    for outcome, found in examples.items():
        for detail in found:
            print(f"    {outcome}: {detail}")
    return counts


def torch_rf_agrees(text: str) -> bool:
    """For an rf layer list that analysed: its output size at 1x64x64 equals torch's, layer by layer."""
    import archcalc
    from archcalc.errors import ArchcalcError
    from archcalc.pytorch.build import build_module
    from archcalc.sources.stack import build_graph, parse

    try:
        graph = build_graph(parse(text), 1)
        report = archcalc.analyze(graph, input=(1, 64, 64))
    except ArchcalcError:
        return True  # refused analytically (e.g. too small at 64): nothing to compare
    if len(graph.layers) > 60:
        return True
    built = build_module(graph, device="meta", input=(1, 64, 64))
    import torch

    values = {}
    hooks = [m.register_forward_hook(lambda mod, a, out, n=n: values.__setitem__(n, tuple(out.shape[1:])))
             for n, m in built.layer_modules.items()]
    built(torch.zeros((1, 1, 64, 64), device="meta"))
    for h in hooks:
        h.remove()
    return all(values.get(s.name) == tuple(s.out_shape.as_list()) for s in report.layers)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=4000)
    parser.add_argument("--rf", type=int, default=4000)
    parser.add_argument("--specs", type=int, default=2500)
    parser.add_argument("--torch", type=int, default=1000, help="rf layer lists also checked against torch")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="archcalc-fuzz-"))
    total = Counter()
    total += campaign("--input", fuzzing.input_strings(), args.inputs,
                      lambda t: (["summary", fuzzing.MODEL, "--input", t, "--json"],
                                 lambda out: fuzzing.symbolic_agrees(fuzzing.MODEL, t, out)))
    total += campaign("rf strings", fuzzing.rf_strings(), args.rf, lambda t: (["rf", t, "--json"], None))
    counter = iter(range(10**9))
    total += campaign("spec files", fuzzing.spec_cases(), args.specs,
                      lambda c: (["summary", fuzzing.write_spec(folder, fuzzing.mutate_spec(*c), next(counter)),
                                  "--json"], None))
    if args.torch:
        total += campaign("rf vs torch", fuzzing.rf_strings(), args.torch,
                          lambda t: (["rf", t, "--json"], lambda out: torch_rf_agrees(t)))
    bad = sum(n for outcome, n in total.items() if outcome not in ("ok", "answered", "refused"))
    print(f"{'all':14} {total['ok'] + bad:6,} inputs: answered {total['answered']:,}, tracebacks {total['traceback']}, not one line "
          f"{total['not one line']}, hangs {total['hang']}, wrong {total['wrong']}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
