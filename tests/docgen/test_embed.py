"""archcalc embed: regions refreshed from the command they name, --check exits 1 on stale regions, malformed
markers exit 2 naming file and line, writes are atomic and leave nothing behind."""

from __future__ import annotations

import pytest

from archcalc.cli import run
from archcalc.docgen.embed import EmbedError, find_regions, wants_markdown

DOC = """# Title

<!-- archcalc compare alexnet lenet5 --table --columns params -->
stale text
<!-- /archcalc -->

```markdown
<!-- archcalc this is an example inside a code block, not a region -->
```

<!-- archcalc compare alexnet --format csv --columns params -->
<!-- /archcalc -->
tail
"""


def cli(capsys, *args):
    code = run(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_refresh_then_check_is_clean(tmp_path, capsys):
    doc = tmp_path / "doc.md"
    doc.write_text(DOC)
    code, out, _ = cli(capsys, "embed", str(doc), "--check")
    assert code == 1 and out.count("stale") == 2 and f"{doc}:3:" in out
    assert doc.read_text() == DOC  # --check changes nothing
    assert cli(capsys, "embed", str(doc))[0] == 0
    assert cli(capsys, "embed", str(doc), "--check")[0] == 0
    text = doc.read_text()
    # Markdown output goes in raw; any other output is fenced as a text block
    assert "| model | params (M) |\n|---|---:|\n| alexnet | 61.10 |\n| lenet5 | 0.062 |\n" in text  # numbers right
    assert "```text\nmodel,params\nalexnet,61100840\n```\n<!-- /archcalc -->\ntail\n" in text
    assert "stale text" not in text and "not a region -->\n```" in text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["doc.md"]  # no temp file left


def test_a_changed_table_is_stale(tmp_path, capsys):
    doc = tmp_path / "doc.md"
    doc.write_text(DOC)
    cli(capsys, "embed", str(doc))
    doc.write_text(doc.read_text().replace("61.10", "61.11"))
    code, out, _ = cli(capsys, "embed", str(doc), "--check")
    assert code == 1 and f"{doc}:3: stale: archcalc compare alexnet lenet5 --table --columns params" in out


@pytest.mark.parametrize("text, line, message", [
    ("a\n<!-- archcalc compare alexnet -->\nb\n", 2, "no closing"),
    ("a\n<!-- /archcalc -->\n", 2, "without an opening"),
    ("<!-- archcalc compare alexnet -->\n<!-- archcalc list -->\n<!-- /archcalc -->\n", 2, "opens inside"),
    ("<!-- archcalc -->\n<!-- /archcalc -->\n", 1, "names no command"),
    ("x\n\n<!-- archcalc compare alexnet\n<!-- /archcalc -->\n", 3, "malformed"),
    ("<!-- archcalc embed README.md -->\n<!-- /archcalc -->\n", 1, "a region cannot run 'embed'"),
])
def test_malformed_markers_exit_2_naming_file_and_line(tmp_path, capsys, text, line, message):
    doc = tmp_path / "doc.md"
    doc.write_text(text)
    code, out, err = cli(capsys, "embed", str(doc))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and f"{doc}:{line}:" in err and message in err
    assert doc.read_text() == text


def test_failing_command_leaves_every_file_unchanged(tmp_path, capsys):
    good, bad = tmp_path / "a.md", tmp_path / "b.md"
    good.write_text(DOC)
    bad.write_text("<!-- archcalc compare alexnt -->\n<!-- /archcalc -->\n")
    code, _, err = cli(capsys, "embed", str(good), str(bad))
    assert code == 2 and f"{bad}:1:" in err and "did you mean alexnet" in err
    assert good.read_text() == DOC and sorted(p.name for p in tmp_path.iterdir()) == ["a.md", "b.md"]


def test_rest_regions_are_code_blocks(tmp_path, capsys):
    doc = tmp_path / "doc.rst"
    doc.write_text("Title\n=====\n\n.. archcalc compare alexnet --format csv --columns params\n.. /archcalc\n")
    assert cli(capsys, "embed", str(doc))[0] == 0
    assert ".. code-block:: text\n\n   model,params\n   alexnet,61100840\n\n.. /archcalc\n" in doc.read_text()
    assert cli(capsys, "embed", str(doc), "--check")[0] == 0


def test_missing_file_is_exit_2(tmp_path, capsys):
    code, _, err = cli(capsys, "embed", str(tmp_path / "nope.md"))
    assert code == 2 and "no such file" in err


def test_markdown_rule():
    assert wants_markdown(["compare", "vgg16", "--table"])
    assert wants_markdown(["summary", "vgg16", "--format", "markdown"])
    assert wants_markdown(["summary", "vgg16", "-f", "markdown"])
    assert not wants_markdown(["summary", "vgg16"])
    assert not wants_markdown(["compare", "vgg16", "--format", "csv"])


def test_find_regions_reports_lines():
    regions = find_regions("x.md", DOC)
    assert [(r.open_line, r.close_line) for r in regions] == [(3, 5), (11, 12)]
    with pytest.raises(EmbedError):
        find_regions("x.md", "<!-- archcalc 'unclosed -->\n<!-- /archcalc -->\n")
