"""`archcalc rf` through the CLI: tables, JSON, --layer, errors (one line, exit 2), and no torch import."""

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from archcalc.cli import app, run

runner = CliRunner()


def test_three_3x3_prints_7_and_the_weight_comparison():
    result = runner.invoke(app, ["rf", "3x3x3"])
    assert result.exit_code == 0
    assert "7x7 pixels" in result.stdout
    assert f"{3 * 3 * 3} C^2 vs {7 * 7} C^2" in result.stdout
    assert "27*C**2" in result.stdout and "49*C**2" in result.stdout
    assert "3  vs  1" in result.stdout  # ReLUs


def test_one_7x7_prints_7():
    result = runner.invoke(app, ["rf", "7x7"])
    assert result.exit_code == 0 and "7x7 pixels" in result.stdout and "C^2 vs" not in result.stdout


def test_json_of_a_stack():
    data = json.loads(runner.invoke(app, ["rf", "3x3x3", "--json"]).stdout)
    assert data["form"] == "stack" and data["field"]["size"] == [7, 7]
    assert data["field"]["effective_padding"] == [3, 3]
    assert data["comparison"]["weights_per_c2"] == {"stack": 27, "single": 49}
    assert [l["receptive_field"]["size"][0] for l in data["layers"] if l["kind"] == "conv"] == [3, 5, 7]


def test_layer_list_table_and_markdown():
    result = runner.invoke(app, ["rf", "conv11s4,pool3s2,conv5p2,conv3d2"])
    assert result.exit_code == 0
    # 11, +2*4 = 19 (jump 8), +4*8 = 51, dilated 3x3 spans 5: +4*8 = 83
    assert f"{11 + 2 * 4 + 4 * 8 + 4 * 8}x{11 + 2 * 4 + 4 * 8 + 4 * 8} pixels, jump 8" in result.stdout
    md = runner.invoke(app, ["rf", "conv3,conv3", "-f", "markdown"]).stdout.splitlines()
    assert md[0].startswith("| layer | kind | output | RF |")


def test_zoo_model_reports_the_last_feature_map():
    result = runner.invoke(app, ["rf", "vgg16"])
    assert result.exit_code == 0
    assert "the whole input" in result.stdout
    assert "receptive field at avgpool (the last feature map): 212x212 pixels, jump 32" in result.stdout


def test_layer_option():
    data = json.loads(runner.invoke(app, ["rf", "googlenet", "--layer", "inception3a.concat", "--json"]).stdout)
    # 27 at jump 8 after maxpool2, and the module's widest branch adds two windows of 3: 27 + 2*8
    assert data["field"]["layer"] == "inception3a.concat" and data["field"]["size"] == [27 + 2 * 8] * 2
    assert data["layers"][-1]["name"] == "inception3a.concat"


@pytest.mark.parametrize("argv, words", [
    (["rf", "3x3xq"], ["position 5", "'q'", "how many layers"]),
    (["rf", "conv3,pool3q2"], ["position 12", "'q'"]),
    (["rf", "vgg16", "--layer", "features.300"], ["features.300", "did you mean"]),
    (["rf", "vgg61"], ["unknown model", "3x3x3"]),
])
def test_bad_input_is_one_line_and_exit_2(argv, words, capsys):
    assert run(argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    for w in words:
        assert w in err


PROBE = """
import sys
from archcalc.cli import run
code = run({argv!r})
heavy = sorted(m for m in ("torch", "torchvision", "fvcore") if m in sys.modules)
print("HEAVY=" + ",".join(heavy), file=sys.stderr)
sys.exit(code)
"""


@pytest.mark.parametrize("argv", [["rf", "3x3x3"], ["rf", "conv11s4,pool3s2", "--json"], ["rf", "resnet18"],
                                  ["rf", "--help"]])
def test_rf_never_imports_torch(argv):
    done = subprocess.run([sys.executable, "-c", PROBE.format(argv=argv)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr.rstrip().endswith("HEAVY="), done.stderr
