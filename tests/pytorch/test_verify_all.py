"""`archcalc verify --all`: every zoo entry passes every check on the CPU (marked slow: several minutes; the default run, and CI, include it)."""

from __future__ import annotations

import json

import pytest


from archcalc.sources import zoo  # noqa: E402
from archcalc.cli import run  # noqa: E402


@pytest.mark.slow
def test_verify_all_passes(capsys):
    code = run(["verify", "--all", "--json"])
    data = json.loads(capsys.readouterr().out)
    failures = {m["model"]: m["failures"] for m in data["models"] if not m["ok"]}
    assert code == 0 and not failures, failures
    assert {m["model"] for m in data["models"]} == {e.name for e in zoo.entries()}
