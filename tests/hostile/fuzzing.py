"""Fuzzers shared by the fuzz tests (small, fixed budgets) and benchmarks/fuzz.py (10,000+ inputs).

Each fuzzer draws an input with hypothesis and runs it through the public entry points (archcalc.cli.run,
in-process), then judges the outcome:
- "ok": exit 0, or exit 2 with exactly one stderr line starting "archcalc: error";
- "traceback": any other exception, or another exit code; "not one line": exit 2 with a message that spans
  lines;
- "wrong": a result that disagrees with an independent computation (a symbolic formula evaluated at a
  number against the numeric run; an output size against torch's own layer, in the torch checks);
- "hang": over HANG_SECONDS (the benchmark counts these; the tests assert the time).
"""

from __future__ import annotations

import io
import json
import os
import random
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

from hypothesis import strategies as st

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
HANG_SECONDS = 10
MODEL = "lenet5"  # small and quick: the fuzzers test the parsing, not the size of the network

# --- --input strings ---------------------------------------------------------------------------------------
DIM_TOKENS = ["1", "3", "7", "32", "224", "0", "-1", "H", "W", "C", "N_1", "", " ", "²", "①", "٣", "1.5",
              "1e3", "x", "×", ",", "\n", "None", "9" * 30, "99999999999999999999", "abc", "%", "*", "_",
              "10000000000000000000"]


def input_strings():
    """Text that looks like an input size: well-formed sizes of the model (numbers and symbols, some too
    small), and malformed ones: tokens and separators in any order."""
    token = st.sampled_from(DIM_TOKENS) | st.text(max_size=4)
    sep = st.sampled_from(["x", "×", ",", "X", " x ", "xx", ""])
    malformed = st.lists(st.tuples(token, sep), min_size=0, max_size=5).map(
        lambda parts: "".join(t + s for t, s in parts).rstrip("x×,"))
    side = st.integers(1, 400).map(str) | st.sampled_from(["H", "W", "S", "N_1"])
    channels = st.sampled_from(["1", "1", "1", "3", "C"])
    wellformed = st.tuples(channels, side, side, st.sampled_from(["x", "×", ","])).map(
        lambda t: t[3].join(t[:3]))
    return wellformed | malformed


# --- rf strings ----------------------------------------------------------------------------------------------
RF_KINDS = ["conv", "pool", "maxpool", "avgpool", "conv", "pool"]


def rf_layer():
    number = st.integers(1, 9).map(str) | st.sampled_from(["0", "12", "3x5", "1x7", "", "99999999999999999999"])
    option = st.tuples(st.sampled_from(["s", "p", "d", "x", "q"]), number).map("".join)
    repeat = st.sampled_from(["", "", "*2", "*3", "*0", "*100000000"])
    return st.tuples(st.sampled_from(RF_KINDS), number, st.lists(option, max_size=3), repeat).map(
        lambda t: t[0] + t[1] + "".join(t[2]) + t[3])


def rf_strings():
    """Layer lists (`conv3s2,pool2`), stacks (`3x3x3`), and text around them."""
    stack = st.tuples(st.integers(0, 12), st.integers(0, 12), st.integers(0, 6)).map(
        lambda t: f"{t[0]}x{t[1]}x{t[2]}")
    layer_list = st.lists(rf_layer(), min_size=1, max_size=5).map(",".join)
    return stack | layer_list | st.text(max_size=12)


# --- spec files ----------------------------------------------------------------------------------------------
MUTANTS = [None, 0, -1, 1, 2, 3, 4.5, float("nan"), "abc", "$x", [], [1], [1, 2], {}, {"kind": "relu"}, True,
           10**30, "conv", "", "\n", "3xHxW", [3, None, 8]]


def _paths(value, path=()):
    yield path
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, (*path, i))


def _set(doc, path, value):
    if not path:
        return value
    node = doc
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return doc


def mutate_spec(seed: int, example: str) -> dict:
    """A copy of an example spec (read as JSON-able data) with one to three values replaced or removed."""
    import yaml

    text = (EXAMPLES / example).read_text(encoding="utf-8")
    if example.endswith(".toml"):
        import tomllib

        doc = tomllib.loads(text)
    else:
        doc = yaml.safe_load(text)
    rng = random.Random(seed)
    for _ in range(rng.choice((1, 1, 1, 2, 3))):
        paths = list(_paths(doc))[1:]
        path = rng.choice(paths)
        if rng.random() < 0.2 and path:
            parent = doc
            for part in path[:-1]:
                parent = parent[part]
            if isinstance(parent, dict):
                parent.pop(path[-1])
            else:
                parent.pop(path[-1])
        elif isinstance(_get(doc, path), int) and not isinstance(_get(doc, path), bool) and rng.random() < 0.6:
            doc = _set(doc, path, rng.choice([0, 1, 2, 3, 5, 7, 16, 64, 10**18, 10**19]))  # a number, often valid
        else:
            doc = _set(doc, path, rng.choice(MUTANTS))
    return doc


def _get(doc, path):
    for part in path:
        doc = doc[part]
    return doc


SPEC_EXAMPLES = sorted(p.name for p in EXAMPLES.iterdir() if p.suffix in (".yaml", ".json"))


def spec_cases():
    return st.tuples(st.integers(0, 2**32), st.sampled_from(SPEC_EXAMPLES))


def write_spec(folder: Path, doc, index: int = 0) -> str:
    """The mutated document as a JSON spec file (JSON carries every mutant: null, NaN, huge integers)."""
    path = folder / f"mutant{index}.json"
    path.write_text(json.dumps(doc, allow_nan=True), encoding="utf-8")
    return os.fspath(path)


# --- running and judging -------------------------------------------------------------------------------------
def run_cli(argv) -> tuple:
    """(exit code, stdout, stderr, exception or None) of archcalc.cli.run(argv), in-process."""
    from archcalc.cli import run

    out, err = io.StringIO(), io.StringIO()
    try:
        with redirect_stdout(out), redirect_stderr(err):
            code = run(argv)
    except BaseException as exc:  # noqa: BLE001 - a fuzzer records every escape
        if isinstance(exc, KeyboardInterrupt):
            raise
        return None, out.getvalue(), err.getvalue(), exc
    return code, out.getvalue(), err.getvalue(), None


def verdict(code, err: str, exc) -> str:
    """ok; traceback (an exception escaped, or an exit code other than 0 and 2); not one line (exit 2, but
    the message spans lines as str.splitlines() reads them: a pasted newline, \x1c, \u2028 ...)."""
    if exc is not None or code not in (0, 2):
        return "traceback"
    if code == 0:
        return "ok"
    lines = err.splitlines()
    return "ok" if len(lines) == 1 and lines[0].startswith("archcalc: error") else "not one line"


def symbolic_agrees(model: str, text: str, out: str) -> bool:
    """For a symbolic --input that analysed: every layer's output size at H = W = some numbers equals the
    numeric run's (the formula is exact)."""
    import sympy

    import archcalc
    from archcalc.core.shape import parse_input

    shape = parse_input(text)
    symbols = sorted({s for d in shape.as_list() if not isinstance(d, int) for s in d.free_symbols}, key=str)
    if not symbols:
        return True
    symbolic = archcalc.analyze(model, input=shape)
    for value in (32, 33, 57, 224):
        numbers = {s: value for s in symbols}
        try:
            numeric = archcalc.analyze(model, input=tuple(
                int(d.subs(numbers)) if not isinstance(d, int) else d for d in shape.as_list()))
        except archcalc.ArchcalcError:
            continue  # too small at this value: nothing to compare
        for a, b in zip(symbolic.layers, numeric.layers):
            got = [int(sympy.sympify(d).subs(numbers)) for d in a.out_shape.as_list()]
            if got != b.out_shape.as_list():
                return False
    return True
