"""reports/: one command regenerates it; the committed files are exactly its output (a stale report fails)."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

from archcalc.docgen.reports import FOREIGN, lecture_architectures, write_reports  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
COMMITTED = REPO / "reports"
TEXT = (".md", ".csv", ".json", ".svg", ".html")  # compared byte for byte; PNGs only for presence
VIEWS = ("view_alexnet.html", "view_vgg16.html", "view_googlenet.html", "view_resnet152.html",
         "view_alexnet_vgg16_googlenet.html")  # the lecture's four networks drawn, and its comparison side by side


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    out = tmp_path_factory.mktemp("fresh") / "reports"
    if (COMMITTED / "bench").is_dir():  # the committed report used the committed bench results
        import shutil

        shutil.copytree(COMMITTED / "bench", out / "bench")
    return out, write_reports(out)


def test_report_has_tables_and_plots(fresh):
    out, written = fresh
    names = {p.name for p in written}
    assert {"README.md", "comparison.md", "comparison.csv", "comparison.json", "lecture.md"} <= names
    for stem in ("accuracy_vs_macs", "memory_vs_params_vgg16", "macs_by_kind"):
        assert {f"{stem}.png", f"{stem}.svg"} <= names
    readme = (out / "README.md").read_text()
    assert "archcalc report reports/" in readme and "](accuracy_vs_macs.png)" in readme
    assert set(VIEWS) <= names and all(f"]({v})" in readme for v in VIEWS)
    assert "`archcalc view alexnet vgg16 googlenet --out view_alexnet_vgg16_googlenet.html`" in readme
    for model in ("lenet5", "alexnet", "zfnet", "vgg16", "googlenet", "resnet152"):
        assert f"| {model} |" in (out / "comparison.md").read_text()
    assert set(lecture_architectures()) >= {"lenet5", "alexnet", "zfnet", "vgg16", "googlenet", "resnet152"}


def test_committed_reports_are_fresh(fresh):
    out, written = fresh
    stale = [p.name for p in written if p.suffix in TEXT
             and (not (COMMITTED / p.name).exists() or (COMMITTED / p.name).read_bytes() != p.read_bytes())]
    missing = [p.name for p in written if not (COMMITTED / p.name).exists()]
    assert not stale and not missing, f"stale: {stale}, missing: {missing}; run 'archcalc report reports/'"


def test_foreign_folders_untouched(tmp_path):
    for name in FOREIGN:
        (tmp_path / name).mkdir()
        (tmp_path / name / "keep.txt").write_text("theirs")
    write_reports(tmp_path)
    assert all((tmp_path / n / "keep.txt").read_text() == "theirs" for n in FOREIGN)


def test_committed_forward_times_are_the_committed_bench():
    """The committed report's fwd ms are the medians of the committed CUDA bench (reports/bench/h200/), float32
    at its largest batch, in the comparison and the lecture's conclusion, with device and batch said."""
    import csv
    import json

    bench = json.loads((COMMITTED / "bench" / "h200" / "bench.json").read_text())
    batch = max(r["batch"] for r in bench["results"] if r["dtype"] == "float32")
    median = {r["model"]: r["median_ms"] for r in bench["results"] if (r["batch"], r["dtype"]) == (batch, "float32")}
    with open(COMMITTED / "comparison.csv", newline="") as f:
        shown = {r["model"]: r["forward_ms"] for r in csv.DictReader(f)}
    assert {m: float(v) for m, v in shown.items() if v} == median
    lecture = json.loads((COMMITTED / "lecture.json").read_text())["cells"]
    assert {c["model"]: c["value"] for c in lecture if c["criterion"] == "forward time"} == median
    readme = (COMMITTED / "README.md").read_text()
    assert f"measured on {bench['device_name']} ({bench['device']}) at batch {batch}, float32" in readme
