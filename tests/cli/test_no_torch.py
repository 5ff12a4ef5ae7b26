"""Analytic commands must not import torch (it costs over a second): checked in a fresh interpreter."""

import subprocess
import sys

import pytest

PROBE = """
import sys
from archcalc.cli import run
code = run({argv!r})
heavy = sorted(m for m in ("torch", "torchvision", "fvcore") if m in sys.modules)
print("HEAVY=" + ",".join(heavy), file=sys.stderr)
sys.exit(code)
"""


@pytest.mark.parametrize("argv", [["--help"], ["summary", "vgg16"], ["summary", "resnet152", "--json"],
                                  ["list"], ["summary", "vgg16", "--help"], ["memory", "resnet50", "--budget", "24GB"]])
def test_analytic_commands_never_import_torch(argv):
    done = subprocess.run([sys.executable, "-c", PROBE.format(argv=argv)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert "HEAVY=\n" in done.stderr or done.stderr.rstrip().endswith("HEAVY="), done.stderr
