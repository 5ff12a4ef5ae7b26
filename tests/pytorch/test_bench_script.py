"""benchmarks/cuda_bench.py --smoke on the CPU: it runs, survives a failing configuration, writes its files."""

import importlib.util
import json
from pathlib import Path

import pytest


SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "cuda_bench.py"


def load_script():
    spec = importlib.util.spec_from_file_location("cuda_bench", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_smoke_run_writes_json_markdown_and_plot(tmp_path):
    script = load_script()
    # a model that cannot be built fails on its own; the run goes on without it
    code = script.main([str(tmp_path), "--smoke", "--device", "cpu", "--models", "no-such-net,alexnet",
                        "--dtypes", "float32"])
    assert code == 0
    doc = json.loads((tmp_path / "bench.json").read_text())
    assert doc["schema"] == 1 and doc["kind"] == "bench" and doc["device"] == "cpu"
    failed = [r for r in doc["results"] if "error" in r]
    ran = [r for r in doc["results"] if "error" not in r]
    assert [r["model"] for r in failed] == ["no-such-net", "no-such-net"]
    assert [(r["model"], r["batch"]) for r in ran] == [("alexnet", 1), ("alexnet", 2)]
    for r in ran:
        assert r["repeats"] == 2 and len(r["times_ms"]) == 2
        assert r["timer_median_ms"] > 0 and r["timer_runs"] >= 1
        assert r["timer_vs_events"] == pytest.approx(r["timer_median_ms"] / r["median_ms"] - 1)
        assert r["roofline_ratio_calibrated"] is not None  # the CPU's peaks come from the calibration
    assert set(ran[-1]["per_layer_split_ms"]) == {"compute", "memory", "other"}  # per layer at the largest batch
    md = (tmp_path / "bench.md").read_text()
    assert "| alexnet | float32 | 1 |" in md and "| no-such-net | float32 | 1 | failed:" in md
    assert (tmp_path / "bench.png").read_bytes()[:4] == b"\x89PNG"
