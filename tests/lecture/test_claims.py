"""`archcalc claims`: the lecture's figures against computed ones. Expected values are arithmetic or the
real torchvision models; the verdict logic is tested on its own."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from archcalc.lecture.claims import ClaimCheck, all_claims
from archcalc.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def claims():
    return {c.key: c for c in all_claims()}


def _check(published, rounding, computed):
    return ClaimCheck("k", "claim", "quote", "source", "q", published, rounding, computed, "x", ())


def test_verdicts_follow_the_quoted_rounding():
    assert _check(138e6, 0.5e6, 138.4e6).verdict == "holds"
    assert _check(60e6, 0.5e6, 61e6).verdict == "close (1.7% off)"
    assert _check(12, 0.5, 8.7).verdict == "does not hold (0.72x)"
    assert _check(0, 0, 1).verdict.startswith("does not hold") and _check(0, 0, 1).ratio is None


def test_naive_inception_matches_854m(claims):
    # the lecture note: 1x1 128, 3x3 192, 5x5 96 on 28x28x256
    c = claims["inception-naive-macs"]
    assert c.computed == 28 * 28 * 256 * (128 + 3 * 3 * 192 + 5 * 5 * 96)
    assert c.verdict == "holds"


def test_bottleneck_inception_gap_is_the_3x3_conv(claims):
    c = claims["inception-bottleneck-macs"]
    total = 28 * 28 * (3 * 64 * 256 + 128 * 256 + 3 * 3 * 64 * 192 + 5 * 5 * 64 * 96)
    assert c.computed == total
    # 358M is the total plus the 3x3 conv's MACs again (within the quoted rounding)
    assert abs(358e6 - total - 28 * 28 * 3 * 3 * 64 * 192) <= 0.5e6
    assert "branch2.1" in c.derivation[-1] and c.verdict.startswith("does not hold")


def test_depth_claims(claims):
    assert claims["resnet-depth"].computed == 1 + 3 * (3 + 8 + 36 + 3) + 1  # stem, 50 bottlenecks, FC
    assert claims["googlenet-depth"].computed == 22
    assert claims["wrn-50-2"].computed == pytest.approx(152 / 50)
    assert claims["vgg-3x3-rf"].computed == 1 + 3 * (3 - 1)
    assert "27C^2 against 49C^2" in claims["vgg-3x3-rf"].derivation[1]


def test_stochastic_depth_claim_is_the_papers_formula(claims):
    # Huang et al. 2016: E(L~) = (3L - 1)/4 with L = 54
    assert claims["stochastic-depth"].computed == pytest.approx((3 * 54 - 1) / 4)


@pytest.mark.torch
def test_parameter_ratios_against_torchvision(claims):
    import torch
    from archcalc.sources.torchvision_import import models

    def count(name):
        with torch.device("meta"):
            return sum(p.numel() for p in getattr(models(), name)().parameters())

    squeeze = claims["squeezenet-50x"]
    assert f"{count('alexnet') / count('squeezenet1_0'):.2f}x" in squeeze.derivation[1]
    assert claims["vgg16-params"].computed == count("vgg16")


def test_cli_table_and_json():
    result = runner.invoke(app, ["claims", "--no-derivations"])
    assert result.exit_code == 0, result.output
    assert "VGG16 has 138M parameters" in result.output
    result = runner.invoke(app, ["claims", "--json"])
    data = json.loads(result.output)
    assert data["schema"] == 1 and len(data["claims"]) >= 15
    assert {"quoted", "published", "computed", "ratio", "verdict", "derivation"} <= set(data["claims"][0])


def test_cli_markdown_is_a_table():
    result = runner.invoke(app, ["claims", "--format", "markdown", "--no-derivations"])
    lines = result.output.strip().splitlines()
    assert lines[0].startswith("| claim |") and set(lines[1]) <= set("|-:")  # numbers right-aligned: ---:
    assert all(line.count("|") == lines[0].count("|") for line in lines[2:])


def test_claims_never_imports_torch():
    code = ("import sys; from archcalc.cli import run; run(['claims', '--json']); "
            "print(any(m == 'torch' or m.startswith('torch.') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().endswith("False")
