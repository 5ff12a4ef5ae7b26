"""Every spec file in examples/ gives the same report as the zoo entry it describes, layer by layer.

The zoo entries are built independently, in Python, with the builder (archcalc/zoo/*.py); the examples are
data files read by archcalc.sources.specs. Each example must be paired here (a zoo twin, or a check against torch), so a new example needs one.
A few figures are also written as arithmetic, so that the pairing cannot hide a shared mistake.
"""

from pathlib import Path

import pytest

import archcalc
from archcalc.cli import run

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

# example file -> (zoo entry, prefix of the zoo's layers it describes; "" for the whole model)
TWINS = {
    "vgg16.yaml": ("vgg16", ""),
    "vgg16.toml": ("vgg16", ""),
    "inception-bottleneck.yaml": ("inception-bottleneck", ""),
    "inception-naive.json": ("inception-naive", ""),
    "resnet50-layer2.yaml": ("resnet50", "layer2."),
    "resnet50.yaml": ("resnet50", ""),
    "googlenet.yaml": ("googlenet", ""),
}


def figures(layer, rename_input=None):
    """What a report says of one layer (the input node renamed when comparing a part of a model)."""
    inputs = tuple(rename_input if (n == "input" and rename_input) else n for n in layer.inputs)
    return (layer.name, layer.kind, inputs, tuple(str(s) for s in layer.in_shapes), str(layer.out_shape),
            layer.weights, layer.biases, layer.buffers, layer.macs, layer.other_ops, layer.activation_elems,
            layer.derivation)


# examples with no zoo twin: each is checked against the torch module built from it (tests/pytorch/test_ranks.py,
# test_examples_modern.py, test_plumbing_torch.py)
VERIFIED_BY_TORCH = ("m5-audio.yaml", "c3d.yaml", "mobilenetv2-stage.yaml", "se-resnet-bottleneck.yaml", "unet.yaml",
                     "shufflenetv2-unit.yaml", "convnext-block.yaml", "vit-tiny.yaml", "vit-tiny-block.yaml")


def test_every_example_has_a_twin():
    shipped = sorted(p.name for p in EXAMPLES.iterdir() if p.suffix in (".yaml", ".yml", ".toml", ".json"))
    assert shipped == sorted([*TWINS, *VERIFIED_BY_TORCH])


@pytest.mark.parametrize("example", sorted(TWINS))
def test_example_matches_zoo_layer_by_layer(example):
    zoo_name, prefix = TWINS[example]
    spec = archcalc.analyze(str(EXAMPLES / example))
    zoo = archcalc.analyze(zoo_name)
    twins = [layer for layer in zoo.layers if layer.name.startswith(prefix)]
    first_input = None
    if prefix:  # a part of a model: the spec's input is what the zoo feeds that part
        first = twins[0]
        assert [spec.input] == list(first.in_shapes)
        first_input = first.inputs[0]
    assert [figures(s, first_input) for s in spec.layers] == [figures(z) for z in twins]
    if not prefix:
        assert spec.totals == zoo.totals
        assert spec.input == zoo.input
    else:
        for key in ("weights", "biases", "buffers", "macs", "other_ops", "activation_elems"):
            assert sum(getattr(s, key) for s in spec.layers) == sum(getattr(z, key) for z in twins)


def test_inception_naive_costs_the_lectures_854m_ops():
    """The lecture's figure: 1x1 conv 128, 3x3 conv 192, 5x5 conv 96 on 28x28x256 = 854M multiply-adds."""
    report = archcalc.analyze(str(EXAMPLES / "inception-naive.json"))
    assert report.totals["macs"] == 28 * 28 * 128 * 1 * 1 * 256 + 28 * 28 * 192 * 3 * 3 * 256 + 28 * 28 * 96 * 5 * 5 * 256
    assert report.layers[-1].out_shape.as_list() == [128 + 192 + 96 + 256, 28, 28]


def test_vgg16_example_parameters_by_arithmetic():
    convs = [(3, 64), (64, 64), (64, 128), (128, 128), (128, 256), (256, 256), (256, 256),
             (256, 512), (512, 512), (512, 512), (512, 512), (512, 512), (512, 512)]
    fcs = [(512 * 7 * 7, 4096), (4096, 4096), (4096, 1000)]
    expected = sum(3 * 3 * i * o + o for i, o in convs) + sum(i * o + o for i, o in fcs)
    for example in ("vgg16.yaml", "vgg16.toml"):
        assert archcalc.analyze(str(EXAMPLES / example)).totals["params"] == expected


def test_resnet_stage_example_by_arithmetic():
    """Stage 2 of ResNet-50 on 256x56x56: the first block strides and projects, three keep the shape."""
    report = archcalc.analyze(str(EXAMPLES / "resnet50-layer2.yaml"))
    first = 256 * 128 + 3 * 3 * 128 * 128 + 128 * 512 + 256 * 512  # conv1, conv2, conv3, projection
    rest = 512 * 128 + 3 * 3 * 128 * 128 + 128 * 512
    bn = 2 * (128 + 128 + 512)  # scale and shift of bn1, bn2, bn3
    assert report.totals["params"] == first + 2 * 512 + 3 * rest + 4 * bn
    assert report.layers[-1].out_shape.as_list() == [512, 28, 28]
    assert report.layer("layer2.0.downsample.0").out_shape.as_list() == [512, 28, 28]
    assert [n for n in (layer.name for layer in report.layers) if n.endswith(".add")] == \
        [f"layer2.{i}.add" for i in range(4)]


def test_example_through_the_cli(capsys):
    code = run(["summary", str(EXAMPLES / "resnet50-layer2.yaml"), "--depth", "2", "-f", "csv"])
    out, err = capsys.readouterr()
    assert code == 0 and err == ""
    assert [line.split(",")[0] for line in out.splitlines()[1:]] == [f"layer2.{i}" for i in range(4)]


def test_example_input_can_be_overridden():
    report = archcalc.analyze(str(EXAMPLES / "vgg16.yaml"), input=(3, 256, 256))
    assert report.layer("features.30").out_shape.as_list() == [512, 256 // 32, 256 // 32]
