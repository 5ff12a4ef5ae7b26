"""Embed regions name PyTorch sources like zoo entries: a document's region for `torchvision:NAME` or a
user's file is refreshed with the imported model's table."""

from __future__ import annotations

from pathlib import Path

from archcalc.docgen.embed import embed
from archcalc.sources.torchvision_import import import_torchvision

NETS = Path(__file__).resolve().parents[1] / "data" / "torch" / "small_nets.py"


def test_a_torchvision_region_is_filled_with_its_layers(tmp_path):
    doc = tmp_path / "doc.md"
    doc.write_text("# Mine\n\n<!-- archcalc summary torchvision:resnet18 --format markdown -->\n<!-- /archcalc -->\n")
    embed([doc])
    text = doc.read_text()
    model = import_torchvision().models.resnet18()
    rows = {line.split(" | ")[0].strip("| "): line for line in text.splitlines() if line.startswith("| ")}
    assert f"| {model.layer4[1].conv2.weight.numel():,} |" in rows["layer4.1.conv2"]  # 3*3*512*512
    assert f"| {sum(p.numel() for p in model.fc.parameters()):,} |" in rows["fc"]  # 512*1000 + 1000


def test_a_file_region_and_a_check_after_refresh(tmp_path):
    doc = tmp_path / "doc.md"
    doc.write_text(f"<!-- archcalc summary {NETS}:SizeBranchy --input 3x31x31 -->\n<!-- /archcalc -->\n")
    assert len(embed([doc], check=True)) == 1  # stale before
    embed([doc])
    assert "proj" in doc.read_text() and embed([doc], check=True) == []  # fresh after
