"""The lecture's later families: NiN, pre-activation ResNet, Wide ResNet, ResNeXt, stochastic depth,
FractalNet, DenseNet, SqueezeNet. Expected figures are arithmetic, the papers' published counts (cited,
within the paper's rounding), or the real torchvision models."""

from __future__ import annotations

import warnings

import pytest

import archcalc
from archcalc.sources import zoo
from archcalc.errors import ShapeError, UnknownModelError

MINE = ("nin", "mlpconv", "preact-resnet-110", "preact-resnet-164", "preact-resnet-1001",
        "preact-resnet-152-imagenet", "preact-resnet-200-imagenet", "wide_resnet50_2", "wide_resnet101_2",
        "wrn-16-8", "wrn-28-10", "wrn-40-4", "resnext50_32x4d", "resnext101_32x8d", "resnext101_64x4d",
        "resnext-block", "resnext-block-1x64d", "stochastic-depth-110",
        "fractalnet-c3-b5", "fractalnet-c4-b5", "fractal-block", "densenet121", "densenet161", "densenet169",
        "densenet201", "dense-block", "transition", "densenet-bc-100-12", "squeezenet1_0", "squeezenet1_1", "fire")
TORCHVISION = [e.name for e in zoo.entries() if e.torchvision and e.name in MINE]
M = 10**6


def conv_linear_weights(report) -> int:
    """Weights of conv and linear layers only (no biases, no BN)."""
    return sum(s.weights for s in report.layers if s.kind in ("conv", "linear"))


@pytest.mark.parametrize("name", MINE)
def test_entry_analyses_at_its_default_input_and_layers_sum_to_totals(name):
    report = archcalc.analyze(name)
    assert report.totals["params"] == sum(s.params for s in report.layers)
    assert report.totals["macs"] == sum(s.macs for s in report.layers)
    assert report.source


def test_list_names_every_entry_of_the_issue():
    named = {e.name for e in zoo.entries()}
    assert set(MINE) <= named | set(zoo.names())
    # what `archcalc list` iterates: the paper examples of parametrised families are named entries too
    assert {"wrn-28-10", "preact-resnet-164", "stochastic-depth-110", "fractalnet-c3-b5"} <= named


# --- papers' published figures ----------------------------------------------------------------------------
@pytest.mark.parametrize("name, millions", [
    # Zagoruyko & Komodakis, Wide Residual Networks, BMVC 2016, Table 5 (and Table 4): params, 0.1M rounding
    ("wrn-40-4", 8.9), ("wrn-16-8", 11.0), ("wrn-28-10", 36.5),
    # Huang et al., Densely Connected Convolutional Networks, CVPR 2017, Table 2: DenseNet-BC params
    ("densenet-bc-100-12", 0.8), ("densenet-bc-250-24", 15.3), ("densenet-bc-190-40", 25.6),
    # He et al., Identity Mappings in Deep Residual Networks, ECCV 2016, Table 3: pre-act ResNet-110 / -164
    ("preact-resnet-110", 1.7), ("preact-resnet-164", 1.7),
    # He et al., Deep Residual Learning, CVPR 2016, Table 6: the 110-layer CIFAR ResNet (stochastic depth's)
    ("stochastic-depth-110", 1.7),
])
def test_parameters_match_the_paper_within_its_rounding(name, millions):
    params = archcalc.analyze(name).totals["params"]
    assert abs(params / M - millions) <= 0.05 + 1e-9, params


def test_preact_resnet_1001_matches_the_paper_without_bn_parameters():
    # He et al. 2016 (identity mappings), Table 3: ResNet-1001, 10.2M. The conv + FC weights give 10.2M;
    # with BN's scale and shift (150k) the model has 10.3M, so the paper's count leaves BN out.
    report = archcalc.analyze("preact-resnet-1001")
    assert abs(conv_linear_weights(report) / M - 10.2) <= 0.05
    assert report.totals["depth"] == 1001


def test_resnext_block_is_the_papers_aggregate_of_32_paths():
    # Xie et al. 2017, Sec. 3.3: C * (256*d + 3*3*d*d + d*256) weights with C = 32, d = 4 (about 70k)
    report = archcalc.analyze("resnext-block")
    assert conv_linear_weights(report) == 32 * (256 * 4 + 3 * 3 * 4 * 4 + 4 * 256)
    grouped = report.layer("conv2")
    assert grouped.macs == 56 * 56 * 128 * 3 * 3 * 4  # 128 outputs, each from 3x3 over its group's 4 channels


@pytest.mark.parametrize("c, d", [(1, 64), (2, 40), (4, 24), (8, 14), (32, 4)])
def test_resnext_table2_blocks_cost_what_the_formula_says(c, d):
    # Xie et al. 2017, Table 2: cardinality C and width d at ~equal complexity; block weights C(512d + 9d^2)
    report = archcalc.analyze(f"resnext-block-{c}x{d}d")
    assert conv_linear_weights(report) == c * (256 * d + 9 * d * d + d * 256)


def test_nin_imagenet_layers():
    # Lin et al. 2014, ImageNet model (Caffe model zoo): mlpconv blocks 96, 256, 384, 1024 -> 1000 classes
    report = archcalc.analyze("nin")
    expected = ((11 * 11 * 3 * 96 + 96) + 2 * (96 * 96 + 96)
                + (5 * 5 * 96 * 256 + 256) + 2 * (256 * 256 + 256)
                + (3 * 3 * 256 * 384 + 384) + 2 * (384 * 384 + 384)
                + (3 * 3 * 384 * 1024 + 1024) + (1024 * 1024 + 1024) + (1024 * 1000 + 1000))
    assert report.totals["params"] == expected
    assert not [s for s in report.layers if s.kind == "linear"]  # global average pooling, no FC
    assert report.layers[-1].out_shape.channels == 1000
    assert report.layer("mlpconv1.conv").out_shape.spatial == ((224 - 11) // 4 + 1,) * 2


def test_fractalnet_c3_b5_parameters_and_depth():
    # Larsson et al. 2017, Sec. 4: 5 blocks of 64, 128, 256, 512, 512 channels; C = 3 columns hold
    # 1 + 2 + 4 = 7 convs per block, 3 of which read the block's input; each conv has a BN (scale, shift)
    widths, cin, expected = (64, 128, 256, 512, 512), 3, 0
    for w in widths:
        expected += 3 * (3 * 3 * cin * w) + 4 * (3 * 3 * w * w) + 7 * 2 * w
        cin = w
    expected += 512 * 10 + 10
    report = archcalc.analyze("fractalnet-c3-b5")
    assert report.totals["params"] == expected
    assert report.totals["depth"] == 5 * 2 ** (3 - 1) + 1  # B * 2^(C-1) convs, then the FC


def test_fire_module_parameters():
    # Iandola et al. 2016, Table 1, fire2: squeeze 16, expand 64 + 64 on 96 channels
    report = archcalc.analyze("fire")
    assert report.totals["params"] == (96 * 16 + 16) + (16 * 64 + 64) + (3 * 3 * 16 * 64 + 64)
    assert report.layers[-1].out_shape.channels == 128


def test_dense_block_and_transition_shapes():
    block = archcalc.analyze("dense-block")
    assert block.layers[-1].out_shape.channels == 64 + 6 * 32
    first = block.layer("denselayer1.conv1")
    assert first.weights == 64 * 128 and block.layer("denselayer6.conv1").weights == (64 + 5 * 32) * 128
    transition = archcalc.analyze("transition")
    assert transition.layers[-1].out_shape.as_list() == [128, 28, 28]


def test_stochastic_depth_shortcut_is_parameter_free():
    report = archcalc.analyze("stochastic-depth-110")
    pad = report.layer("layer2.0.shortcut.pad")
    assert pad.params == 0 and pad.out_shape.as_list() == [32, 16, 16]
    # 3x3 conv 16, 54 blocks of two 3x3 convs (16, 32, 64 channels), FC 64 -> 10, 110 weighted layers
    assert report.totals["depth"] == 110


@pytest.mark.parametrize("name", ["wrn-27-10", "preact-resnet-57", "densenet-bc-101-12", "fractalnet-c9-b5",
                                  "stochastic-depth-111"])
def test_invalid_family_parameters_are_named(name):
    with pytest.raises(UnknownModelError, match=name.split("-")[0]):
        zoo.get(name)


def test_mean_join_rejects_different_shapes():
    from archcalc.core.ir import Mean

    net = archcalc.Net("bad", input=(8, 16, 16))
    a = net.conv(net.input, 8, 3, padding=1)
    b = net.conv(net.input, 4, 3, padding=1)
    net.layer("mean", Mean(), [a, b], name="join")
    with pytest.raises(ShapeError, match="join.*different channel counts"):
        archcalc.analyze(net)


def test_mean_join_counts_its_ops():
    from archcalc.core.ir import Mean

    net = archcalc.Net("ok", input=(8, 16, 16))
    a = net.conv(net.input, 8, 3, padding=1)
    b = net.conv(net.input, 8, 1)
    net.layer("mean", Mean(), [a, b], name="join")
    join = archcalc.analyze(net).layer("join")
    assert join.other_ops == 8 * 16 * 16 * 2  # one add and one scale per element
    assert join.activation_elems == 8 * 16 * 16 and join.params == 0


# --- against torchvision ----------------------------------------------------------------------------------
@pytest.mark.torch
@pytest.mark.parametrize("name", TORCHVISION)
def test_parameters_equal_torchvision(name):
    import torch
    from archcalc.sources.torchvision_import import models

    entry = zoo.get(name)
    with torch.device("meta"):
        model = getattr(models(), entry.torchvision)(**entry.torchvision_kwargs)
    assert archcalc.analyze(name).totals["params"] == sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("name", ["squeezenet1_0", "squeezenet1_1", "densenet121", "resnext50_32x4d",
                                  "wide_resnet50_2"])
@pytest.mark.torch
def test_macs_equal_fvcore_at_a_small_input(name):
    import torch
    from archcalc.sources.torchvision_import import models

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fvcore.nn import FlopCountAnalysis
    torch.set_num_threads(1)
    entry = zoo.get(name)
    model = getattr(models(), entry.torchvision)(**entry.torchvision_kwargs).eval()
    size = (3, 96, 96)
    counter = FlopCountAnalysis(model, torch.zeros(1, *size))
    counter.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
    ops = counter.by_operator()
    assert archcalc.analyze(name, input=size).totals["macs"] == ops.get("conv", 0) + ops.get("linear", 0)
