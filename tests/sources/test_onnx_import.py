"""ONNX files read into the IR (sources/onnx_file.py) analyse exactly as the torch model they were exported from.

Each torchvision model is exported in the test with torch's legacy exporter and read back; params, MACs, other
ops and the output shape of every layer the two share by name must equal archcalc's analysis of the same
module read through torch. The export keeps the weights out of the file (export_params=False: the weights are
graph inputs with their dims, a small file written fast), keeps each parameter its own initializer
(keep_initializers_as_inputs=True: no deduplication of equal values) and folds nothing (do_constant_folding=
False: batch norms stay, and the size arithmetic Shape/Gather/Concat is left for the importer to fold).
"""

from __future__ import annotations

import json
import warnings

import pytest

torch = pytest.importorskip("torch", reason="exporting to ONNX needs torch")
pytest.importorskip("onnx", reason="reading ONNX needs the onnx package")

import archcalc  # noqa: E402
from archcalc.cli import run  # noqa: E402
from archcalc.errors import UnsupportedOperations  # noqa: E402
from archcalc.sources.onnx_file import load_onnx  # noqa: E402

pytestmark = pytest.mark.torch

WEIGHTED = {"conv", "linear", "batchnorm", "layernorm", "conv_transpose"}
# (model, input side): AlexNet and VGG pool adaptively to 6x6 / 7x7, which the exporter needs to divide evenly
MODELS = [("alexnet", 224), ("vgg11", 224), ("resnet18", 64), ("resnet50", 64), ("squeezenet1_1", 96),
          ("mobilenet_v2", 64), ("mobilenet_v3_small", 64), ("googlenet", 64), ("densenet121", 64),
          ("shufflenet_v2_x0_5", 64), ("efficientnet_b0", 64), ("regnet_x_400mf", 64), ("mnasnet0_5", 64),
          ("convnext_tiny", 64)]


def build(name: str):
    """The torchvision model; AlexNet and VGG (60-130 M parameters) with storage but no initialisation
    (to_empty), as the export reads shapes only (RegNet's init cannot run on the meta device)."""
    from archcalc.sources.torchvision_import import models

    kwargs = {"aux_logits": False, "init_weights": False} if name == "googlenet" else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if name not in ("alexnet", "vgg11"):
            return getattr(models(), name)(weights=None, **kwargs).eval()
        with torch.device("meta"):
            model = getattr(models(), name)(weights=None, **kwargs)
    return model.to_empty(device="cpu").eval()


def export(model, path, side: int, dynamic: bool = False, **options):
    settings = dict(export_params=False, keep_initializers_as_inputs=True, do_constant_folding=False)
    settings.update(options)
    axes = {"x": {0: "batch", 2: "height", 3: "width"}} if dynamic else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (torch.zeros(1, 3, side, side),), str(path), dynamo=False, input_names=["x"],
                          dynamic_axes=axes, **settings)
    return str(path)


@pytest.mark.parametrize("name,side", MODELS, ids=[m for m, _ in MODELS])
def test_exported_model_equals_torch(tmp_path, name, side):
    """Totals equal; the layers with weights have the same kinds and shapes; every layer the two name alike
    has one shape, and the module-made weighted layers keep torch's names. Layers torch has and the export
    drops (dropout, stochastic depth at inference) or names by operator (`stage2.0.cat` vs `stage2.0.concat`)
    are the only ones unmatched."""
    model = build(name)
    path = export(model, tmp_path / f"{name}.onnx", side)
    got = archcalc.analyze(path)
    want = archcalc.analyze(model, input=(3, side, side))
    for key in ("params", "macs", "other_ops"):
        assert got.totals[key] == want.totals[key], key
    def weighted(report):
        return sorted((s.kind, str(s.out_shape)) for s in report.layers if s.kind in WEIGHTED)

    assert weighted(got) == weighted(want)
    shapes = {s.name: str(s.out_shape) for s in got.layers}
    matched = [s for s in want.layers if s.name in shapes]
    assert [shapes[s.name] for s in matched] == [str(s.out_shape) for s in matched]
    modules = {s.name for s in want.layers if s.kind in WEIGHTED and "." + s.kind not in s.name}
    assert len(modules & set(shapes)) >= 0.9 * len(modules), "layer names: torch's module names kept"


def test_dynamic_axes_give_formulas(tmp_path):
    """height and width exported as dim_params become symbols: the totals are formulas in them, and at 64 x 80
    they equal the analysis of the same file read at that input (ShuffleNet: its channel shuffle's Reshape
    sizes come from Shape arithmetic, folded symbolically)."""
    path = export(build("shufflenet_v2_x0_5"), tmp_path / "shuffle.onnx", 64, dynamic=True)
    symbolic = archcalc.analyze(path)
    assert str(symbolic.input) == "3xheightxwidth"
    macs = symbolic.totals["macs"]
    assert {s.name for s in macs.free_symbols} == {"height", "width"}
    values = {s: {"height": 64, "width": 80}[s.name] for s in macs.free_symbols}
    numeric = archcalc.analyze(path, input=(3, 64, 80))
    assert int(macs.subs(values)) == numeric.totals["macs"]
    assert numeric.totals["macs"] == archcalc.analyze(build("shufflenet_v2_x0_5"), input=(3, 64, 80)).totals["macs"]


def test_default_export_folds_batch_norm(tmp_path):
    """The exporter's default (constant folding, eval mode) folds each batch norm into the conv before it: the
    file holds a conv bias of C where torch has a norm's scale and shift (2C), so C fewer parameters per norm;
    MACs are unchanged (archcalc counts a norm's and a bias's work as other ops, not MACs)."""
    model = build("resnet18")
    path = export(model, tmp_path / "folded.onnx", 64, do_constant_folding=True)
    norms = sum(m.num_features for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d))
    got, want = archcalc.analyze(path), archcalc.analyze(model, input=(3, 64, 64))
    assert got.totals["params"] == want.totals["params"] - norms
    assert got.totals["macs"] == want.totals["macs"]
    assert not any(s.kind == "batchnorm" for s in got.layers)


class Shared(torch.nn.Module):
    """One conv called twice: torch counts its weights once, and so must the ONNX file's one initializer."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(8, 8, 3, padding=1)

    def forward(self, x):
        return self.conv(torch.relu(self.conv(x)))


def test_initializer_read_twice_counts_once(tmp_path):
    """8*8*9 + 8 = 584 parameters, however often the conv runs; its MACs count twice: 2 * 8*8*9*16*16."""
    path = str(tmp_path / "shared.onnx")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(Shared().eval(), (torch.zeros(1, 8, 16, 16),), path, dynamo=False)
    report = archcalc.analyze(path)
    assert report.totals["params"] == 8 * 8 * 9 + 8
    assert report.totals["macs"] == 2 * 8 * 8 * 9 * 16 * 16
    assert [s.name for s in report.layers if s.kind == "conv"] == ["conv", "conv@2"]


class Unmapped(torch.nn.Module):
    def forward(self, x):
        values, _ = torch.topk(x, 2, dim=1)
        return torch.cumsum(values, dim=1) + torch.cumsum(x[:, :2], dim=1)


def test_unsupported_operators_one_line_each(tmp_path, capsys):
    """TopK once, CumSum twice: one line per operator with its first node and count, exit 2 in the CLI."""
    path = export(Unmapped().eval(), tmp_path / "odd.onnx", 8)
    with pytest.raises(UnsupportedOperations) as err:
        load_onnx(path)
    lines = err.value.lines
    assert len(lines) == 2
    assert "TopK" in lines[0] and "(1 time)" in lines[0]
    assert "CumSum" in lines[1] and "(2 times)" in lines[1]
    assert run(["summary", path]) == 2
    assert capsys.readouterr().err.count("unsupported operation") == 2


def test_cli_rf_and_compare(tmp_path, capsys):
    """`archcalc rf file.onnx` and `compare file.onnx torchvision:resnet18 --format json` run; the comparison
    finds the same parameters, MACs and receptive field on both sides. (Activation memory differs: torch's
    ReLUs run in place, which the ONNX file does not record.)"""
    path = export(build("resnet18"), tmp_path / "r18.onnx", 64)
    assert run(["rf", path]) == 0
    assert "layer4" in capsys.readouterr().out
    assert run(["compare", path, "torchvision:resnet18", "--input", "3x64x64", "--format", "json"]) == 0
    onnx_row, torch_row = json.loads(capsys.readouterr().out)["models"]
    for key in ("params", "macs", "rf", "depth"):
        assert onnx_row[key] == torch_row[key], key


def test_not_onnx_and_external_data_refused(tmp_path):
    """A text file is not ONNX (one line); an initializer whose external data points outside the folder is
    refused before anything is read."""
    import onnx
    from onnx import helper

    from archcalc.errors import InputError

    bad = tmp_path / "notes.onnx"
    bad.write_text("this is not a protobuf\n" * 4)
    with pytest.raises(InputError, match="not an ONNX model"):
        load_onnx(str(bad))
    weight = helper.make_tensor("w", onnx.TensorProto.FLOAT, [4, 3, 1, 1], [0.0] * 12)
    weight.ClearField("float_data")
    weight.data_location = onnx.TensorProto.EXTERNAL
    weight.external_data.add(key="location", value="../../etc/secret.bin")
    node = helper.make_node("Conv", ["x", "w"], ["y"], name="conv")
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", 1, [1, 3, 8, 8])],
                              [helper.make_tensor_value_info("y", 1, [1, 4, 8, 8])], [weight])
    outside = tmp_path / "outside.onnx"
    outside.write_bytes(helper.make_model(graph).SerializeToString())
    with pytest.raises(InputError, match="outside the model's folder"):
        load_onnx(str(outside))
