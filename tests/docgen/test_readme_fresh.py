"""The README's and docs' generated tables are fresh: `archcalc embed README.md docs/*.md --check` finds no
stale region; and the README is the short first page the issue asked for.

Needs torch (marker `torch`): the region of `verify --lecture` counts torchvision's models."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from archcalc.docgen.embed import embed, find_regions

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))


@pytest.mark.torch  # one region runs `verify --lecture`, which builds torchvision's models
@pytest.mark.parametrize("document", [README, *DOCS], ids=lambda p: p.name)
def test_generated_regions_are_fresh(monkeypatch, tmp_path, document):
    # commands in markers are relative to the document's folder, which embed runs them in: a working
    # directory elsewhere changes nothing
    monkeypatch.chdir(tmp_path)
    stale = embed([os.fspath(document)], check=True)
    assert not stale, f"stale regions (run 'archcalc embed {document.relative_to(ROOT)}'): " + ", ".join(
        f"line {r.open_line}: {r.command}" for r in stale)


def test_the_lectures_tables_are_generated_in_docs():
    lecture = ROOT / "docs" / "lecture.md"
    commands = [r.command for r in find_regions(lecture, lecture.read_text(encoding="utf-8"))]
    assert any("claims" in c for c in commands) and any("--lecture" in c for c in commands)


def test_the_readme_is_a_short_first_page():
    text = README.read_text(encoding="utf-8")
    assert len(text.encode("utf-8")) < 15_000
    first = next(i for i, line in enumerate(text.splitlines(), 1) if line.startswith("python3 -m venv"))
    assert first <= 30  # the first command a newcomer runs
    assert "source .venv/bin/activate" in text
    for heading in ("## Quickstart", "## Commands", "## Your own model", "## Conventions", "## Limitations"):
        assert heading in text


def test_every_relative_link_of_the_readme_and_docs_exists():
    for document in [README, *DOCS]:
        for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", document.read_text(encoding="utf-8")):
            if "://" not in target:
                assert (document.parent / target).exists(), f"{document.name}: {target}"
