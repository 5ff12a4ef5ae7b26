"""The command line's conventions: bare `archcalc` prints its help, --version, -h, shell completion, and
`python -m archcalc` is the same program."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import version

from archcalc.cli import run


def test_bare_archcalc_prints_the_help_and_exits_0(capsys):
    assert run([]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Usage: archcalc") and "summary" in out and "memory" in out


def test_version_is_the_installed_packages(capsys):
    assert run(["--version"]) == 0
    assert capsys.readouterr().out == f"archcalc {version('archcalc')}\n"


def test_h_is_help_for_the_program_and_for_a_command(capsys):
    assert run(["-h"]) == 0
    short = capsys.readouterr().out
    assert run(["--help"]) == 0
    assert short == capsys.readouterr().out
    assert run(["summary", "-h"]) == 0
    assert "Usage: archcalc summary" in capsys.readouterr().out


def test_python_m_archcalc_is_the_same_program():
    done = subprocess.run([sys.executable, "-m", "archcalc", "--version"], capture_output=True, text=True,
                          timeout=60)
    assert (done.returncode, done.stdout) == (0, f"archcalc {version('archcalc')}\n")


def test_shell_completion_script_is_offered():
    # typer's completion: the bash script archcalc would install with --install-completion
    env = {**os.environ, "_ARCHCALC_COMPLETE": "source_bash"}
    done = subprocess.run([sys.executable, "-m", "archcalc"], capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0 and "complete" in done.stdout and "archcalc" in done.stdout
