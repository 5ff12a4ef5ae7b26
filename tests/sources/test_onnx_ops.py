"""The ONNX importer operator by operator: a model of many image-model operators, exported with and without
constant folding and at opsets 17 and 20, analyses as torch's own import of it; ONNX graphs written by hand
check auto_pad and asymmetric pads against the arithmetic written out; onnx-tool's profile of the same files
is reconciled operator by operator."""

from __future__ import annotations

import contextlib
import io
import warnings

import pytest

torch = pytest.importorskip("torch", reason="exporting to ONNX needs torch")
onnx = pytest.importorskip("onnx", reason="reading ONNX needs the onnx package")

import archcalc  # noqa: E402
from archcalc.errors import UnsupportedOperations  # noqa: E402

pytestmark = pytest.mark.torch
nn, F = torch.nn, torch.nn.functional


class Ops(nn.Module):
    """Conv (padding 'same', dilation, groups), F.pad asymmetric, ConvTranspose, InstanceNorm, interpolate
    (bilinear), chunk, sigmoid/tanh/relu6 with scalars, concat, AvgPool ceil_mode, MaxPool, Hardswish, a
    learned per-channel factor, a slice, permute, LayerNorm, GELU, mean, Linear, softmax."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding="same")
        self.conv2 = nn.Conv2d(8, 8, 3, stride=2, padding=2, dilation=2, groups=2)
        self.up = nn.ConvTranspose2d(8, 4, 2, stride=2)
        self.inorm = nn.InstanceNorm2d(4, affine=True)
        self.ln = nn.LayerNorm(6)
        self.act1, self.act2, self.act3, self.act4 = nn.LeakyReLU(0.1), nn.ELU(), nn.Hardswish(), nn.GELU()
        self.pool, self.mpool = nn.AvgPool2d(3, 2, ceil_mode=True), nn.MaxPool2d(2)
        self.gain = nn.Parameter(torch.ones(1, 6, 1, 1))
        self.fc = nn.Linear(6, 5)

    def forward(self, x):
        x = self.act1(self.conv(x))
        x = self.act2(self.conv2(F.pad(x, (1, 0, 2, 1))))
        x = F.interpolate(self.inorm(self.up(x)), scale_factor=2, mode="bilinear", align_corners=False)
        a, b = torch.chunk(x, 2, dim=1)
        x = torch.cat([torch.sigmoid(a) * 2.0, torch.tanh(b) - 1.0, F.relu6(a) / 3.0], dim=1)
        x = (self.act3(self.mpool(self.pool(x))) * self.gain)[:, :, 1:, :]
        y = self.act4(self.ln(x.permute(0, 2, 3, 1))).mean(dim=(1, 2))
        return torch.softmax(self.fc(y), dim=-1)


def export(model, path, shape, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (torch.zeros(1, *shape),), str(path), dynamo=False, **options)
    return str(path)


def kinds_and_shapes(report):
    return [(s.kind, str(s.out_shape)) for s in report.layers]


@pytest.mark.parametrize("fold", [False, True])
def test_operators_equal_torch(tmp_path, fold):
    """Every layer's kind and shape, and the totals, equal torch's import of the same module; with folding
    off, Pad's and Resize's arguments come from Shape arithmetic the importer folds itself."""
    model = Ops().eval()
    path = export(model, tmp_path / "ops.onnx", (3, 32, 32), do_constant_folding=fold,
                  keep_initializers_as_inputs=True)
    got, want = archcalc.analyze(path), archcalc.analyze(model, input=(3, 32, 32))
    assert kinds_and_shapes(got) == kinds_and_shapes(want)
    for key in ("params", "macs", "other_ops"):
        assert got.totals[key] == want.totals[key], key


@pytest.mark.parametrize("opset", [17, 20])
def test_activation_patterns(tmp_path, opset):
    """GELU (Erf's pattern at opset 17, the Gelu operator at 20), SiLU (Sigmoid and Mul) and Mish (Softplus,
    Tanh, Mul) are read back as torch's one module each, named as torch names it."""
    model = nn.Sequential(nn.Conv2d(3, 4, 1), nn.GELU(), nn.SiLU(), nn.Hardsigmoid(), nn.Mish(), nn.Flatten(),
                          nn.Linear(256, 10)).eval()
    path = export(model, tmp_path / "acts.onnx", (3, 8, 8), opset_version=opset)
    got, want = archcalc.analyze(path), archcalc.analyze(model, input=(3, 8, 8))
    assert [(s.name, s.kind) for s in got.layers] == [(s.name, s.kind) for s in want.layers]
    assert got.totals["other_ops"] == want.totals["other_ops"]


@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("fold", [True, False])
def test_instance_and_group_norm(tmp_path, affine, fold):
    """nn.InstanceNorm2d (torch writes a scale of ones and a bias of zeros as constants when affine is off: no
    parameters) and nn.GroupNorm (exported as Reshape, InstanceNormalization, Reshape, Mul, Add) are read
    back as torch's layers: names, kinds, parameters and shapes."""
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.InstanceNorm2d(4, affine=affine), nn.GroupNorm(2, 4, affine=affine),
                          nn.ReLU()).eval()
    path = export(model, tmp_path / "norms.onnx", (3, 8, 8), do_constant_folding=fold,
                  keep_initializers_as_inputs=True)
    got, want = archcalc.analyze(path), archcalc.analyze(model, input=(3, 8, 8))

    def rows(report):
        return [(s.name, s.kind, s.params, str(s.out_shape)) for s in report.layers]

    assert rows(got) == rows(want)
    assert got.totals["other_ops"] == want.totals["other_ops"]


def test_softplus_alone_is_refused(tmp_path):
    """Softplus and SELU have no IR kind: refused, one line each, counted."""
    model = nn.Sequential(nn.Conv2d(3, 4, 1), nn.Softplus(), nn.SELU(), nn.Softplus())
    path = export(model, tmp_path / "soft.onnx", (3, 8, 8), opset_version=17)
    with pytest.raises(UnsupportedOperations) as err:
        archcalc.analyze(path)
    assert [line.split("operation ")[1].split(",")[0] for line in err.value.lines] == ["Softplus", "Selu"]
    assert "(2 times)" in err.value.lines[0]


def _conv_file(path, auto_pad: str, pads=None, size: int = 8):
    """x (1x3xsizexsize) -> Conv 3x3, stride 2, 4 outputs, with `auto_pad` or explicit `pads`."""
    from onnx import helper

    weight = helper.make_tensor("w", onnx.TensorProto.FLOAT, [4, 3, 3, 3], [0.0] * 108)
    extra = {"pads": pads} if pads else {"auto_pad": auto_pad}
    node = helper.make_node("Conv", ["x", "w"], ["y"], name="conv", kernel_shape=[3, 3], strides=[2, 2], **extra)
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", 1, [1, 3, size, size])],
                              [helper.make_tensor_value_info("y", 1, None)], [weight])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    path.write_bytes(model.SerializeToString())
    return str(path)


@pytest.mark.parametrize("auto_pad,pads,out,pre", [
    ("SAME_UPPER", None, (4, 4), ((0, 1), (0, 1))),  # ceil(8/2) = 4; total (4-1)*2 + 3 - 8 = 1, after
    ("SAME_LOWER", None, (4, 4), ((1, 0), (1, 0))),  # the same 1, before
    ("VALID", None, (3, 3), None),  # floor((8-3)/2) + 1 = 3
    (None, [1, 0, 2, 1], (5, 4), ((0, 1), (0, 1))),  # H (1, 2): conv 1 + pad (0, 1), (8+3-3)//2+1 = 5; W (0, 1)
])
def test_conv_padding(tmp_path, auto_pad, pads, out, pre):
    """Output 4 x H x W; MACs 4*3*9*H*W; padding that is not the same on both sides becomes a pad layer
    before the conv, the conv keeping the common part."""
    path = _conv_file(tmp_path / "c.onnx", auto_pad, pads)
    report = archcalc.analyze(path)
    assert str(report.layers[-1].out_shape) == f"4x{out[0]}x{out[1]}"
    assert report.totals["macs"] == 4 * 3 * 9 * out[0] * out[1]
    pad_layers = [layer for layer in archcalc.resolve(path).layers if layer.kind == "pad"]
    assert [tuple(map(tuple, layer.attrs.pads)) for layer in pad_layers] == ([pre] if pre else [])


def _onnx_tool_by_op(path) -> tuple:
    """onnx-tool's profile of the file: (MACs per operator type, its parameter count)."""
    onnx_tool = pytest.importorskip("onnx_tool", reason="the comparison needs onnx-tool (the dev extra)")
    with contextlib.redirect_stdout(io.StringIO()):  # it prints as it profiles
        graph = onnx_tool.Model(path).graph
        graph.graph_reorder_nodes()
        graph.shape_infer()
        graph.profile()
    by_op: dict = {}
    for node in graph.nodemap.values():
        by_op[node.op_type] = by_op.get(node.op_type, 0) + int(node.macs[0])
    return by_op, int(graph.params)


def _ours_by_kind(report, figure: str) -> dict:
    out: dict = {}
    for s in report.layers:
        out[s.kind] = out.get(s.kind, 0) + getattr(s, figure)
    return out


@pytest.mark.parametrize("name", ["resnet18", "mobilenet_v2"])
def test_onnx_tool_reconciled(tmp_path, name):
    """onnx-tool profiles the same file (weights kept, batch norms not folded). Where the two differ, each
    difference has one cause, checked here operator by operator:
    - parameters: onnx-tool counts every initializer, so a batch norm's running mean and variance (2C) too;
      archcalc counts those as buffers, not parameters (as torch's parameters() does);
    - Conv without bias: the same MACs; Gemm: onnx-tool adds the bias, one MAC per output (archcalc counts
      that add as an other op: the linear's other ops);
    - ReLU, Clip (ReLU6) and Add: onnx-tool counts one MAC per element, archcalc the same number as other ops
      (no multiply-accumulate);
    - BatchNormalization, MaxPool, GlobalAveragePool: onnx-tool charges its own per-element costs as MACs
      (e.g. ~31 per element for a norm), archcalc counts no MACs for them; these are left out of the total."""
    from archcalc.sources.torchvision_import import models

    model = getattr(models(), name)(weights=None).eval()
    path = export(model, tmp_path / f"{name}.onnx", (3, 64, 64), do_constant_folding=False,
                  keep_initializers_as_inputs=True)
    theirs, their_params = _onnx_tool_by_op(path)
    ours = archcalc.analyze(path)
    macs, other = _ours_by_kind(ours, "macs"), _ours_by_kind(ours, "other_ops")
    norms = sum(m.num_features for m in model.modules() if isinstance(m, nn.BatchNorm2d))
    assert their_params == ours.totals["params"] + 2 * norms
    assert theirs["Conv"] == macs["conv"] and other["conv"] == 0  # no conv bias: nothing else to count
    assert theirs["Gemm"] == macs["linear"] + other["linear"]
    relu = "relu" if name == "resnet18" else "relu6"
    assert theirs["Relu" if relu == "relu" else "Clip"] == other[relu]
    assert theirs["Add"] == other["add"]


def test_merged_initializers_noted(tmp_path):
    """The default export folds each batch norm into its conv; at torch's initial statistics every folded bias
    is zero, and the exporter merges equal tensors: one zero bias per size (64, 128, 256, 512) serves every
    conv of that width. onnx-tool counts each merged tensor once; archcalc counts each conv's bias whole and
    says so in one note, with the excess: the sum of the norms' widths less the distinct widths."""
    from archcalc.sources.torchvision_import import models

    model = getattr(models(), "resnet18")(weights=None).eval()
    path = export(model, tmp_path / "merged.onnx", (3, 64, 64))
    widths = [m.num_features for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    excess = sum(widths) - sum(set(widths))
    _, their_params = _onnx_tool_by_op(path)
    ours = archcalc.analyze(path)
    assert ours.totals["params"] - their_params == excess
    assert [n for n in ours.notes if "counted again" in n] == [
        f"{len(widths) - len(set(widths))} layers (first layer1.0.conv1) read an initializer an earlier layer counts beside their own (the "
        f"exporter merged equal tensors): {excess:,} parameters counted again"]
