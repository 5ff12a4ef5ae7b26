"""`archcalc verify --all`: every zoo entry passes every check on the CPU (issue 5; runs in CI)."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("torch", reason="verify builds torch models (the [torch] extra)")

from archcalc.sources import zoo  # noqa: E402
from archcalc.cli import run  # noqa: E402


def test_verify_all_passes(capsys):
    code = run(["verify", "--all", "--json"])
    data = json.loads(capsys.readouterr().out)
    failures = {m["model"]: m["failures"] for m in data["models"] if not m["ok"]}
    assert code == 0 and not failures, failures
    assert {m["model"] for m in data["models"]} == {e.name for e in zoo.entries()}
