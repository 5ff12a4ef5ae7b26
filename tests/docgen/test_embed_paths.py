"""`archcalc embed`: a marker's relative paths are read from the document's folder, so a document refreshes the
same from any working directory, and the working directory is left as it was, also after a failure."""

from __future__ import annotations

import os

from archcalc.cli import run

SPEC = """name: tiny
input: [1, 8, 8]
layers:
  - {kind: conv, out_channels: 2, kernel: 3, name: c1}
"""
DOC = """# Doc

<!-- archcalc summary specs/tiny.yaml --format csv -->
<!-- /archcalc -->
"""


def _doc(tmp_path, text=DOC):
    """docs/doc.md next to docs/specs/tiny.yaml, and a working directory elsewhere with no specs/ folder."""
    (tmp_path / "docs" / "specs").mkdir(parents=True)
    (tmp_path / "docs" / "specs" / "tiny.yaml").write_text(SPEC)
    (tmp_path / "docs" / "doc.md").write_text(text)
    (tmp_path / "elsewhere").mkdir()
    return tmp_path / "docs" / "doc.md", tmp_path / "elsewhere"


def test_spec_path_is_relative_to_the_document(tmp_path, monkeypatch, capsys):
    """Run from a folder where specs/tiny.yaml does not exist: the region still holds the spec's figures."""
    doc, elsewhere = _doc(tmp_path)
    monkeypatch.chdir(elsewhere)
    assert run(["embed", os.path.relpath(doc)]) == 0
    text = doc.read_text()
    # one 3x3 conv, 1 -> 2 channels, on 8x8 without padding: 6x6 output, 2*9+2 = 20 parameters,
    # 6*6*2*9 = 648 MACs
    row = next(line for line in text.splitlines() if line.startswith("c1,"))
    assert "2x6x6" in row and ",20," in row and f",{6 * 6 * 2 * 9}," in row
    assert os.getcwd() == str(elsewhere)  # the working directory is restored
    assert run(["embed", "--check", str(doc)]) == 0  # and fresh, checked from there too
    capsys.readouterr()


def test_missing_relative_spec_fails_naming_the_line_and_restores_cwd(tmp_path, monkeypatch, capsys):
    """A path that does not exist next to the document is an error (exit 2, file and line), even when it exists
    in the working directory: the document's folder decides."""
    doc, elsewhere = _doc(tmp_path, DOC.replace("specs/tiny.yaml", "other/tiny.yaml"))
    (elsewhere / "other").mkdir()
    (elsewhere / "other" / "tiny.yaml").write_text(SPEC)  # only in the working directory
    monkeypatch.chdir(elsewhere)
    assert run(["embed", str(doc)]) == 2
    err = capsys.readouterr().err
    assert f"{doc}:3:" in err and err.count("\n") == 1
    assert os.getcwd() == str(elsewhere)
    assert doc.read_text() == DOC.replace("specs/tiny.yaml", "other/tiny.yaml")  # unchanged
