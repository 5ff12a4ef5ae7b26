"""`archcalc view` through the command line: bad input is one line and exit 2 (before any model is read);
the page it writes holds the data document of every model given (two models side by side), with times from a
real `archcalc bench --per-layer --json` when --bench is given."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from archcalc.cli import run

NAIVE = Path(__file__).resolve().parents[2] / "examples" / "inception-naive.json"  # a spec file's Inception module


def _error(capsys, *argv) -> str:
    """The one line a refused `archcalc view` prints; the exit code must be 2."""
    assert run(["view", *argv]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("archcalc: error")
    return err


@pytest.mark.parametrize("argv, said", [
    (["lenet5", "--color", "flops", "--out", "x.html"], "--color flops: must be one of macs"),
    (["lenet5", "--color", "time", "--out", "x.html"], "--color time needs --bench"),
    (["lenet5", "--depth", "-1", "--out", "x.html"], "--depth -1"),
    (["lenet5", "--batch", "0", "--out", "x.html"], "--batch 0"),
    (["lenet5"], "--out"),
    (["lenet5", "--out", "x.png"], "must end in .html or .htm"),
    (["lenet5", "--out", "no/such/folder/x.html"], "does not exist"),
    (["no_such_model", "--out", "x.html"], "no_such_model"),
    (["resnet18", "--input", "3xHxW", "--out", "x.html"], "view needs numeric sizes"),
])
def test_bad_input_is_one_line_and_exit_2(capsys, tmp_path, monkeypatch, argv, said):
    monkeypatch.chdir(tmp_path)
    assert said in _error(capsys, *argv)
    assert not list(tmp_path.iterdir())  # nothing written


def test_a_bench_file_without_the_models_times_says_what_to_run(capsys, tmp_path):
    bench = tmp_path / "bench.json"
    bench.write_text(json.dumps({"schema": 1, "kind": "bench", "device": "cpu", "device_name": "x",
                                 "results": [{"model": "lenet5", "batch": 1, "dtype": "float32"}]}))
    err = _error(capsys, "lenet5", "--bench", str(bench), "--out", str(tmp_path / "x.html"))
    assert "archcalc bench lenet5 --per-layer --json" in err
    bench.write_text("{not json")
    assert "not valid JSON" in _error(capsys, "lenet5", "--bench", str(bench), "--out", str(tmp_path / "x.html"))
    assert "not found" in _error(capsys, "lenet5", "--bench", str(tmp_path / "none.json"), "--out",
                                 str(tmp_path / "x.html"))
    fifo = tmp_path / "fifo.json"  # read as every user file is: a pipe is refused, never waited on
    os.mkfifo(fifo)
    assert "not a regular file" in _error(capsys, "lenet5", "--bench", str(fifo), "--out", str(tmp_path / "x.html"))


def page_data(html: str) -> dict:
    """The page's data document: the JSON block of the page (a <script type="application/json">)."""
    blocks = re.findall(r'<script[^>]*type="application/json"[^>]*>(.*?)</script>', html, re.S)
    assert len(blocks) == 1, "the page holds one JSON data block"
    return json.loads(blocks[0])


def _view(capsys, tmp_path, *argv) -> dict:
    out = tmp_path / "page.html"
    assert run(["view", *argv, "--out", str(out)]) == 0, capsys.readouterr().err
    assert capsys.readouterr().out.strip() == f"wrote {out}"
    return page_data(out.read_text(encoding="utf-8"))


def test_two_models_side_by_side(capsys, tmp_path):
    """`view a b`: one page, both models in the order given (a spec file and a zoo name), each with every layer
    of its summary --json."""
    page = _view(capsys, tmp_path, str(NAIVE), "googlenet", "--color", "params")
    assert [m["model"] for m in page["models"]] == ["inception-naive", "googlenet"]
    assert page["color"] == "params" and page["depth"] is None
    assert run(["summary", "googlenet", "--json"]) == 0
    expected = json.loads(capsys.readouterr().out)
    got = page["models"][1]["layers"]
    assert [(l["name"], l["macs"], l["params"]) for l in got] == \
        [(l["name"], l["macs"], l["params"]) for l in expected["layers"]]


def test_the_page_is_the_same_twice(capsys, tmp_path):
    """No timestamp, no random id: reports/ compares its committed pages with a regeneration byte for byte."""
    first, second = tmp_path / "a.html", tmp_path / "b.html"
    for out in (first, second):
        assert run(["view", "resnet18", "--out", str(out)]) == 0
    assert first.read_bytes() == second.read_bytes()


@pytest.mark.torch
def test_times_from_a_real_bench_run(capsys, tmp_path):
    """A real `bench lenet5 --per-layer --json` on the CPU: every conv and linear layer of LeNet-5 is a module,
    so each gets its measured median; the page colours by time by default when --bench is given."""
    pytest.importorskip("torch", reason="bench runs the model in PyTorch")
    assert run(["bench", "lenet5", "--per-layer", "--json", "--device", "cpu", "--repeats", "2", "--warmup", "1"]) == 0
    bench_doc = json.loads(capsys.readouterr().out)
    (tmp_path / "bench.json").write_text(json.dumps(bench_doc))
    measured = {r["name"]: r["measured_ms"] for r in bench_doc["results"][0]["per_layer"]}
    page = _view(capsys, tmp_path, "lenet5", "--bench", str(tmp_path / "bench.json"))
    assert page["color"] == "time"
    layers = page["models"][0]["layers"]
    assert {l["name"]: l["time_ms"] for l in layers} == {l["name"]: measured[l["name"]] for l in layers}
    weighted = [l for l in layers if l["kind"] in ("conv", "linear")]
    assert len(weighted) == 5 and all(l["time_ms"] > 0 for l in weighted)
    assert any("measured by archcalc bench" in n for n in page["models"][0]["notes"])
