"""Terminal tables that fit: every table-printing command at COLUMNS=80 and 120 prints no line wider than that
and splits no number; the writer hides empty and low-priority columns (saying which), wraps prose, cuts text
only as a last resort, and draws piped output at its natural width; summary's --columns, kernel column and
raw CSV."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from rich.cells import cell_len

from archcalc.cli import run
from archcalc.output.tables import Format, Table, emit

NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
COMMANDS = [
    ["summary", "resnet18"],
    ["summary", "resnext50_32x4d", "--columns", "layer,kernel,flops,arithmetic", "--depth", "2"],
    ["list"],
    ["compare", "alexnet", "resnet18", "lenet5"],
    ["kinds"],
    ["claims"],
    ["memory", "resnet18", "--layers", "--budget", "1GB"],
    ["rf", "alexnet"],
    pytest.param(["verify", "lenet5", "--no-fvcore"], marks=pytest.mark.torch),  # bench: minutes, left out
]


def printed(capsys, monkeypatch, argv, columns=None) -> str:
    if columns is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", str(columns))
    assert run(argv) == 0
    return capsys.readouterr().out


def markdown_numbers(text: str) -> set:
    """Every number of every cell of a Markdown output: the whole figures a table may show."""
    cells = [c for line in text.splitlines() if line.startswith("|") for c in line.split("|")]
    return {n for c in cells for n in NUMBER.findall(c)}


def table_cells(text: str) -> list:
    """The cells of the boxed lines (header and rows) of a terminal output, stripped."""
    return [c.strip() for line in text.splitlines() if line[:1] in "│┃" for c in re.split("[│┃]", line)[1:-1]]


@pytest.mark.parametrize("argv", COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_every_table_fits_80_and_120_columns_and_splits_no_number(capsys, monkeypatch, argv):
    """rich folded '105,415' into '105,4' / '15' at 80 columns: each number of a cell must be a whole figure of
    the command's Markdown (cells as they are, never folded), and no cell may begin or end inside a number."""
    if argv[0] == "verify":
        pytest.importorskip("torch", reason="verify measures the torch model")
    whole = markdown_numbers(printed(capsys, monkeypatch, [*argv, "-f", "markdown"]))
    for width in (80, 120):
        out = printed(capsys, monkeypatch, argv, width)
        assert max(cell_len(line) for line in out.splitlines()) <= width, (width, out)
        for cell in table_cells(out):
            if re.fullmatch(r"[\d.,]+", cell):  # a figure alone: rich's fold left '105,' over '415'
                assert cell[0].isdigit() and cell[-1].isdigit(), (width, cell)
            assert set(NUMBER.findall(cell.rstrip("…"))) <= whole | {""}, (width, cell)


def fitted(capsys, monkeypatch, table: Table, columns=None, wide=False) -> list:
    if columns is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", str(columns))
    emit(Format.table, table, wide)
    return capsys.readouterr().out.splitlines()


NAMES = ["conv1", "layer4.2.downsample.0"]
NUMBERS = ["105,415,200", "9,408"]
WORDS = ("the arithmetic of the output size, written out in full " * 2).rstrip()


def wide_table(**more) -> Table:
    rows = [[n, x, "", WORDS] for n, x in zip(NAMES, NUMBERS)]
    return Table("t", ("layer", "MACs", "fwd ms", "arithmetic"), rows, right=("MACs", "fwd ms"), **more)


def test_a_narrow_terminal_hides_the_long_text_column_and_says_so(capsys, monkeypatch):
    """Whole names and numbers at 40 columns; the arithmetic is hidden, the empty fwd ms never shown."""
    lines = fitted(capsys, monkeypatch, wide_table(), 40)
    # '│ layer4.2.downsample.0 │ 105,415,200 │': 21 + 11 + 3 * 2 + 1 cells
    assert lines[4] == "│ conv1                 │ 105,415,200 │"  # 0: title, 1-3: rules and header
    assert lines[5] == "│ layer4.2.downsample.0 │       9,408 │"
    assert all(cell_len(line) <= 40 for line in lines)
    assert "fwd ms" not in "\n".join(lines) and "arithmetic" in lines[-2] + lines[-1] and "--wide" in lines[-1]


def test_wide_shows_every_non_empty_column_and_pipes_draw_at_natural_width(capsys, monkeypatch):
    """--wide and a pipe without COLUMNS: the whole arithmetic on one line; the empty column still hidden."""
    for lines in (fitted(capsys, monkeypatch, wide_table(), 40, wide=True), fitted(capsys, monkeypatch, wide_table())):
        assert lines[4].endswith(f"│ {WORDS} │")
        assert cell_len(lines[4]) == 1 + (21 + 3) + (11 + 3) + (len(WORDS) + 3)
        assert "fwd ms" not in "\n".join(lines) and "--wide" not in lines[-1]


def test_prose_wraps_at_spaces_and_keep_decides_what_stays(capsys, monkeypatch):
    """With the arithmetic declared prose it wraps, whole words, into what the name and the number leave of 60
    columns; with keep naming the number first, the name column is hidden before it."""
    lines = fitted(capsys, monkeypatch, wide_table(wrap=("arithmetic",)), 60)
    body = [line for line in lines if line.startswith("│")]
    assert len(body) > 2 and all(cell_len(line) <= 60 for line in lines)
    text = " ".join(re.split("│", line)[3].strip() for line in body[: len(body) // 2])
    assert text == WORDS  # the first row's prose, every word whole, in order
    kept = fitted(capsys, monkeypatch, wide_table(keep=("MACs",)), 20)
    assert kept[4] == "│ 105,415,200 │" and "layer" in kept[-2] + kept[-1]


def test_text_is_cut_with_an_ellipsis_only_when_what_must_stay_does_not_fit(capsys, monkeypatch):
    """At 20 columns only the first column stays, and its 21-cell name does not fit in 20 - 4: it keeps 15
    characters and an ellipsis; at 25 columns it fits whole."""
    lines = fitted(capsys, monkeypatch, wide_table(), 20)
    assert lines[5] == "│ layer4.2.downsa… │" and lines[4] == "│ conv1            │"
    assert fitted(capsys, monkeypatch, wide_table(), 25)[5] == "│ layer4.2.downsample.0 │"


def test_summary_columns_kernel_and_raw_csv(capsys, monkeypatch):
    """ResNeXt-50 32x4d's layer1.0.conv2 is a 3x3 convolution in 32 groups, its conv1 7x7 stride 2 (the paper's
    Table 1); the CSV holds its figures in units: 64 x 3 x 7 x 7 = 9,408 weights, 9,408 x 112 x 112 MACs."""
    out = printed(capsys, monkeypatch, ["summary", "resnext50_32x4d", "-c", "layer,kernel,params,macs", "-f", "csv"])
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["layer", "kernel", "params", "macs"]
    by_name = {r[0]: r for r in rows[1:]}
    assert by_name["conv1"] == ["conv1", "k7 s2", str(64 * 3 * 7 * 7), str(64 * 3 * 7 * 7 * 112 * 112)]
    assert by_name["layer1.0.conv2"][1] == "k3 g32" and by_name["maxpool"][1] == "k3 s2"
    assert by_name["layer1.0.bn2"][1] == ""
    assert run(["summary", "lenet5", "-c", "layer,nope"]) != 0
    assert "unknown column 'nope'" in capsys.readouterr().err


def test_list_csv_holds_numbers_as_the_json_does(capsys, monkeypatch):
    models = {m["name"]: m for m in json.loads(printed(capsys, monkeypatch, ["list", "--json"]))["models"]}
    rows = list(csv.DictReader(io.StringIO(printed(capsys, monkeypatch, ["list", "-f", "csv"]))))
    assert rows and all(int(r["params"]) == models[r["name"]]["params"] for r in rows)
    assert all(int(r["macs"]) == models[r["name"]]["macs"] for r in rows)


@pytest.mark.torch
def test_bench_fits_80_and_120_columns_and_splits_no_number(capsys, monkeypatch):
    """bench times differ from run to run, so its cells are checked on their own: each is a whole number
    (commas and exponents allowed) or a word, at both widths; empty roofline columns are not shown."""
    argv = ["bench", "lenet5", "--device", "cpu", "--batch", "1", "--repeats", "2", "--warmup", "1"]
    for width in (80, 120):
        out = printed(capsys, monkeypatch, argv, width)
        assert max(cell_len(line) for line in out.splitlines()) <= width
        cells = table_cells(out)
        assert "ratio" not in cells  # no peaks on the CPU: the roofline columns are empty, so hidden
        for cell in cells[cells.index("lenet5"):]:
            assert cell == "lenet5" or re.fullmatch(r"[a-z0-9]+|[\d,]+(\.\d+)?(e[-+]\d+)?", cell), cell
