"""Fuzzing the public entry points with fixed seeds and small budgets (about half a minute in all).

benchmarks/fuzz.py runs the same fuzzers over 10,000+ inputs and prints the counts.
"""

from __future__ import annotations

import time

from hypothesis import HealthCheck, given, settings

from fuzzing import (HANG_SECONDS, MODEL, input_strings, mutate_spec, rf_strings, run_cli, spec_cases,
                     symbolic_agrees, verdict, write_spec)

def fixed(examples: int):
    """A fixed seed (the same inputs every run) and an example budget."""
    return settings(max_examples=examples, derandomize=True, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def check(argv):
    start = time.perf_counter()
    code, out, err, exc = run_cli(argv)
    assert verdict(code, err, exc) == "ok", (argv, code, err, exc)
    assert time.perf_counter() - start < HANG_SECONDS, argv
    return code, out


@fixed(400)
@given(input_strings())
def test_input_strings(text):
    code, out = check(["summary", MODEL, "--input", text, "--json"])
    if code == 0:
        assert symbolic_agrees(MODEL, text, out), text


@fixed(400)
@given(rf_strings())
def test_rf_strings(text):
    check(["rf", text, "--json"])


@fixed(150)
@given(spec_cases())
def test_spec_mutations(tmp_path_factory, case):
    seed, example = case
    path = write_spec(tmp_path_factory.mktemp("spec"), mutate_spec(seed, example))
    check(["summary", path, "--json"])
