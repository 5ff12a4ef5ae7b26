"""archcalc compare: every format parses with its standard parser; missing figures are empty; ranks and
figures checked against torchvision's published metadata (quoted, or read from the installed package)."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from html.parser import HTMLParser

import pytest
from markdown_it import MarkdownIt

from archcalc.cli import run

# quoted from torchvision 0.28's weight metadata ("num_params", "_ops" = GMACs, "_metrics" acc@1),
# torchvision/models/{alexnet,vgg,googlenet,resnet}.py, IMAGENET1K_V1 weights
PUBLISHED = {
    "alexnet": {"num_params": 61100840, "gmacs": 0.714, "acc1": 56.522},
    "vgg16": {"num_params": 138357544, "gmacs": 15.47, "acc1": 71.592},
    "googlenet": {"num_params": 6624904, "gmacs": 1.498, "acc1": 69.778},
    "resnet152": {"num_params": 60192808, "gmacs": 11.514, "acc1": 78.312},
}


def cli(capsys, *args):
    code = run(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def markdown_table(text: str) -> list:
    """Rows of the first table of a Markdown text (header first), parsed by markdown-it-py."""
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    assert any(t.type == "table_open" for t in tokens), "no Markdown table parsed"
    rows, row = [], None
    for t in tokens:
        if t.type == "table_close":
            break
        if t.type == "tr_open":
            row = []
        elif t.type == "inline" and row is not None:
            row.append(t.content)
        elif t.type == "tr_close":
            rows.append(row)
            row = None
    return rows


def test_table_is_a_valid_markdown_table(capsys):
    code, out, err = cli(capsys, "compare", "alexnet", "googlenet", "resnet152", "--table")
    assert code == 0, err
    rows = markdown_table(out)
    assert [r[0] for r in rows[1:]] == ["alexnet", "googlenet", "resnet152"]
    assert all(len(r) == len(rows[0]) for r in rows)
    assert "top-1 %" in rows[0] and "GMACs" in rows[0]


def test_csv_raw_figures_and_empty_cells(capsys):
    code, out, _ = cli(capsys, "compare", "alexnet", "lenet5", "--format", "csv")
    assert code == 0
    rows = {r["model"]: r for r in csv.DictReader(io.StringIO(out))}
    assert int(rows["alexnet"]["params"]) == PUBLISHED["alexnet"]["num_params"]
    assert round(int(rows["alexnet"]["macs"]) / 1e9, 3) == PUBLISHED["alexnet"]["gmacs"]
    assert int(rows["alexnet"]["flops"]) == 2 * int(rows["alexnet"]["macs"])
    assert float(rows["alexnet"]["top1"]) == PUBLISHED["alexnet"]["acc1"]
    # LeNet-5 has no published ImageNet accuracy: empty cells, never 0; no bench: no forward-time column
    for key in ("top1", "top1_per_gmac", "params_per_top1", "top1_source"):
        assert rows["lenet5"][key] == ""
    assert "forward_ms" not in rows["lenet5"] and "images_per_s" not in rows["lenet5"]
    # LeNet-5 (LeCun 1998): C1 5x5x1x6+6, C3 5x5x6x16+16, C5 5x5x16x120+120, F6 120x84+84, out 84x10+10
    assert int(rows["lenet5"]["params"]) == 156 + 2416 + 48120 + 10164 + 850


def test_json_nulls_and_efficiency_columns(capsys):
    code, out, _ = cli(capsys, "compare", "vgg16", "zfnet", "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["schema"] == 1 and doc["kind"] == "compare"
    vgg, zf = doc["models"]
    assert vgg["params"] == PUBLISHED["vgg16"]["num_params"]
    assert vgg["top1_per_gmac"] == pytest.approx(71.592 / (vgg["macs"] / 1e9))
    assert vgg["params_per_top1"] == pytest.approx(PUBLISHED["vgg16"]["num_params"] / 71.592)
    assert vgg["param_bytes"] == 4 * PUBLISHED["vgg16"]["num_params"]
    assert zf["top1"] is None and zf["top1_per_gmac"] is None
    assert doc["notes"]


class _Cells(HTMLParser):
    def __init__(self):
        super().__init__()
        self.rows, self._cell = [], None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = ""

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self.rows[-1].append(self._cell.strip())
            self._cell = None


def test_html_parses(capsys):
    code, out, _ = cli(capsys, "compare", "alexnet", "lenet5", "--format", "html", "--columns", "params,top1")
    assert code == 0
    parser = _Cells()
    parser.feed(out)
    assert parser.rows == [["model", "params (M)", "top-1 %"], ["alexnet", "61.10", "56.522"], ["lenet5", "0.062", ""]]


def test_latex_is_a_longtable_in_a_document(capsys):
    code, out, _ = cli(capsys, "compare", "alexnet", "resnet152", "--format", "latex",
                       "--columns", "params,top1,top1_source")
    assert code == 0
    lines = out.strip().splitlines()
    assert lines[-1] == "\\end{document}"  # a whole document: tests/output/test_publishing.py compiles it
    body = lines[lines.index(next(x for x in lines if x.startswith("\\begin{longtable}{@{}"))):]
    columns = len(body[0][len("\\begin{longtable}{@{}"):-len("@{}}")])  # portrait, one letter a column
    rows = [line for line in body if line.endswith("\\\\")]
    assert len(rows) == 4  # the header (on the first page and the next) + two models
    assert all(row.count("&") == columns - 1 for row in rows)
    assert "IMAGENET1K\\_" in out  # underscores escaped


def test_sort_descending_puts_missing_last(capsys):
    code, out, _ = cli(capsys, "compare", "lenet5", "alexnet", "resnet152", "googlenet", "--format", "csv",
                       "--columns", "top1", "--sort", "top1", "--descending")
    assert code == 0
    assert [r["model"] for r in csv.DictReader(io.StringIO(out))] == ["resnet152", "googlenet", "alexnet", "lenet5"]


def test_unknown_column_is_one_line_exit_2(capsys):
    code, out, err = cli(capsys, "compare", "alexnet", "--columns", "parms")
    assert code == 2
    assert err.count("\n") == 1 and "parms" in err and "did you mean params" in err


def test_bench_json_adds_forward_time(tmp_path, capsys):
    bench = tmp_path / "bench.json"
    bench.write_text(json.dumps({"schema": 1, "kind": "bench", "device": "cuda", "device_name": "Test GPU",
                                 "results": [{"model": "alexnet", "batch": 1, "dtype": "float32",
                                              "median_ms": 2.5, "images_per_s": 400.0},
                                             {"model": "alexnet", "batch": 64, "dtype": "float32",
                                              "median_ms": 20.0, "images_per_s": 3200.0}]}))
    code, out, _ = cli(capsys, "compare", "alexnet", "vgg16", "--format", "csv", "--bench", str(bench))
    assert code == 0
    rows = {r["model"]: r for r in csv.DictReader(io.StringIO(out))}
    assert float(rows["alexnet"]["forward_ms"]) == 2.5 and float(rows["alexnet"]["images_per_s"]) == 400.0
    assert rows["vgg16"]["forward_ms"] == ""  # not in the file: empty, not estimated
    code, out, _ = cli(capsys, "compare", "alexnet", "--format", "csv", "--bench", str(bench), "--bench-batch", "64")
    assert float(next(csv.DictReader(io.StringIO(out)))["forward_ms"]) == 20.0


@pytest.mark.parametrize("content, expected", [
    ("{not json", "not valid JSON"),
    ('{"kind": "verify", "results": []}', "not the JSON of 'archcalc bench --json'"),
    ('{"kind": "bench", "results": [{"model": "alexnet", "batch": 1, "dtype": "float32"}]}', "results[0]: 'median_ms'"),
])
def test_bad_bench_file_is_one_line_exit_2(tmp_path, capsys, content, expected):
    bench = tmp_path / "bench.json"
    bench.write_text(content)
    code, out, err = cli(capsys, "compare", "alexnet", "--bench", str(bench))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and expected in err and str(bench) in err


def test_lecture_ranks_follow_published_figures(capsys):
    code, out, _ = cli(capsys, "compare", "--lecture", "--json")
    assert code == 0
    cells = json.loads(out)["cells"]
    rank = {(c["model"], c["criterion"]): c["rank"] for c in cells}

    def expected(key, higher_is_better):
        order = sorted(PUBLISHED, key=lambda m: key(PUBLISHED[m]), reverse=higher_is_better)
        return {m: i + 1 for i, m in enumerate(order)}

    for criterion, key, higher in (("compute", lambda p: p["gmacs"], False),
                                   ("accuracy", lambda p: p["acc1"], True),
                                   ("efficiency", lambda p: p["acc1"] / p["num_params"], True)):
        assert {m: rank[(m, criterion)] for m in PUBLISHED} == expected(key, higher), criterion
    # no bench JSON: the forward-time column has no figures and no ranks
    assert all(c["value"] is None and c["rank"] is None for c in cells if c["criterion"] == "forward time")
    vgg = next(c for c in cells if c["model"] == "vgg16" and c["criterion"] == "forward time")
    assert vgg["word"] == "가장 길다"  # quoted from the lecture note's conclusion table


def test_lecture_markdown_parses(capsys):
    code, out, _ = cli(capsys, "compare", "--lecture", "--table")
    assert code == 0
    rows = markdown_table(out)
    assert [r[1] for r in rows[1:]] == ["alexnet", "vgg16", "googlenet", "resnet152"]
    assert len(rows[0]) == 7


def test_compare_without_bench_never_imports_torch():
    script = ("import sys\nfrom archcalc.cli import run\n"
              "assert run(['compare', 'alexnet', 'vgg16', '--table']) == 0\n"
              "assert run(['compare', '--lecture', '--format', 'csv']) == 0\n"
              "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'torchvision', 'fvcore'))\n"
              "assert not bad, bad\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_rf_column_is_the_field_of_the_last_feature_map(capsys):
    code, out, _ = cli(capsys, "compare", "alexnet", "lenet5", "--columns", "rf", "--format", "csv")
    assert code == 0
    # alexnet: conv 11 s4 -> 11 (jump 4); pool 3 s2 -> 11 + 2*4 (jump 8); conv 5 -> + 4*8; pool 3 s2 -> + 2*8
    # (jump 16); three conv 3 -> + 3 * 2*16; pool 3 s2 -> + 2*16; then global pooling and FC
    alexnet = 11 + 2 * 4 + 4 * 8 + 2 * 8 + 3 * 2 * 16 + 2 * 16
    # lenet5: conv 5 -> 5; pool 2 s2 -> + 1 (jump 2); conv 5 -> + 4*2; pool 2 s2 -> + 2 (jump 4); c5 -> + 4*4
    lenet5 = 5 + 1 + 4 * 2 + 2 + 4 * 4
    assert list(csv.reader(io.StringIO(out))) == [["model", "rf"], ["alexnet", str(alexnet)], ["lenet5", str(lenet5)]]
