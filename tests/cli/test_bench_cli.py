"""`archcalc bench` through archcalc.cli.run: output formats, plot, and every bad input as one line, exit 2."""

import csv
import io
import json
import subprocess
import sys

import pytest

from archcalc.cli import run

PROBE = """
import sys
from archcalc.cli import run
code = run({argv!r})
heavy = sorted(m for m in ("torch", "torchvision", "fvcore") if m in sys.modules)
print("HEAVY=" + ",".join(heavy), file=sys.stderr)
sys.exit(code)
"""


def probe(argv):
    """Run the CLI in a fresh interpreter; (exit code, stderr lines, heavy modules imported)."""
    done = subprocess.run([sys.executable, "-c", PROBE.format(argv=argv)], capture_output=True, text=True,
                          timeout=120)
    lines = done.stderr.splitlines()
    return done.returncode, lines[:-1], lines[-1].removeprefix("HEAVY=")


def test_help_does_not_import_torch():
    code, _, heavy = probe(["bench", "--help"])
    assert code == 0 and heavy == ""


@pytest.mark.parametrize("argv, says", [
    (["bench", "no-such-net"], "unknown model"),
    (["bench", "alexnet", "--batch", "0"], "--batch 0"),
    (["bench", "alexnet", "--batch", "1,x"], "'x' is not a positive integer"),
    (["bench", "alexnet", "--repeats", "0"], "--repeats 0"),
    (["bench", "alexnet", "--warmup", "-1"], "--warmup -1"),
    (["bench", "alexnet", "--dtype", "float64"], "--dtype float64"),
    (["bench", "alexnet", "--device", "tpu"], "--device tpu"),
    (["bench", "alexnet", "--per-layer", "--compile"], "pick one"),
    (["bench", "alexnet", "--peak-tflops", "-1"], "must be positive"),
    (["bench", "alexnet", "--plot", "out.txt"], "must end in"),
    (["bench", "alexnet", "--plot", "no/such/dir/out.png"], "does not exist"),
    (["bench", "alexnet", "--input", "3xHxW"], "numeric input"),
    (["bench", "alexnet", "--input", "3x8x8"], "alexnet"),  # too small for conv1 + pools
])
def test_bad_input_is_one_line_and_exit_2_before_torch(argv, says):
    code, lines, heavy = probe(argv)
    assert code == 2
    assert len(lines) == 1 and lines[0].startswith("archcalc: error") and says in lines[0], lines
    assert heavy == ""  # rejected before torch was imported


@pytest.mark.torch
def test_cuda_without_a_gpu_is_exit_2(capsys):
    import torch
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    assert run(["bench", "alexnet", "--device", "cuda"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "no CUDA GPU" in err[0]


@pytest.mark.torch
def test_peak_tflops_alone_on_the_cpu_is_exit_2(capsys):
    assert run(["bench", "alexnet", "--device", "cpu", "--peak-tflops", "1"]) == 2
    assert "give both" in capsys.readouterr().err


FAST = ["--input", "3x64x64", "--repeats", "2", "--warmup", "1"]


@pytest.mark.torch
def test_json_document(capsys):
    import torch
    assert run(["bench", "alexnet", "--batch", "1,2", "--json", "--peak-tflops", "1", "--bandwidth-gbs", "10",
                *FAST]) == 0
    out, err = capsys.readouterr()
    doc = json.loads(out)
    assert (doc["schema"], doc["kind"]) == (1, "bench")
    assert isinstance(doc["device_name"], str) and doc["torch"] == torch.__version__
    types = {"model": str, "batch": int, "dtype": str, "channels_last": bool, "compile": bool, "repeats": int,
             "median_ms": float, "iqr_ms": float, "min_ms": float, "max_ms": float, "images_per_s": float,
             "achieved_tflops": float, "roofline_ms": float, "roofline_ratio": float}
    for r in doc["results"]:
        for key, kind in types.items():
            assert isinstance(r[key], kind), key
        assert r["repeats"] == 2
        assert r["peak_memory_bytes"] is None if doc["device"] == "cpu" else isinstance(r["peak_memory_bytes"], int)
    assert [r["batch"] for r in doc["results"]] == [1, 2]
    if not torch.cuda.is_available():  # no --device and no GPU: said in one line on stderr
        assert err.splitlines() == ["archcalc: no CUDA GPU found; benchmarking on the CPU"]


@pytest.mark.torch
def test_csv_markdown_table_and_plot(tmp_path, capsys):
    plot = tmp_path / "bench.png"
    assert run(["bench", "alexnet", "--device", "cpu", "--batch", "1,2", "-f", "csv", "--plot", str(plot),
                *FAST]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0][:4] == ["model", "batch", "dtype", "median ms"]
    assert [r[:2] for r in rows[1:]] == [["alexnet", "1"], ["alexnet", "2"]]
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert run(["bench", "alexnet", "--device", "cpu", "-f", "markdown", "--per-layer", *FAST]) == 0
    md = capsys.readouterr().out
    assert "| model | batch |" in md and "| layer | kind |" in md and "| features.0 | conv |" in md
    assert run(["bench", "alexnet", "--device", "cpu", *FAST]) == 0
    table = capsys.readouterr().out
    assert "alexnet" in table and "no peaks for the CPU" in table


@pytest.mark.torch
def test_the_lectures_four_networks_on_the_cpu(capsys):
    # `archcalc bench alexnet vgg16 googlenet resnet152 --device cpu --batch 1` works where CI runs (a CPU)
    models = ["alexnet", "vgg16", "googlenet", "resnet152"]
    code = run(["bench", *models, "--device", "cpu", "--batch", "1", "--repeats", "2", "--warmup", "1", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out["device"] == "cpu"
    results = {r["model"]: r for r in out["results"]}
    assert sorted(results) == sorted(models)
    for r in results.values():
        assert r["batch"] == 1 and r["repeats"] == 2
        assert 0 < r["min_ms"] <= r["median_ms"] <= r["max_ms"]
        assert r["images_per_s"] == pytest.approx(1000.0 / r["median_ms"])


@pytest.mark.torch
def test_bench_takes_a_spec_file(capsys):
    """Every model source goes through resolve(): a spec file is built by archcalc's torch builder and timed."""
    from pathlib import Path

    spec = str(Path(__file__).resolve().parents[2] / "examples" / "inception-naive.json")
    code = run(["bench", spec, "--device", "cpu", "--repeats", "2", "--warmup", "1",
                "--json"])
    doc = json.loads(capsys.readouterr().out)
    result = doc["results"][0]
    assert code == 0 and result["median_ms"] > 0
    # analytic FLOPs of the naive module: 2 x its 854,196,224 MACs (the lecture's "854M ops")
    assert result["flops"] == 2 * 854_196_224
