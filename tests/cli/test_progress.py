"""Progress and Ctrl-C for the long jobs (`verify --all`, `verify MODEL`, `bench`), through archcalc.cli.run.

The slow torch work is replaced by stand-ins (the per-model function of each loop), so that what is tested is
the loop around it: the bar on stderr only where stderr is a terminal, nothing on stderr elsewhere, the results
of the models done printed after Ctrl-C with exit code 130, --wide passed on, raw numbers in csv.
"""

from __future__ import annotations

import csv
import io
import json
import sys
import time
from types import SimpleNamespace

import pytest

from archcalc.cli import run
from archcalc.output import model_progress
from archcalc.pytorch import verify as checking
from archcalc.pytorch.verify import Check, Verification

MODELS = ["m1", "m2", "m3", "m4"]


class Terminal(io.StringIO):
    """A stderr that says it is a terminal, and keeps what was written to it."""

    def isatty(self) -> bool:
        return True


def fake_zoo(monkeypatch, interrupt_at=None, pause=0.0, models=MODELS):
    """verify --all over `models` with a stand-in verify(): a model whose check agrees (params 10 against 10),
    each after `pause` seconds, after announcing a stage; Ctrl-C (KeyboardInterrupt) at the `interrupt_at`-th
    model (1-based). Returns the list of models verify() was called for."""
    from archcalc.sources import zoo

    calls = []

    def verify(name, input=None, batch=1, device="cpu", use_fvcore=True, on_stage=lambda what: None):
        calls.append(name)
        if len(calls) == interrupt_at:
            raise KeyboardInterrupt
        on_stage("counting")
        time.sleep(pause)
        return Verification(name, [3, 8, 8], batch, device, checks=[Check("(total)", "params", 10, 10, "built")])

    monkeypatch.setattr(zoo, "entries", lambda: [SimpleNamespace(name=m) for m in models])
    monkeypatch.setattr(checking, "verify", verify)
    monkeypatch.setattr("archcalc.cli.verify._torch_or_fail", lambda: None)  # the stand-in needs no torch
    return calls


def test_ctrl_c_during_verify_all_prints_the_models_done_and_exits_130(monkeypatch, capsys):
    """Ctrl-C at the third model: the first two are in the JSON, marked interrupted; exit code 130; stderr
    says so in one line."""
    calls = fake_zoo(monkeypatch, interrupt_at=3)
    assert run(["verify", "--all", "--json"]) == 130
    out, err = capsys.readouterr()
    doc = json.loads(out)
    assert calls == ["m1", "m2", "m3"]  # the loop stopped at the interrupt
    assert [m["model"] for m in doc["models"]] == ["m1", "m2"]
    assert doc["interrupted"] is True and doc["ok"] is True
    assert err.splitlines() == ["archcalc: interrupted: 2 of 4 models verified"]


def test_ctrl_c_during_verify_all_table_and_csv(monkeypatch, capsys):
    """The table holds the two models done and a note; csv the same rows, with numbers as numbers."""
    fake_zoo(monkeypatch, interrupt_at=3)
    assert run(["verify", "--all"]) == 130
    table = capsys.readouterr().out
    assert "m1" in table and "m2" in table and "m3" not in table
    assert "interrupted (Ctrl-C) after 2 of 4 models" in table
    fake_zoo(monkeypatch, interrupt_at=2)
    assert run(["verify", "--all", "-f", "csv"]) == 130
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["model"], int(r["checks"]), r["result"], int(r["failures"])) for r in rows] == [("m1", 1, "ok", 0)]
    assert float(rows[0]["seconds"]) >= 0


def test_no_terminal_no_progress(monkeypatch, capsys):
    """stderr a pipe (as under pytest): a full run prints nothing on stderr, and exit code 0."""
    fake_zoo(monkeypatch, pause=0.05)
    monkeypatch.setattr(model_progress, "DELAY", 0.0)
    assert run(["verify", "--all", "--json"]) == 0
    out, err = capsys.readouterr()
    assert err == "" and [m["model"] for m in json.loads(out)["models"]] == MODELS


def test_the_bar_shows_the_current_model_on_a_terminal_stderr(monkeypatch, capsys):
    """stderr a terminal: the bar names the model and its stage, counts models done, and is gone at the end
    (transient); stdout holds the JSON alone."""
    fake_zoo(monkeypatch, pause=0.3)
    monkeypatch.setattr(model_progress, "DELAY", 0.0)
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert run(["verify", "--all", "--json"]) == 0
    shown = terminal.getvalue()
    assert "verify m2: counting" in shown and "1/4" in shown
    out = capsys.readouterr().out
    assert [m["model"] for m in json.loads(out)["models"]] == MODELS and "counting" not in out


def test_the_bar_fits_a_narrow_terminal(monkeypatch, capsys):
    """At 60 columns a long stage text gives way (cut with an ellipsis): no line of the bar is wider, and
    the count stays whole."""
    import re

    fake_zoo(monkeypatch, pause=0.3, models=["m1", "m2-" + "x" * 80, "m3", "m4"])  # a name wider than the terminal
    monkeypatch.setattr(model_progress, "DELAY", 0.0)
    monkeypatch.setenv("COLUMNS", "60")
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert run(["verify", "--all", "--json"]) == 0
    lines = re.split(r"[\r\n]", re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", terminal.getvalue()))
    assert max(len(line) for line in lines) <= 60
    assert any("verify m2-xxx" in line and "…" in line and "1/4" in line for line in lines)


def test_one_model_shows_its_stages_on_a_terminal(monkeypatch, capsys):
    """verify MODEL: the bar (a spinner, no count) names the model's stage; the table goes to stdout."""
    fake_zoo(monkeypatch, pause=0.3)
    monkeypatch.setattr(model_progress, "DELAY", 0.0)
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert run(["verify", "m1"]) == 0
    assert "verify m1: counting" in terminal.getvalue()
    out = capsys.readouterr().out
    assert "verify m1 at 3x8x8" in out and "counting" not in out


def test_a_job_quicker_than_the_delay_shows_no_bar(monkeypatch, capsys):
    """The bar waits DELAY seconds: four instant models on a terminal leave nothing on it."""
    fake_zoo(monkeypatch)
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert run(["verify", "--all", "--json"]) == 0
    assert terminal.getvalue() == ""


def test_wide_reaches_emit(monkeypatch):
    """--wide of verify is passed to emit (the terminal writer then shows every column)."""
    seen = []
    fake_zoo(monkeypatch)
    monkeypatch.setattr("archcalc.output.tables.emit", lambda fmt, table, wide=False: seen.append(wide))
    assert run(["verify", "--all", "--wide"]) == 0
    assert run(["verify", "--all"]) == 0
    assert seen == [True, False]


@pytest.mark.parametrize("command", ["verify", "bench"])
def test_input_help_offers_numbers_only(command, capsys):
    """verify and bench refuse symbolic sizes, so their --input help does not offer them."""
    assert run([command, "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    said = text[text.index("--input"):][:200]
    assert "3x224x224" in said and "symbolic" not in said and "3xHxW" not in said


def bench_record(name: str, batch: int) -> dict:
    """A bench result as run_bench makes it: 10 ms a batch, so batch * 100 images/s."""
    return {"model": name, "batch": batch, "dtype": "float32", "channels_last": False, "compile": False,
            "repeats": 2, "median_ms": 10.0, "iqr_ms": 0.5, "min_ms": 9.5, "max_ms": 11.0,
            "images_per_s": batch * 100.0, "achieved_tflops": 0.25, "peak_memory_bytes": None,
            "roofline_ms": None, "roofline_ratio": None}


@pytest.mark.torch
def test_ctrl_c_during_bench_prints_the_measurements_done_and_exits_130(monkeypatch, capsys):
    """Two models at batches 1 and 2; Ctrl-C in the third measurement: alexnet's two are printed (JSON),
    with "interrupted" and a note, exit code 130."""
    from archcalc.pytorch import bench

    calls = []

    def bench_one(name, module, *, batch, **_):
        calls.append((name, batch))
        if len(calls) == 3:
            raise KeyboardInterrupt
        return bench_record(name, batch)

    monkeypatch.setattr(bench, "prepare", lambda name, **_: (None, None))  # no model built
    monkeypatch.setattr(bench, "bench_one", bench_one)
    code = run(["bench", "alexnet", "lenet5", "--device", "cpu", "--batch", "1,2", "--json"])
    out, err = capsys.readouterr()
    doc = json.loads(out)
    assert code == 130 and calls == [("alexnet", 1), ("alexnet", 2), ("lenet5", 1)]
    assert [(r["model"], r["batch"]) for r in doc["results"]] == [("alexnet", 1), ("alexnet", 2)]
    assert doc["interrupted"] is True
    assert "interrupted (Ctrl-C) after 2 of 4 measurements" in doc["notes"]
    assert err.splitlines() == ["archcalc: interrupted: 2 of 4 measurements done"]


@pytest.mark.torch
def test_bench_csv_holds_raw_numbers(monkeypatch, capsys):
    """csv: unrounded numbers in base units (ms, bytes), empty where not measured; the table rounds."""
    from archcalc.pytorch import bench

    monkeypatch.setattr(bench, "prepare", lambda name, **_: (None, None))
    monkeypatch.setattr(bench, "bench_one", lambda name, module, *, batch, **_: {
        **bench_record(name, batch), "median_ms": 1234.56789, "images_per_s": batch / 1.23456789})
    assert run(["bench", "alexnet", "--device", "cpu", "--batch", "1,8", "-f", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [int(r["batch"]) for r in rows] == [1, 8]
    assert [float(r["median ms"]) for r in rows] == [1234.56789, 1234.56789]
    assert float(rows[1]["images/s"]) == pytest.approx(8 / 1.23456789)
    assert rows[0]["peak bytes"] == "" and rows[0]["dtype"] == "float32"


@pytest.mark.torch
def test_verify_csv_holds_raw_figures(capsys):
    """verify lenet5 -f csv: layer c1 (5x5 conv, 1 -> 6 channels, 28x28 out) as plain integers: 6*25+6
    parameters, 6*28*28*25 MACs, 6*28*28 float32 outputs of 4 bytes; fvcore left out is an empty cell."""
    assert run(["verify", "lenet5", "-f", "csv", "--no-fvcore"]) == 0
    rows = {r["layer"]: r for r in csv.DictReader(io.StringIO(capsys.readouterr().out))}
    c1 = rows["c1"]
    assert (c1["shape"], c1["measured_shape"], c1["result"], c1["fvcore_macs"]) == ("6x28x28", "6x28x28", "ok", "")
    assert [int(c1[k]) for k in ("params", "measured_params", "macs", "flop_counter_macs", "activation_bytes")] == \
        [6 * 25 + 6, 6 * 25 + 6, 6 * 28 * 28 * 25, 6 * 28 * 28 * 25, 6 * 28 * 28 * 4]
