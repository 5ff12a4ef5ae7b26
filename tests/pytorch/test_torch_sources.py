"""PyTorch models as sources: files, packages, modules, torchvision: and timm: names, read by the torch.fx
importer. Every figure is checked against torch itself: parameters against `sum(p.numel())`, MACs against
FlopCounterMode / 2, output shapes against a forward pass on the meta device."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

import archcalc
from archcalc.cli import run
from archcalc.errors import ArchcalcError

DATA = Path(__file__).resolve().parents[1] / "data" / "torch"
NETS = DATA / "small_nets.py"


def small(name: str, **kwargs):
    spec = importlib.util.spec_from_file_location("small_nets_for_tests", NETS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, name)(**kwargs).eval()


def torch_figures(model, shape) -> tuple:
    """(parameters, FlopCounterMode MACs, output shape) measured on the model itself."""
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        out = model(torch.randn(1, *shape))
    return sum(p.numel() for p in model.parameters()), counter.get_total_flops() // 2, list(out.shape[1:])


def cli(capsys, *argv) -> tuple:
    code = run(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_file_and_callable_matches_torch(capsys):
    code, out, _ = cli(capsys, "summary", f"{NETS}:Residual", "--input", "3x16x16", "--json")
    data = json.loads(out)
    params, macs, shape = torch_figures(small("Residual"), (3, 16, 16))
    assert code == 0
    assert (data["totals"]["params"], data["totals"]["macs"], data["layers"][-1]["output_shape"]) == (params, macs, shape)
    names = [layer["name"] for layer in data["layers"]]
    assert names[:4] == ["stem", "conv1", "bn1", "relu"] and "relu@2" in names  # the module's own names
    assert data["totals"]["trainable_params"] == params - 8 * 3 * 9  # the frozen stem's weights


def test_a_factory_and_kwargs(capsys):
    code, out, _ = cli(capsys, "summary", f"{NETS}:Residual", "--kwargs", "width=4,classes=3", "--input", "3x8x8",
                       "--json")
    data = json.loads(out)
    assert code == 0 and data["totals"]["params"] == torch_figures(small("Residual", width=4, classes=3), (3, 8, 8))[0]
    code, out, _ = cli(capsys, "summary", f"{NETS}:residual", "--input", "3x8x8", "--json")
    assert code == 0 and json.loads(out)["totals"]["params"] == torch_figures(small("residual"), (3, 8, 8))[0]


def test_a_module_called_twice_costs_twice_and_counts_once():
    model = small("Tied")
    report = archcalc.analyze(model, input=(16,))
    params, macs, _ = torch_figures(model, (16,))
    assert report.totals["params"] == params == 16 * 16 + 16
    assert report.totals["macs"] == macs == 2 * 16 * 16
    assert [s.name for s in report.layers if s.kind == "linear"] == ["fc", "fc@2"]


def test_an_nn_module_in_python_needs_its_input():
    with pytest.raises(ArchcalcError, match="give the input size"):
        archcalc.analyze(small("Tied"))


def test_unsupported_operations_are_named_once_each_with_their_first_node(capsys):
    code, _, err = cli(capsys, "summary", f"{NETS}:Spectral", "--input", "3x8x8")
    lines = err.strip().splitlines()
    assert code == 2 and "Traceback" not in err
    assert len(lines) == 1 and "unsupported operation function torch.fft_fft2" in lines[0]
    assert "first at node 'fft_fft2' (2 times)" in lines[0]


def test_a_branch_on_a_value_is_one_line(capsys):
    code, _, err = cli(capsys, "summary", f"{NETS}:Branchy", "--input", "3x8x8")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "torch.fx cannot trace" in err


@pytest.mark.parametrize("source, words", [
    (f"{DATA / 'broken.py'}:Net", "importing"),
    (f"{DATA / 'missing.py'}:Net", "no such file"),
    (f"{NETS}:Nothing", "has no 'Nothing'"),
    ("torchvision:resnet181", "did you mean torchvision:resnet18"),
    ("timm:vit_tiny_patch16", "unknown timm model"),
])
def test_bad_sources_are_one_line(capsys, source, words):
    code, _, err = cli(capsys, "summary", source, "--input", "3x32x32")
    assert code == 2 and len(err.strip().splitlines()) == 1 and words in err and "Traceback" not in err


def test_a_broken_file_names_the_exception(capsys):
    _, _, err = cli(capsys, "summary", f"{DATA / 'broken.py'}:Net")
    assert "ValueError: this file is broken on purpose" in err


def test_torchvision_symbolic_input_gives_formulas_equal_to_the_numbers():
    numeric = archcalc.analyze("torchvision:resnet18")
    symbolic = archcalc.analyze("torchvision:resnet18", input="3xHxW")
    h, w = sorted(symbolic.totals["macs"].free_symbols, key=str)
    assert symbolic.totals["macs"].subs({h: 224, w: 224}) == numeric.totals["macs"]
    assert symbolic.totals["params"] == numeric.totals["params"]


def test_googlenet_aux_heads_are_counted_and_named():
    model = archcalc.sources._torch_model("torchvision:googlenet", ()).module
    report = archcalc.analyze("torchvision:googlenet")
    aux = sum(p.numel() for n, p in model.named_parameters() if n.startswith(("aux1.", "aux2.")))
    assert report.totals["params"] == sum(p.numel() for p in model.parameters())
    assert sum(s.params for s in report.layers) == report.totals["params"] - aux
    assert any("aux1, aux2" in note for note in report.notes)


def test_compare_mixes_sources(capsys):
    code, out, _ = cli(capsys, "compare", "torchvision:mobilenet_v3_large", "timm:efficientnet_b0", "resnet50",
                       "--table")
    rows = [line for line in out.splitlines() if line.startswith("| ")][1:]  # after the header
    assert code == 0 and [r.split("|")[1].strip() for r in rows] == [
        "torchvision:mobilenet_v3_large", "timm:efficientnet_b0", "resnet50"]


@pytest.mark.parametrize("source", ["torchvision:resnet18", "timm:vit_tiny_patch16_224"])
def test_verify_against_the_module_itself(capsys, source):
    code, out, _ = cli(capsys, "verify", source, "--json")
    data = json.loads(out)
    assert code == 0 and data["ok"]
    assert {c["model"] for c in data["checks"]} == {"built", "module"}
    assert any(c["figure"].startswith("saved for backward") and c["model"] == "module" for c in data["checks"])


def test_the_analytic_path_of_a_spec_still_never_imports_torch():
    import subprocess
    import sys

    probe = ("import sys, archcalc; archcalc.analyze('resnet18'); archcalc.analyze('examples/vit-tiny.yaml'); "
             "assert not [m for m in ('torch', 'timm') if m in sys.modules]")
    root = Path(__file__).resolve().parents[2]
    assert subprocess.run([sys.executable, "-c", probe], cwd=root).returncode == 0


def test_bench_times_the_module_itself():
    from archcalc.pytorch.bench import build_model

    module, layer_modules = build_model("torchvision:resnet18", "cpu", "float32")
    assert type(module).__name__ == "ResNet" and layer_modules is None  # torchvision's own, not a rebuild
    assert sum(p.numel() for p in module.parameters()) == 11_689_512
    assert all(p.device.type == "cpu" and torch.isfinite(p).all() for p in module.parameters())  # initialised


class _Selective(torch.nn.Module):
    """SKNet's shape of join: two branches stacked on a new axis, then summed over it."""

    def __init__(self):
        super().__init__()
        self.a = torch.nn.Conv2d(4, 8, 3, padding=1)
        self.b = torch.nn.Conv2d(4, 8, 5, padding=2)

    def forward(self, x):
        return torch.stack([self.a(x), self.b(x)], dim=1).sum(dim=1) * 0.5


def test_stack_sum_and_a_constant_match_torch():
    model = _Selective().eval()
    report = archcalc.analyze(model, input=(4, 8, 8))
    params, macs, shape = torch_figures(model, (4, 8, 8))
    assert (report.totals["params"], report.totals["macs"], report.layers[-1].out_shape.as_list()) == (params, macs, shape)
    assert [s.kind for s in report.layers][-3:] == ["concat", "reduce_sum", "scalar"]


def test_summary_says_what_is_frozen(capsys):
    code, out, _ = cli(capsys, "summary", f"{NETS}:Residual", "--input", "3x16x16")
    params = torch_figures(small("Residual"), (3, 16, 16))[0]
    frozen = 8 * 3 * 9  # the stem's weights, requires_grad False
    assert code == 0 and f"trainable {params - frozen:,}, frozen {frozen:,}" in out


def test_verify_a_module_called_twice_and_leave_the_users_module_alone():
    from archcalc.pytorch.verify import verify

    model = small("Tied")
    before = model.fc.weight.detach().clone()
    result = verify(model, input=(16,), batch=2)
    assert result.ok, [(c.layer, c.figure, c.analytic, c.measured) for c in result.failures()]
    assert any("called more than once (fc)" in n for n in result.notes)
    assert model.fc.weight.device.type == "cpu" and torch.equal(model.fc.weight.detach(), before)
