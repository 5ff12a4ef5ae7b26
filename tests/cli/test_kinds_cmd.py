"""`archcalc kinds`: one row per kind a spec file can use, with its fields and defaults."""

from __future__ import annotations

import json

from archcalc.cli import run
from archcalc.sources.specs import spec_kinds


def test_every_spec_kind_has_one_row_with_its_fields(capsys):
    assert run(["kinds", "--json"]) == 0
    rows = {r["kind"]: r for r in json.loads(capsys.readouterr().out)["kinds"]}
    assert sorted(rows) == spec_kinds()
    assert rows["conv"]["fields"] == ("out_channels, kernel, stride=1, padding=0, dilation=1, groups=1, bias=true, "
                                      "dims=auto, standardised=false, gain=false")
    assert rows["maxpool"]["fields"].startswith("kernel, stride=kernel, padding=0")
    assert all(r["description"] for r in rows.values()), [k for k, r in rows.items() if not r["description"]]


def test_markdown_has_a_line_per_kind(capsys):
    assert run(["kinds", "--format", "markdown"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 + len(spec_kinds())
