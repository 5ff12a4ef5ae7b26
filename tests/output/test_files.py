"""archcalc.output.files.write_atomic: whole files or none, beside the target, permissions kept."""

from __future__ import annotations

import os
import stat

import pytest

from archcalc.output.files import FileWriteError, write_atomic


def test_text_and_bytes(tmp_path):
    write_atomic(tmp_path / "a.md", "line\r\nnext — 한글\n")
    assert (tmp_path / "a.md").read_bytes() == "line\r\nnext — 한글\n".encode("utf-8")  # endings as given
    write_atomic(tmp_path / "b.png", b"\x89PNG\x00")
    assert (tmp_path / "b.png").read_bytes() == b"\x89PNG\x00"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.md", "b.png"]  # no temporary file left


def test_an_existing_file_keeps_its_mode(tmp_path):
    target = tmp_path / "doc.md"
    target.write_text("old")
    os.chmod(target, 0o640)
    write_atomic(target, "new")
    assert target.read_text() == "new" and stat.S_IMODE(target.stat().st_mode) == 0o640


def test_a_new_file_gets_the_mode_of_a_plain_open(tmp_path):
    mask = os.umask(0o022)
    try:
        write_atomic(tmp_path / "new.md", "x")
    finally:
        os.umask(mask)
    assert stat.S_IMODE((tmp_path / "new.md").stat().st_mode) == 0o666 & ~0o022


def test_a_failure_leaves_the_target_and_no_temporary_file(tmp_path, monkeypatch):
    target = tmp_path / "doc.md"
    target.write_text("old")

    def broken(*_):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(FileWriteError, match="disk full"):
        write_atomic(target, "new")
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["doc.md"]
