"""The sized trace (sources/torch_trace.py): a forward that branches on its input's size, which torch.fx's
plain trace cannot follow, is traced with sizes known at one numeric input; figures against torch's own."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

import archcalc
from archcalc.cli import run

NETS = Path(__file__).resolve().parents[1] / "data" / "torch" / "small_nets.py"


def size_branchy():
    spec = importlib.util.spec_from_file_location("small_nets_sized", NETS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.SizeBranchy().eval()


def measured(model, shape):
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        out = model(torch.randn(1, *shape))
    return counter.get_total_flops() // 2, list(out.shape[1:])


def test_plain_fx_cannot_trace_it():
    with pytest.raises(Exception):
        torch.fx.symbolic_trace(size_branchy())


@pytest.mark.parametrize("shape", [(3, 32, 32), (3, 31, 29), (3, 17, 40)])
def test_sized_trace_matches_torch(shape):
    model = size_branchy()
    report = archcalc.analyze(model, input=shape)
    macs, out = measured(model, shape)
    assert report.totals["params"] == sum(p.numel() for p in model.parameters())
    assert report.totals["macs"] == macs
    assert list(report.layers[-1].out_shape.dims) == out


def test_the_conv_sees_the_padded_size():
    # 31 -> "same" pad of (ceil(31/2)-1)*2 + 3 - 31 = 2, split 1 + 1: (33 - 3)/2 + 1 = 16
    report = archcalc.analyze(size_branchy(), input=(3, 31, 31))
    conv = next(layer for layer in report.layers if layer.name == "conv")
    assert list(conv.out_shape.dims) == [8, 16, 16]


def test_the_note_says_the_trace_holds_at_one_size():
    report = archcalc.analyze(size_branchy(), input=(3, 32, 32))
    assert any("traced at 3x32x32 with sizes known" in note and "torch/small_nets.py:" in note for note in report.notes)


def test_a_symbolic_input_is_refused_in_one_line(capsys, tmp_path):
    code = run(["summary", f"{NETS}:SizeBranchy", "--input", "3xHxW"])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "torch.fx alone stops at torch/small_nets.py:" in err and "numeric" in err


def test_a_branch_on_values_still_fails_in_one_line(capsys):
    code = run(["summary", f"{NETS}:Branchy", "--input", "3x8x8"])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and "cannot trace" in err


class TwoHeads(torch.nn.Module):
    """CrossViT's head: branches stacked on a new axis 0 and averaged over it (a mean join), or summed."""

    def __init__(self, reduce: str = "mean"):
        super().__init__()
        self.reduce = reduce
        self.heads = torch.nn.ModuleList([torch.nn.Linear(12, 5), torch.nn.Linear(12, 5)])

    def forward(self, x):
        x = x.flatten(1)
        stacked = torch.stack([head(x) for head in self.heads], dim=0)
        return stacked.mean(dim=0) if self.reduce == "mean" else torch.sum(stacked, dim=0)


@pytest.mark.parametrize("reduce", ["mean", "sum"])
def test_stacked_branches_reduced_over_the_new_axis(reduce):
    model = TwoHeads(reduce).eval()
    report = archcalc.analyze(model, input=(3, 2, 2))
    macs, out = measured(model, (3, 2, 2))
    assert report.totals["params"] == 2 * (12 * 5 + 5)
    assert report.totals["macs"] == macs == 2 * 12 * 5
    assert report.layers[-1].kind == {"mean": "mean", "sum": "add"}[reduce] and list(report.layers[-1].out_shape.dims) == out


class BufferToBatch(torch.nn.Module):
    """A buffer expanded to the batch with a traced size (`buf.expand(x.shape[0], ...)`, Gemma-4's rotary
    frequencies), behind a branch on the input's size: the sized trace reads buffers as nodes."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3)
        self.register_buffer("scale", torch.ones(4))

    def forward(self, x):
        if x.shape[-1] % 2:
            x = torch.nn.functional.pad(x, [0, 1])
        y = self.conv(x)
        return y * self.scale[None, :, None, None].expand(x.shape[0], -1, 1, 1)


def test_a_buffer_expanded_to_the_batch_by_a_traced_size():
    model = BufferToBatch().eval()
    report = archcalc.analyze(model, input=(3, 9, 9))
    macs, out = measured(model, (3, 9, 9))
    assert report.totals["params"] == 3 * 3 * 3 * 4 + 4
    assert report.totals["macs"] == macs == 7 * 8 * 4 * 27  # 9x10 padded -> 7x8 outputs, 4 x 27 each
    assert list(report.layers[-1].out_shape.dims) == out == [4, 7, 8]


def test_each_unsupported_operation_is_its_own_error_line(capsys):
    code = run(["summary", f"{NETS}:TwoUnknown", "--input", "3x8x8"])
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(lines) == 2 and all(line.startswith("archcalc: error: ") for line in lines)
    assert "torch.fft_fft2" in lines[0] and "(1 time)" in lines[0]
    assert "torch.special_erf" in lines[1] and "(2 times)" in lines[1]
