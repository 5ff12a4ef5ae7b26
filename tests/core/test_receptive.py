"""Receptive-field arithmetic: the window rule, merges, adaptive pooling, and whole networks against the
published figures of the receptive-field literature (expected values are arithmetic or quoted)."""

import pytest

from archcalc import Net

from archcalc.sources import analyze
from archcalc.core.receptive import RF, input_rf, merge_rf, minimal_containing_input, window_rf

# Araujo, Norris, Sim, "Computing Receptive Fields of Convolutional Neural Networks", Distill 2019
# (doi:10.23915/distill.00021); its figures are tabulated in google-research/receptive_field,
# receptive_field/RECEPTIVE_FIELD_TABLE.md (TF-Slim models): columns RF, effective stride, effective padding.
DISTILL = "Araujo et al. 2019, RECEPTIVE_FIELD_TABLE.md"


def field(model, layer, input=None):
    return analyze(model, input=input).layer(layer).rf


@pytest.mark.parametrize("layers, size, jump, start", [
    # (kernel, stride, padding, dilation) per layer; size = 1 + sum (k_eff - 1) * jump_before
    ([(3, 1, 1, 1)] * 3, 1 + 3 * 2, 1, 0.5 + 3 * (1 - 1)),            # the lecture's 3 x 3x3 = 7x7
    ([(7, 1, 3, 1)], 7, 1, 0.5),
    ([(11, 4, 0, 1), (3, 2, 0, 1)], 11 + 2 * 4, 4 * 2, 0.5 + 5 + 1 * 4),
    ([(3, 1, 2, 2)], 1 + 2 * (3 - 1), 1, 0.5 + (2 - 2)),               # dilation 2: k_eff 5
    ([(1, 2, 0, 1), (3, 1, 0, 1)], 1 + 2 * 2, 2, 0.5 + 1 * 2),          # stride then kernel: jumps of 2
])
def test_window_rule(layers, size, jump, start):
    rf = input_rf(2)
    for k, s, p, d in layers:
        rf = window_rf(rf, (k, k), (s, s), (p, p), (d, d))
    assert rf.size == (size, size) and rf.jump == (jump, jump) and rf.start == (start, start)


def test_per_axis_non_square():
    net = Net("t", input=(1, 40, 40))
    x = net.conv(net.input, 1, (1, 7), padding=(0, 3))
    net.conv(x, 1, (3, 1), stride=(2, 1))
    rf = analyze(net).layers[-1].rf
    assert rf.size == (1 + 2, 7) and rf.jump == (2, 1)


def test_effective_padding_and_bounds():
    rf = window_rf(input_rf(1), (5,), (2,), (2,), (1,))  # field [-2, 3) for unit 0, [0, 5) for unit 1
    assert rf.padding == (2,)
    assert rf.bounds((0,)) == ((-2, 3),) and rf.bounds((1,)) == ((0, 5),)
    assert minimal_containing_input(rf) == ((5, 1),)


def test_merge_of_aligned_branches_is_the_largest():
    a, b = RF((3, 3), (1, 1), (0.5, 0.5)), RF((7, 7), (1, 1), (0.5, 0.5))
    assert merge_rf([a, b]) == (b, None)


def test_merge_of_misaligned_branches_is_their_union():
    a, b = RF((3,), (1,), (1.5,)), RF((3,), (1,), (2.5,))  # pixels [0, 3) and [1, 4)
    rf, note = merge_rf([a, b])
    assert rf.size == (4,) and rf.start == (2.0,) and "union" in note


def test_merge_with_unequal_jumps_is_reported():
    a, b = RF((5,), (2,), (0.5,)), RF((3,), (1,), (0.5,))
    rf, note = merge_rf([a, b])
    assert rf.size == (5,) and rf.jump == (2,) and "unequal jumps" in note


def test_residual_join_in_a_graph():
    net = Net("t", input=(4, 16, 16))
    y = net.conv(net.conv(net.input, 4, 3, padding=1), 4, 3, padding=1)
    net.add([y, net.input])
    assert analyze(net).layers[-1].rf.size == (5, 5)  # 1 + 2 + 2 on the long path


def test_adaptive_pool_regular_and_uneven():
    net = Net("t", input=(1, 12, 12))
    net.adaptive_avgpool(net.input, 4)  # windows of 12/4 = 3, stride 3
    rf = analyze(net).layers[-1].rf
    assert rf.size == (3, 3) and rf.jump == (3, 3)
    net = Net("t", input=(1, 5, 5))
    net.adaptive_avgpool(net.input, 6)  # PyTorch windows [floor(5i/6), ceil(5(i+1)/6)): widths 1 or 2
    s = analyze(net).layers[-1]
    assert s.rf.size == (2, 2) and any("windows of 1-2 x 1-2 positions" in n for n in s.notes)


def test_global_pooling_is_global():
    assert field("resnet18", "avgpool").is_global


# --- whole networks: the literature, where the architecture is the same -----------------------------------
def test_alexnet_matches_alexnet_v2():
    # DISTILL, alexnet_v2 / pool5: RF 195, effective stride 32, effective padding 64. Same kernels and
    # strides as torchvision's alexnet; torchvision's conv1 pads 2 pixels where alexnet_v2's is VALID.
    rf = field("alexnet", "features.12")
    assert rf.size == (195, 195) and rf.jump == (32, 32) and rf.padding == (64 + 2, 64 + 2)


@pytest.mark.parametrize("layer, size, stride, padding", [
    # DISTILL, vgg_16 rows (pool1, conv3_1, pool4, conv5_1, pool5); torchvision's features.N indices
    ("features.4", 6, 2, 2), ("features.10", 24, 4, 10), ("features.23", 100, 16, 42),
    ("features.24", 132, 16, 58), ("features.30", 212, 32, 90),
])
def test_vgg16_matches_vgg_16(layer, size, stride, padding):
    rf = field("vgg16", layer)
    assert rf.size == (size, size) and rf.jump == (stride, stride) and rf.padding == (padding, padding)


def slim_resnet_v1_50(net, pool_padding):
    """TF-Slim's resnet_v1_50 as the table measured it: stride on the 3x3 of the LAST unit of blocks 1-3,
    SAME padding (a strided 3x3 pads 1 each side; the stem max pool pads 0 at 224, 1 at 321 on the
    left), a 1x1 max pool (subsample) as the shortcut of a strided unit whose depth does not change."""
    x = net.conv(net.input, 64, 7, 2, 3, bias=False, name="conv1")
    x = net.maxpool(x, 3, 2, pool_padding, ceil_mode=True, name="pool1")
    depth_in = 64
    for b, (units, width) in enumerate([(3, 64), (4, 128), (6, 256), (3, 512)], start=1):
        for u in range(1, units + 1):
            stride = 2 if u == units and b < 4 else 1
            with net.scope(f"block{b}.unit{u}"):
                y = net.conv(x, width, 1, bias=False, name="conv1")
                y = net.conv(y, width, 3, stride, 1, bias=False, name="conv2")
                y = net.conv(y, 4 * width, 1, bias=False, name="conv3")
                if depth_in != 4 * width:
                    short = net.conv(x, 4 * width, 1, stride, bias=False, name="shortcut")
                else:
                    short = net.maxpool(x, 1, stride, name="shortcut") if stride > 1 else x
                x = net.relu(net.add([y, short], name="add"), name="relu")
            depth_in = 4 * width
    return net


@pytest.mark.parametrize("resolution, pool_padding, paddings", [
    # DISTILL, resnet_v1_50 rows at 224 and 321: block1..4 effective padding (RF 35, 99, 291, 483;
    # effective stride 8, 16, 32, 32 at both)
    (224, 0, (15, 47, 143, 239)),
    (321, 1, (17, 49, 145, 241)),
])
def test_slim_resnet_v1_50_matches_the_table(resolution, pool_padding, paddings):
    net = slim_resnet_v1_50(Net("resnet_v1_50", input=(3, resolution, resolution)), pool_padding)
    r = analyze(net)
    ends = [r.layer(f"block{b}.unit{u}.relu").rf for b, u in ((1, 3), (2, 4), (3, 6), (4, 3))]
    assert [rf.size[0] for rf in ends] == [35, 99, 291, 483]
    assert [rf.jump[0] for rf in ends] == [8, 16, 32, 32]
    assert [rf.padding[0] for rf in ends] == list(paddings)


def test_resnet_variants_by_arithmetic():
    # stem: 7x7/2 conv then 3x3/2 pool -> 7 + 2*2 = 11 at jump 4; each 3x3 adds 2 jumps
    # paper (stride on the first 1x1): every stage's 3x3s run at the stage's own jump; Slim gets 483 too
    paper = 11 + 3 * 2 * 4 + 4 * 2 * 8 + 6 * 2 * 16 + 3 * 2 * 32
    assert paper == 483
    assert field("resnet50-paper", "layer4.2.relu3").size == (paper, paper)
    # torchvision (stride on the 3x3): the first 3x3 of stages 2-4 runs at the previous stage's jump
    tv = 11 + 3 * 2 * 4 + (2 * 4 + 3 * 2 * 8) + (2 * 8 + 5 * 2 * 16) + (2 * 16 + 2 * 2 * 32)
    assert field("resnet50", "layer4.2.relu3").size == (tv, tv)
    r18 = 11 + 4 * 2 * 4 + (2 * 4 + 3 * 2 * 8) + (2 * 8 + 3 * 2 * 16) + (2 * 16 + 3 * 2 * 32)
    assert field("resnet18", "layer4.1.relu2").size == (r18, r18)


def test_googlenet_by_arithmetic():
    # torchvision: 7x7/2, 3x3/2 pool, 1x1, 3x3, 3x3/2 pool -> 27 at jump 8; each Inception module's widest
    # branch is two stacked windows of 3 (its "5x5" is 3x3; the pool branch is 3x3 then 1x1) -> +2 jumps;
    # pools 3x3/2 then 2x2/2 before 4a and 5a
    size = 7 + 2 * 2 + 0 + 2 * 4 + 2 * 4          # 27 after maxpool2, jump 8
    size += 2 * (2 * 8) + 2 * 8                    # 3a, 3b; maxpool3 -> jump 16
    size += 5 * (2 * 16) + 1 * 16                  # 4a..4e; maxpool4 (2x2) -> jump 32
    size += 2 * (2 * 32)                           # 5a, 5b
    rf = field("googlenet", "inception5b.concat")
    assert rf.size == (size, size) and rf.jump == (32, 32)
