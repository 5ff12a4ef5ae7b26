"""Sliding-window extraction (sources/torch_unfold.py, core/rules/unfold.py): im2col (nn.Unfold, F.unfold),
col2im (F.fold, nn.Fold) and the tensor method x.unfold(dim, size, step), held against torch itself
(sum(p.numel()), FlopCounterMode, output shapes, whether torch copies), with the arithmetic written out."""

import pytest
import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.flop_counter import FlopCounterMode

import archcalc
from archcalc.core.ir import Fold, Unfold, UnfoldAxis
from archcalc.errors import ArchcalcError
from archcalc.pytorch.coverage import check
from archcalc.pytorch.makers import maker_of


def _matches(module, shape):
    report = archcalc.analyze(module, input=shape)
    with FlopCounterMode(display=False) as counter:
        out = module(torch.randn(1, *shape))
    assert report.totals["params"] == sum(p.numel() for p in module.parameters())
    assert report.totals["macs"] == counter.get_total_flops() // 2
    assert report.layers[-1].out_shape.as_list() == list(out.shape[1:])
    return {layer.name: layer for layer in report.layers}


class Im2col(nn.Module):
    """A conv's map written out as 3x3 stride-2 columns, then a linear on each column (a conv as a matmul)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.unfold = nn.Unfold(kernel_size=3, padding=1, stride=2)
        self.lin = nn.Linear(72, 16)

    def forward(self, x):
        return self.lin(self.unfold(self.conv(x)).transpose(1, 2))


class RoundTrip(nn.Module):
    """VOLO's outlook pattern: F.unfold, something per column, F.fold back to the map's size."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 1)

    def forward(self, x):
        _, _, h, w = x.shape
        cols = F.unfold(self.conv(x), 3, padding=1, stride=2)
        return F.fold(cols * 2, output_size=(h, w), kernel_size=3, padding=1, stride=2)


class Halo(nn.Module):
    """HaloNet's key/value blocks: a padded map, x.unfold on H then on W (overlapping 8x8 windows 4 apart)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 1)

    def forward(self, x):
        b = x.shape[0]
        kv = F.pad(self.conv(x), [2, 2, 2, 2])
        return kv.unfold(2, 8, 4).unfold(3, 8, 4).reshape(b, 8, 16, -1)


def test_unfold_module_columns_and_a_linear_on_them():
    layers = _matches(Im2col(), (3, 16, 16))
    unfold = layers["unfold"]
    # 8 channels x 3 x 3 = 72 rows; (16 + 2 - 3)//2 + 1 = 8 windows a side: L = 64
    assert unfold.kind == "unfold" and unfold.out_shape.as_list() == [72, 64]
    assert (unfold.macs, unfold.params, unfold.other_ops, unfold.activation_elems) == (0, 0, 0, 72 * 64)
    # the linear: 64 columns x 72 x 16
    assert layers["lin"].macs == 64 * 72 * 16


def test_unfold_field_is_the_windows_conv_field():
    conv = archcalc.analyze(nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.Conv2d(8, 8, 3, padding=1, stride=2)),
                            input=(3, 16, 16))
    layers = _matches(Im2col(), (3, 16, 16))
    assert layers["unfold"].rf == conv.layers[-1].rf
    assert layers["unfold"].rf.size == (5, 5) and layers["unfold"].rf.jump == (2, 2)  # 3 + (3 - 1) x 1


def test_fold_inverts_unfold_with_adds_as_other_ops():
    layers = _matches(RoundTrip(), (3, 16, 16))
    fold = layers["fold"]
    assert fold.kind == "fold" and fold.out_shape.as_list() == [8, 16, 16]
    # each of the 72 x 64 column elements is added at its window: 4608 adds; the output a new 8x16x16 tensor
    assert (fold.macs, fold.params, fold.other_ops, fold.activation_elems) == (0, 0, 72 * 64, 8 * 16 * 16)
    # an output pixel gets the stride-2 windows that cover it: at most ceil(3/2) = 2 columns a side, 2 apart
    assert fold.rf.size == (5, 5)


def test_fold_refuses_columns_that_are_not_its_windows():
    class Wrong(nn.Module):
        def forward(self, x):
            return F.fold(x.flatten(2), output_size=(8, 8), kernel_size=2, stride=2)  # 4 x 4 = 16 windows, not 25

    with pytest.raises(ArchcalcError, match="25 columns given, the windows are 4 \\* 4 = 16"):
        archcalc.analyze(Wrong(), input=(8, 5, 5))


def test_tensor_unfold_is_a_view_and_the_reshape_after_it_copies():
    layers = _matches(Halo(), (3, 16, 16))
    first, second = layers["unfold"], layers["unfold_2"]
    # (16 + 4 - 8)/4 + 1 = 4 windows of 8 along H, then along W, the window positions last
    assert first.out_shape.as_list() == [8, 4, 20, 8] and second.out_shape.as_list() == [8, 4, 4, 8, 8]
    assert (second.macs, second.other_ops, second.activation_elems) == (0, 0, 0)
    assert layers["reshape"].activation_elems == 8 * 16 * 64  # overlapping windows: torch copies
    kv = torch.randn(1, 8, 20, 20)
    windows = kv.unfold(2, 8, 4).unfold(3, 8, 4)
    assert windows.data_ptr() == kv.data_ptr() and windows.reshape(1, 8, 16, -1).data_ptr() != kv.data_ptr()
    # a window along each axis: 8 pixels seen, 4 apart; the first centred at (8 - 1)/2 - 2 pads + 0.5 = 2.0
    assert second.rf.size == (8, 8) and second.rf.jump == (4, 4) and second.rf.start == (2.0, 2.0)


def test_twins_give_torch_s_shapes():
    x = torch.randn(2, 8, 16, 16)
    unfold = maker_of("unfold")(Unfold(3, stride=2, padding=1), [x], ())
    assert list(unfold(x).shape) == list(F.unfold(x, 3, padding=1, stride=2).shape)
    cols = torch.randn(2, 72, 64)
    fold = maker_of("fold")(Fold((16, 16), 3, stride=2, padding=1), [cols], ())
    assert torch.equal(fold(cols), F.fold(cols, (16, 16), 3, padding=1, stride=2))
    view = maker_of("unfold_axis")(UnfoldAxis(1, 8, 4), [x], ())
    assert torch.equal(view(x), x.unfold(2, 8, 4))


def test_timm_tnt_legacy_imports_exactly():
    result = check("timm:tnt_s_legacy_patch16_224")
    assert result.status == "ok", result.reasons
    assert (result.params, result.macs) == (result.torch_params, result.torch_macs)


def test_timm_volo_outlook_attention_and_max_head_import_exactly():
    result = check("timm:volo_d1_224")  # nn.Unfold, F.fold, and the head's x_aux.max(1)[0]
    assert result.status == "ok", result.reasons
    assert (result.params, result.macs) == (result.torch_params, result.torch_macs)


def test_max_along_a_dim_is_a_reduce_max_and_its_indices_are_refused():
    class Head(nn.Module):
        def forward(self, x):
            return x.flatten(2).max(2)[0]

    class Indices(nn.Module):
        def forward(self, x):
            return x.flatten(2).max(2)[1] + 1

    layers = _matches(Head(), (4, 5, 5))
    assert layers[list(layers)[-1]].kind == "reduce_max" and layers[list(layers)[-1]].out_shape.as_list() == [4]
    with pytest.raises(ArchcalcError):
        archcalc.analyze(Indices(), input=(4, 5, 5))


@pytest.mark.parametrize("batch", [1, 2])
def test_twins_verify_every_figure(tmp_path, batch):
    """A spec with the three kinds, rebuilt in torch by their twins: shapes, MACs, activation and saved bytes."""
    from archcalc.pytorch.verify import verify

    spec = tmp_path / "windows.yaml"
    spec.write_text("name: windows\ninput: [4, 8, 8]\nlayers:\n"
                    "  - {kind: conv, out_channels: 8, kernel: 3, padding: 1}\n"
                    "  - {kind: unfold, kernel: 3, padding: 1, stride: 2}\n"
                    "  - {kind: fold, output_size: [8, 8], kernel: 3, padding: 1, stride: 2}\n"
                    "  - {kind: unfold_axis, axis: 1, size: 4, step: 2}\n")
    result = verify(str(spec), batch=batch)
    assert result.ok, [(c.layer, c.figure, c.analytic, c.measured) for c in result.failures()]
    assert [s["kind"] for s in result.layers][-3:] == ["unfold", "fold", "unfold_axis"]
