"""The analytic receptive field against the measured one: the non-zero gradient of one output unit of the
real torch model (positive weights, identity activations, max pools as window means, float64)."""

import pytest

import torch

from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

from archcalc import Net  # noqa: E402
from archcalc.pytorch.empirical_field import measure_field  # noqa: E402
from archcalc.sources.stack import LayerSpec, build_graph, parse_layer_list  # noqa: E402

torch.set_num_threads(1)  # the machine's cores are shared


@pytest.mark.parametrize("model, layer, size", [
    # Araujo, Norris, Sim, Distill 2019, table in google-research/receptive_field RECEPTIVE_FIELD_TABLE.md:
    # alexnet_v2/pool5 195, vgg_16/pool5 212 (same kernels and strides as torchvision's)
    ("alexnet", "features.12", 195),
    ("vgg16", "features.30", 212),
    # arithmetic (tests/core/test_receptive.py spells it out): stem 11 at jump 4, then 2 jumps per 3x3
    ("resnet18", "layer4.1.relu2", 11 + 4 * 2 * 4 + (2 * 4 + 3 * 2 * 8) + (2 * 8 + 3 * 2 * 16)
     + (2 * 16 + 3 * 2 * 32)),
    ("resnet50", "layer4.2.relu3", 11 + 3 * 2 * 4 + (2 * 4 + 3 * 2 * 8) + (2 * 8 + 5 * 2 * 16)
     + (2 * 16 + 2 * 2 * 32)),
    ("googlenet", "inception5b.concat", 27 + 2 * (2 * 8) + 2 * 8 + 5 * (2 * 16) + 16 + 2 * (2 * 32)),
])
def test_torchvision_models_last_feature_map(model, layer, size):
    m = measure_field(model, layer)  # at the smallest input that contains one unit's whole field
    assert m.source == f"torchvision.models.{model}"
    assert m.measured_size == (size, size)
    assert m.measured == m.analytic  # the same pixels, not only the same extent


def test_default_layer_is_the_last_feature_map():
    m = measure_field("alexnet")
    assert m.layer == "avgpool" and m.measured_size == (195, 195) and m.agrees


@pytest.mark.parametrize("model, size", [
    ("inception-bottleneck", 1 + 4),  # widest branch: 1x1 then 5x5
    ("residual-basic", 1 + 2 + 2),    # two 3x3 on the long path; the identity is narrower
])
def test_modules_through_archcalc_builder(model, size):
    m = measure_field(model)
    assert m.source == "archcalc.pytorch.build.build_module"
    assert m.measured_size == (size, size) and m.agrees


def test_misaligned_branches_measure_their_union():
    # on 12 pixels a 3x3/3 conv with padding 0 and one with padding 1 both give 4 outputs, but unit i sees
    # [3i, 3i+3) through the first and [3i-1, 3i+2) through the second: together [3i-1, 3i+3), 4 pixels
    net = Net("misaligned", input=(1, 12, 12))
    a = net.conv(net.input, 1, 3, 3, 0)
    b = net.conv(net.input, 1, 3, 3, 1)
    net.add([a, b])
    m = measure_field(net)
    assert m.measured_size == (4, 4) and m.agrees


def test_input_too_small_is_an_error():
    from archcalc.errors import InputError

    with pytest.raises(InputError, match="use an input of at least"):
        measure_field("alexnet", "features.12", (3, 224, 224))


@st.composite
def layer_specs(draw):
    kind = draw(st.sampled_from(["conv", "maxpool", "avgpool"]))
    k = draw(st.integers(1, 5))
    s = draw(st.integers(1, 3))
    d = draw(st.integers(1, 3)) if kind != "avgpool" else 1
    limit = (d * (k - 1) + 1) // 2 if kind == "conv" else k // 2  # PyTorch: pool padding <= kernel / 2
    p = draw(st.integers(0, limit))
    kh = draw(st.sampled_from([k, max(1, k - 1)]))  # sometimes non-square
    return LayerSpec(kind, (kh, k), (s, s), (min(p, kh // 2) if kind != "conv" else p, p), (d, d))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(layer_specs(), min_size=1, max_size=4))
def test_random_stacks_analytic_equals_empirical(layers):
    text = ",".join(l.text() for l in layers)
    spec = parse_layer_list(text)
    assert spec.layers == tuple(layers)  # the grammar round-trips
    m = measure_field(build_graph(spec, 1, name=text))
    assert m.measured == m.analytic, (text, m)
