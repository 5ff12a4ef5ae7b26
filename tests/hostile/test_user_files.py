"""Nothing the user has is lost: embed and report write only what they made, links and line endings are
kept, and every write that cannot happen is one line, exit 2 (items 1, 2, 3, 8 of the hardening)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

import pytest

from archcalc.cli import run
from test_inputs import one_line_error, write

REGION = "<!-- archcalc summary lenet5 --format markdown --depth 1 -->\n<!-- /archcalc -->\n"


# --- 1. embed runs nothing that writes, in check mode or not ----------------------------------------------
@pytest.mark.parametrize("marker", ["report .", "plot accuracy vgg16 --out x.png", "plot memory vgg16 -o x.png",
                                    "bench lenet5 --plot x.png", "embed README.md", "summary vgg16 --out=x"])
@pytest.mark.parametrize("check", [True, False])
def test_regions_that_write_are_refused(tmp_path, capsys, monkeypatch, marker, check):
    monkeypatch.chdir(tmp_path)
    doc = write(tmp_path, "README.md", f"# mine\n<!-- archcalc {marker} -->\n<!-- /archcalc -->\n")
    one_line_error(capsys, ["embed", doc, *(["--check"] if check else [])], "README.md:2", "writes")
    assert sorted(os.listdir(tmp_path)) == ["README.md"]
    assert (tmp_path / "README.md").read_text() == f"# mine\n<!-- archcalc {marker} -->\n<!-- /archcalc -->\n"


# --- 2. report writes only into an empty folder or one it wrote ------------------------------------------
def test_report_keeps_a_users_folder(tmp_path, capsys):
    (tmp_path / "README.md").write_text("my own notes")
    one_line_error(capsys, ["report", os.fspath(tmp_path)], "did not write", "README.md", "--force")
    assert (tmp_path / "README.md").read_text() == "my own notes" and len(os.listdir(tmp_path)) == 1


def test_report_refuses_an_empty_name(capsys):
    one_line_error(capsys, ["report", ""], "empty")


# --- 3. links, read-only files, line endings, markers in output, unclosed fences ---------------------------
def test_embed_writes_through_a_symbolic_link(tmp_path, capsys):
    target = tmp_path / "real.md"
    target.write_text(REGION)
    link = tmp_path / "link.md"
    link.symlink_to(target)
    assert run(["embed", os.fspath(link)]) == 0
    assert link.is_symlink() and "| c1 |" in target.read_text()


def test_embed_keeps_a_hard_link(tmp_path):
    first = tmp_path / "a.md"
    first.write_text(REGION)
    second = tmp_path / "b.md"
    os.link(first, second)
    assert run(["embed", os.fspath(first)]) == 0
    assert os.stat(first).st_ino == os.stat(second).st_ino and "| c1 |" in second.read_text()


def test_embed_refuses_a_read_only_file(tmp_path, capsys):
    doc = tmp_path / "doc.md"
    doc.write_text(REGION)
    doc.chmod(stat.S_IRUSR | stat.S_IRGRP)
    one_line_error(capsys, ["embed", os.fspath(doc)], "read-only")
    assert doc.read_text() == REGION


def test_embed_keeps_crlf_line_endings(tmp_path):
    doc = tmp_path / "doc.md"
    doc.write_bytes(b"# title\r\n" + REGION.replace("\n", "\r\n").encode() + b"after\r\n")
    assert run(["embed", os.fspath(doc)]) == 0
    data = doc.read_bytes()
    assert data.count(b"\n") == data.count(b"\r\n") and b"| c1 |" in data


def test_a_marker_in_a_name_cannot_end_its_region(tmp_path, capsys):
    spec = write(tmp_path, "net.yaml", "name: '<!-- /archcalc -->'\ninput: [3, 8, 8]\nlayers: [{kind: relu}]\n")
    doc = tmp_path / "doc.md"
    doc.write_text(f"<!-- archcalc summary {spec} --format markdown -->\n<!-- /archcalc -->\ntail\n")
    assert run(["embed", os.fspath(doc)]) == 0
    first = doc.read_text()
    assert run(["embed", os.fspath(doc), "--check"]) == 0  # the document still parses, and is fresh
    assert run(["embed", os.fspath(doc)]) == 0 and doc.read_text() == first and first.endswith("tail\n")


def test_an_unclosed_fence_above_a_region_is_an_error(tmp_path, capsys):
    doc = write(tmp_path, "doc.md", "```text\nexample\n" + REGION)
    one_line_error(capsys, ["embed", doc, "--check"], "doc.md:1", "never closed")


# --- 8. writes that cannot happen ----------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["folder.png", "a" * 300 + ".png", "missing/x.png"])
def test_plot_to_a_bad_path(tmp_path, capsys, name):
    (tmp_path / "folder.png").mkdir()
    one_line_error(capsys, ["plot", "accuracy", "vgg16", "--out", os.fspath(tmp_path / name)], "png")


@pytest.mark.torch
def test_bench_checks_its_plot_path_before_it_runs(tmp_path, capsys):
    (tmp_path / "folder.png").mkdir()
    one_line_error(capsys, ["bench", "lenet5", "--device", "cpu", "--repeats", "1", "--warmup", "0", "--plot",
                            os.fspath(tmp_path / "folder.png")], "folder")


# --- 7. symbolic input where a command cannot use it, and where it can --------------------------------------
@pytest.mark.parametrize("model", ["stochastic-depth-110", "fractalnet-c3-b5"])
def test_summary_of_drop_path_networks_at_a_symbolic_input(capsys, model):
    assert run(["summary", model, "--input", "3xHxW"]) == 0
    out = capsys.readouterr().out
    assert "training (expected)" in out and "H" in out


@pytest.mark.parametrize("kind", ["macs", "memory", "accuracy"])
def test_plots_refuse_a_symbolic_input(tmp_path, capsys, kind):
    one_line_error(capsys, ["plot", kind, "vgg16", "--input", "3xHxW", "--out", os.fspath(tmp_path / "x.png")],
                   "numeric")
    assert not (tmp_path / "x.png").exists()


# --- 9. nested bench files; lone surrogates -----------------------------------------------------------------
def test_a_deeply_nested_bench_file(tmp_path, capsys):
    bench = write(tmp_path, "bench.json", '{"kind": "bench", "results": ' + "[" * 5000 + "]" * 5000 + "}")
    one_line_error(capsys, ["compare", "vgg16", "--bench", bench, "--table"], "nested too deeply")


def test_a_lone_surrogate_in_a_spec_name(tmp_path, capsys):
    spec = write(tmp_path, "net.json", json.dumps({"name": "a\ud800", "input": [3, 8, 8],
                                                   "layers": [{"kind": "relu", "name": "r\ud800"}]}))
    one_line_error(capsys, ["summary", spec, "--json"], "printable")


# --- 16. one line, always; a closed pipe is not an error ------------------------------------------------------
@pytest.mark.parametrize("argv", [["summary", "vgg\n16"], ["rf", "conv3\x1cq"], ["summary", "vgg16", "--input", "3x\u2028"]])
def test_an_echoed_line_break_stays_on_one_line(capsys, argv):
    one_line_error(capsys, argv)


def test_output_piped_into_head_exits_0():
    proc = subprocess.Popen([sys.executable, "-m", "archcalc", "summary", "wrn-1000-10"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    proc.stdout.read(100)
    proc.stdout.close()  # what `| head -c 100` does
    code = proc.wait(timeout=60)
    assert code == 0 and b"Traceback" not in proc.stderr.read()
