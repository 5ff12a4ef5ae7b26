"""The README's generated tables are fresh: `archcalc embed README.md --check` finds no stale region.

Needs torch (marker `torch`): the region of `verify --lecture` counts torchvision's models."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from archcalc.docgen.embed import embed, find_regions

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.mark.torch  # one region runs `verify --lecture`, which builds torchvision's models
def test_readme_regions_are_fresh(monkeypatch):
    assert find_regions(README, README.read_text(encoding="utf-8"))
    monkeypatch.chdir(README.parent)  # commands in markers are written relative to the repository root
    stale = embed([os.fspath(README)], check=True)
    assert not stale, "stale README regions (run 'archcalc embed README.md'): " + ", ".join(
        f"line {r.open_line}: {r.command}" for r in stale)
