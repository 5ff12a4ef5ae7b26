"""The CLI through typer's CliRunner and through archcalc.cli.run (which turns usage errors into one line)."""

import csv
import io
import json

import pytest
from typer.testing import CliRunner

from archcalc.cli import app, run

runner = CliRunner()


def test_summary_table_shows_the_arithmetic_and_totals():
    result = runner.invoke(app, ["summary", "alexnet-paper"])
    assert result.exit_code == 0
    assert "(227 - 11)/4 + 1 = 55" in result.stdout
    assert f"{11 * 11 * 3 * 96 + 96:,}" in result.stdout
    assert "depth: 8" in result.stdout


def test_summary_json():
    result = runner.invoke(app, ["summary", "vgg16", "--json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["schema"] == 2 and data["totals"]["depth"] == 13 + 3


def test_summary_csv_and_markdown():
    rows = list(csv.reader(io.StringIO(runner.invoke(app, ["summary", "lenet5", "-f", "csv"]).stdout)))
    assert rows[0][:3] == ["layer", "kind", "output"]
    assert rows[1][:3] == ["c1", "conv", "6x28x28"]
    md = runner.invoke(app, ["summary", "lenet5", "--format", "markdown"]).stdout.splitlines()
    assert md[0].startswith("| layer |") and set(md[1]) <= set("|-:")  # numbers right-aligned: ---:
    assert len(md) == 2 + len(rows) - 1


def test_summary_folds_blocks():
    result = runner.invoke(app, ["summary", "resnet50", "--depth", "1", "-f", "csv"])
    names = [r[0] for r in csv.reader(io.StringIO(result.stdout))][1:]
    assert names == ["conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4", "avgpool",
                     "flatten", "fc"]


def test_summary_symbolic_input():
    result = runner.invoke(app, ["summary", "alexnet-paper", "--input", "3xHxW", "-f", "csv"])
    assert result.exit_code == 0
    assert "floor((H - 11)/4) + 1" in result.stdout


def test_list_shows_sources_and_inputs():
    data = json.loads(runner.invoke(app, ["list", "--json"]).stdout)
    by_name = {m["name"]: m for m in data["models"]}
    assert by_name["alexnet-paper"]["input"] == [3, 227, 227]
    assert "Krizhevsky" in by_name["alexnet-paper"]["source"]
    assert by_name["vgg16"]["torchvision"] == "vgg16"


@pytest.mark.parametrize("argv, fragment", [
    (["summary", "vgg61"], "did you mean vgg16"),
    (["summary", "resnet-50"], "did you mean resnet50"),
    (["summary", "vgg16", "--input", "3x0x224"], "dimension 2 is 0"),
    (["summary", "vgg16", "--input", "abc"], "takes 3 input channels"),
    (["summary", "vgg16", "--input", "3x224"], "expects a 2-D feature map"),
    (["summary", "vgg16", "--batch", "-1"], "--batch -1"),
    (["summary", "vgg16", "--batch", "abc"], "Invalid value for '--batch'"),
    (["summary", "alexnet-paper", "--input", "3x8x8"], "layer 'conv1'"),
    (["summary", "vgg16", "--dtype", "int7"], "dtype 'int7'"),
    (["summary", "vgg16", "--format", "xml"], "xml"),
    (["summary"], "Missing argument"),
    (["frobnicate"], "No such command"),
])
def test_bad_input_gives_one_line_and_exit_code_2(capsys, argv, fragment):
    code = run(argv)
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("archcalc: error")
    assert fragment in lines[0]
    assert "Traceback" not in captured.err


def test_help_exits_zero(capsys):
    assert run(["--help"]) == 0
    assert "summary" in capsys.readouterr().out
