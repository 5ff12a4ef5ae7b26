"""archcalc compare --batch/--dtype/--wide, its columns and notes, and archcalc report MODEL... --out DIR."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from archcalc.cli import run

REPO = Path(__file__).resolve().parents[2]
SPEC = REPO / "examples" / "resnet50-layer2.yaml"  # a spec file, so a file name is made from its path


def cli(capsys, *args):
    code = run([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def csv_rows(capsys, *args) -> dict:
    code, out, err = cli(capsys, "compare", *args, "--format", "csv")
    assert code == 0, err
    return {r["model"]: r for r in csv.DictReader(io.StringIO(out))}


def test_batch_scales_macs_flops_and_activations_exactly(capsys):
    """MACs, FLOPs and activation bytes are per batch: batch 4 is exactly 4x batch 1 (integers, no rounding);
    parameters and their bytes do not depend on the batch, nor does the per-image efficiency."""
    one = csv_rows(capsys, "alexnet", "googlenet")
    four = csv_rows(capsys, "alexnet", "googlenet", "--batch", "4")
    for model in ("alexnet", "googlenet"):
        for key in ("macs", "flops", "activation_bytes"):
            assert int(four[model][key]) == 4 * int(one[model][key]), (model, key)
        for key in ("params", "param_bytes"):
            assert four[model][key] == one[model][key]
        assert float(four[model]["top1_per_gmac"]) == pytest.approx(float(one[model]["top1_per_gmac"]))


def test_float16_halves_memory(capsys):
    """float16 is 2 bytes an element against float32's 4: activation and parameter bytes halve exactly."""
    f32 = csv_rows(capsys, "vgg16")["vgg16"]
    f16 = csv_rows(capsys, "vgg16", "--dtype", "float16")["vgg16"]
    assert 2 * int(f16["activation_bytes"]) == int(f32["activation_bytes"])
    assert int(f16["param_bytes"]) == 2 * int(f16["params"])  # 138,357,544 parameters x 2 bytes
    assert f16["macs"] == f32["macs"]


def test_batch_and_dtype_are_stated(capsys):
    """The JSON records batch and dtype; the Markdown's header and note say the figures are per batch."""
    code, out, _ = cli(capsys, "compare", "alexnet", "--batch", "8", "--dtype", "bfloat16", "--json")
    doc = json.loads(out)
    assert code == 0 and (doc["batch"], doc["dtype"]) == (8, "bfloat16")
    assert doc["columns"]["activation_bytes"]["header"] == "act. MB/8 img"
    assert any(n.startswith("Per batch of 8 images") and "bfloat16" in n for n in doc["notes"])
    assert cli(capsys, "compare", "alexnet", "--batch", "0")[0] == 2


def test_without_bench_no_measured_columns(capsys):
    """Without a bench file the forward-time columns would be empty in every row: no format shows them, and
    no note speaks of them; asking for one names the missing --bench."""
    code, out, _ = cli(capsys, "compare", "alexnet", "lenet5", "--format", "csv")
    header = next(csv.reader(io.StringIO(out)))
    assert code == 0 and "forward_ms" not in header and "images_per_s" not in header and "top1" in header
    doc = json.loads(cli(capsys, "compare", "alexnet", "--json")[1])
    assert "forward_ms" not in doc["columns"] and "forward_ms" not in doc["models"][0]
    assert not any("fwd ms" in n for n in doc["notes"])
    code, out, _ = cli(capsys, "compare", "alexnet", "--table")
    assert "fwd ms" not in out and "img/s" not in out
    code, out, err = cli(capsys, "compare", "alexnet", "--columns", "params,forward_ms")
    assert code == 2 and out == "" and "--bench" in err and err.count("\n") == 1


def test_columns_empty_for_every_model_are_left_out(capsys):
    """zfnet and nin have no published top-1: the accuracy columns would be empty, so they are not shown;
    asked for by name, a column is shown even empty."""
    header = next(csv.reader(io.StringIO(cli(capsys, "compare", "zfnet", "nin", "--format", "csv")[1])))
    assert header == ["model", "input", "params", "macs", "flops", "activation_bytes", "param_bytes", "depth", "rf"]
    rows = csv_rows(capsys, "zfnet", "--columns", "params,top1")
    assert rows["zfnet"]["top1"] == ""


def test_notes_only_for_shown_columns(capsys):
    """--columns params,top1: the note on parameters' batch and dtype and the top-1 source stay; MACs, FLOPs,
    memory, depth and RF sentences go."""
    doc = json.loads(cli(capsys, "compare", "alexnet", "--columns", "params,top1", "--json")[1])
    text = " ".join(doc["notes"])
    assert "top-1: ImageNet-1K" in text and "Per image (batch 1), float32" in text
    for gone in ("MACs:", "FLOPs", "act. MB", "depth:", "RF:", "fwd ms"):
        assert gone not in text, gone
    doc = json.loads(cli(capsys, "compare", "alexnet", "--columns", "input,top1_source", "--json")[1])
    assert not any(n.startswith("Per image") for n in doc["notes"])  # no analytic figure shown


def test_wide_shows_every_column(capsys, monkeypatch):
    """At 80 columns the table fits 80 columns; --wide keeps every column, each header and name whole."""
    monkeypatch.setenv("COLUMNS", "80")
    code, out, err = cli(capsys, "compare", "alexnet", "vgg16")
    assert code == 0, err
    assert max(len(line) for line in out.splitlines()) <= 80
    code, out, err = cli(capsys, "compare", "alexnet", "vgg16", "--wide")
    assert code == 0, err
    header = next(line for line in out.splitlines() if "model" in line and "input" in line)
    for name in ("params (M)", "GMACs", "act. MB/img", "RF px", "top-1 %", "M params/top-1 pt", "top-1 source"):
        assert name in header, name
    assert "torchvision AlexNet_Weights.IMAGENET1K_V1" in out


def fake_bench(path: Path) -> Path:
    """A bench JSON in the shape 'archcalc bench --json' writes: alexnet at batches 1 and 8 (float32) and 16
    (bfloat16); a report should take float32 at its largest batch, 8."""
    path.parent.mkdir(parents=True, exist_ok=True)
    results = [{"model": "alexnet", "batch": b, "dtype": d, "median_ms": ms, "images_per_s": b * 1000 / ms}
               for b, d, ms in ((1, "float32", 2.0), (8, "float32", 4.0), (16, "bfloat16", 5.0))]
    path.write_text(json.dumps({"schema": 1, "kind": "bench", "device": "cuda", "device_name": "Test GPU",
                                "results": results}))
    return path


def test_report_of_any_models(tmp_path, capsys):
    """Two models of the user's choice (a zoo name, a spec file): comparison tables, the four plots (as PNG
    and SVG, the memory plots of the first model) and a README, and nothing of the lecture; forward times from
    a bench file under bench/, at its largest float32 batch, with device and batch said."""
    out = tmp_path / "mine"
    fake_bench(out / "bench" / "gpu" / "bench.json")
    code, stdout, err = cli(capsys, "report", SPEC, "alexnet", "--out", out)
    assert code == 0, err
    assert err == ""  # stderr is not a terminal here: no progress bar
    stems = ["accuracy_vs_macs", "memory_vs_params_resnet50-layer2", "macs_by_kind",
             "memory_timeline_resnet50-layer2"]
    expected = {"README.md", "comparison.md", "comparison.csv", "comparison.json",
                *(f"{s}{x}" for s in stems for x in (".png", ".svg"))}
    assert {p.name for p in out.iterdir() if p.is_file() and p.name != ".archcalc-report"} == expected
    assert {Path(line.split(" ", 1)[1]).name for line in stdout.splitlines()} == expected
    rows = {r["model"]: r for r in csv.DictReader(io.StringIO((out / "comparison.csv").read_text()))}
    assert set(rows) == {"resnet50-layer2", "alexnet"}
    assert float(rows["alexnet"]["forward_ms"]) == 4.0 and rows["resnet50-layer2"]["forward_ms"] == ""
    readme = (out / "README.md").read_text()
    assert "Test GPU (cuda) at batch 8, float32" in readme and "lecture" not in readme
    assert f"archcalc report {SPEC} alexnet --out mine/" in readme
    # a folder it wrote is its own: a second run rewrites it
    assert cli(capsys, "report", "alexnet", "--out", out)[0] == 0


def test_report_refuses_a_folder_of_other_files(tmp_path, capsys):
    """A folder holding someone else's files is left as it was, with one line naming a file and --force."""
    theirs = tmp_path / "notes"
    theirs.mkdir()
    (theirs / "thesis.tex").write_text("mine")
    code, out, err = cli(capsys, "report", "alexnet", "--out", theirs)
    assert code == 2 and out == "" and "thesis.tex" in err and "--force" in err
    assert [p.name for p in theirs.iterdir()] == ["thesis.tex"]


def test_report_arguments(capsys, tmp_path, monkeypatch):
    """Models need --out; a lone model name is not taken for a folder; progress reaches a callback per file."""
    monkeypatch.chdir(tmp_path)
    code, _, err = cli(capsys, "report", "alexnet", "vgg16")
    assert code == 2 and "--out" in err
    code, _, err = cli(capsys, "report", "alexnet")
    assert code == 2 and "is a model, not a folder" in err and not (tmp_path / "alexnet").exists()
    import matplotlib

    matplotlib.use("Agg")
    from archcalc.docgen import reports

    seen = []
    written = reports.write_reports(tmp_path / "r", models=["lenet5"], progress=lambda *a: seen.append(a))
    total = len(written)
    assert [s[0] for s in seen] == [p.name for p in written] and [s[1:] for s in seen] == [
        (i, total) for i in range(total)]
    assert "accuracy_vs_macs.png" not in {p.name for p in written}  # lenet5 has no top-1 to plot


def test_report_interrupted_names_what_it_wrote(tmp_path, capsys, monkeypatch):
    """Ctrl-C while the third file is made: the two finished ones are named on stdout, exit code 130."""
    import archcalc.docgen

    def interrupted(outdir, bench, force, models, progress):
        for done, name in enumerate(("comparison.md", "comparison.csv", "comparison.json")):
            progress(name, done, 12)
        raise KeyboardInterrupt

    monkeypatch.setattr(archcalc.docgen, "write_reports", interrupted)
    code, out, err = cli(capsys, "report", "alexnet", "--out", tmp_path / "r")
    assert code == 130
    assert out.splitlines() == [f"wrote {tmp_path / 'r' / n}" for n in ("comparison.md", "comparison.csv")]
    assert "interrupted" in err and "comparison.json unfinished" in err
