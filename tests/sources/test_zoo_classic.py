"""The classic zoo against figures written as arithmetic from the papers' layer tables and the lecture."""

import pytest

import archcalc
from archcalc.sources import analyze


def conv(cin, cout, k, groups=1, bias=True):
    """Parameters of a conv layer, written out."""
    return k * k * (cin // groups) * cout + (cout if bias else 0)


def fc(n_in, n_out):
    return n_in * n_out + n_out


def test_alexnet_paper_parameters_layer_by_layer():
    # Krizhevsky et al. 2012, Fig. 2: conv2, conv4, conv5 connect only within a GPU (groups of 2)
    expected = {
        "conv1": conv(3, 96, 11), "conv2": conv(96, 256, 5, groups=2), "conv3": conv(256, 384, 3),
        "conv4": conv(384, 384, 3, groups=2), "conv5": conv(384, 256, 3, groups=2),
        "fc6": fc(256 * 6 * 6, 4096), "fc7": fc(4096, 4096), "fc8": fc(4096, 1000),
    }
    r = analyze("alexnet-paper")
    for name, params in expected.items():
        assert r.layer(name).params == params, name
    assert r.totals["params"] == sum(expected.values())  # the lecture's "60M"


def test_vgg16_parameters_from_its_configuration():
    widths = [64, 64, 128, 128, 256, 256, 256, 512, 512, 512, 512, 512, 512]  # Table 1, column D
    convs = sum(conv(cin, cout, 3) for cin, cout in zip([3] + widths[:-1], widths))
    fcs = fc(512 * 7 * 7, 4096) + fc(4096, 4096) + fc(4096, 1000)
    assert analyze("vgg16").totals["params"] == convs + fcs  # the lecture's "138M"


def test_vgg16_activations_per_image():
    # CS231n's "~24M activations * 4 bytes ~ 96MB/image (forward only)": sum of conv/pool outputs
    sizes = [(64, 224)] * 2 + [(64, 112)] + [(128, 112)] * 2 + [(128, 56)] + [(256, 56)] * 3 + [(256, 28)] \
        + [(512, 28)] * 3 + [(512, 14)] + [(512, 14)] * 3 + [(512, 7)]
    conv_pool = sum(c * s * s for c, s in sizes)
    r = analyze("vgg16")
    counted = sum(s.activation_elems for s in r.layers if s.kind in ("conv", "maxpool"))
    assert counted == conv_pool


def test_inception_naive_branch_macs_and_total():
    r = analyze("inception-naive")
    one, three, five = 28 * 28 * 128 * 1 * 1 * 256, 28 * 28 * 192 * 3 * 3 * 256, 28 * 28 * 96 * 5 * 5 * 256
    assert r.layer("branch1").macs == one
    assert r.layer("branch2.1").macs == three  # the lecture: 28 * 28 * 192 * 3 * 3 * 256
    assert r.layer("branch3.1").macs == five
    assert r.totals["macs"] == one + three + five  # the lecture's "854M"
    assert r.layers[-1].out_shape.as_list() == [128 + 192 + 96 + 256, 28, 28]  # 672


def test_inception_bottleneck_branch_macs_and_total():
    r = analyze("inception-bottleneck")
    reduce = 28 * 28 * 64 * 1 * 1 * 256
    expected = {
        "branch1": 28 * 28 * 128 * 256, "branch2.0": reduce, "branch2.1": 28 * 28 * 192 * 3 * 3 * 64,
        "branch3.0": reduce, "branch3.1": 28 * 28 * 96 * 5 * 5 * 64, "branch4.1": reduce,
    }
    for name, macs in expected.items():
        assert r.layer(name).macs == macs, name
    assert r.totals["macs"] == sum(expected.values())
    assert r.layers[-1].out_shape.as_list() == [128 + 192 + 96 + 64, 28, 28]  # 480


def test_residual_bottleneck_block():
    r = analyze("residual-bottleneck")
    assert r.totals["params"] == conv(256, 64, 1, bias=False) + conv(64, 64, 3, bias=False) \
        + conv(64, 256, 1, bias=False) + 2 * (64 + 64 + 256)  # + BN scale and shift
    assert r.layers[-1].out_shape.as_list() == [256, 28, 28]


def test_residual_basic_block():
    r = analyze("residual-basic")
    assert r.totals["params"] == 2 * conv(64, 64, 3, bias=False) + 2 * 2 * 64


def test_googlenet_paper_uses_5x5_branches_and_torchvision_3x3():
    paper, tv = analyze("googlenet-paper"), analyze("googlenet")
    assert paper.layer("inception3a.branch3.1").params == conv(16, 32, 5)
    assert tv.layer("inception3a.branch3.1.conv").params == conv(16, 32, 3, bias=False)


# Szegedy et al. 2014, Table 1, column "params": weights only (no biases), in K = 1024 elements, rounded.
# Rows that agree with the table's own filter columns. The table's params for 4a (364K), 4c (463K),
# 4d (580K), 4e (840K), 5a (1072K) and 5b (1388K) do not follow from its filter columns (computed: 366.75K,
# 497.5K, 590.5K, 847K, 1018K, 1409K), nor does conv1's 2.7K (computed 9.2K; see the next test).
GOOGLENET_TABLE1_PARAMS_K = {
    "conv2": 112, "inception3a": 159, "inception3b": 380, "inception4b": 437, "fc": 1000,
}


def test_googlenet_paper_weights_against_table_1():
    r = analyze("googlenet-paper")
    for group, published_k in GOOGLENET_TABLE1_PARAMS_K.items():
        names = ("conv2_reduce", "conv2") if group == "conv2" else (group,)
        weights = sum(s.weights for s in r.layers if s.name.split(".")[0] in names)
        assert abs(weights / 1024 - published_k) <= 1, group


def test_googlenet_paper_table_1_conv1_figure_is_wrong():
    # Table 1 prints 2.7K for the 7x7/2 conv with 64 filters on 3 channels; the computation gives 9.2K.
    weights = analyze("googlenet-paper").layer("conv1").weights
    assert weights == 7 * 7 * 3 * 64
    assert round(weights / 1024, 1) != 2.7


def test_googlenet_aux_heads():
    aux = analyze("googlenet-paper-aux").totals["params"] - analyze("googlenet-paper").totals["params"]
    # each head: 1x1 conv 128 on 512 or 528 channels, FC 128*4*4 -> 1024, FC 1024 -> 1000 (Sec. 5)
    assert aux == conv(512, 128, 1) + conv(528, 128, 1) + 2 * (fc(128 * 4 * 4, 1024) + fc(1024, 1000))


def test_zfnet_sizes_match_figure_3():
    r = analyze("zfnet")
    sizes = {n: r.layer(n).out_shape.spatial[0] for n in ("conv1", "pool1", "conv2", "pool2", "conv5", "pool5")}
    assert sizes == {"conv1": 110, "pool1": 55, "conv2": 26, "pool2": 13, "conv5": 13, "pool5": 6}


def test_lenet5_parameters():
    r = analyze("lenet5")
    assert r.totals["params"] == conv(1, 6, 5) + conv(6, 16, 5) + conv(16, 120, 5) + fc(120, 84) + fc(84, 10)


def test_resnet50_paper_moves_the_stride_to_the_first_1x1():
    tv, paper = analyze("resnet50"), analyze("resnet50-paper")
    assert tv.totals["params"] == paper.totals["params"]
    # layer2.0: torchvision's conv1 runs at 56x56, the paper's at 28x28 (stride 2 on it)
    assert tv.layer("layer2.0.conv1").out_shape.spatial == (56, 56)
    assert paper.layer("layer2.0.conv1").out_shape.spatial == (28, 28)
    assert paper.totals["macs"] < tv.totals["macs"]


@pytest.mark.parametrize("name", archcalc.zoo_names())
def test_every_entry_has_a_source_and_a_default_input(name):
    entry = archcalc.sources.zoo.get(name)
    assert entry.source and len(entry.input) == 3
