"""The engine on whole graphs: totals are layer sums, depth, diagnostics, errors, symbolic inputs."""

import pytest

import archcalc
from archcalc import Net
from archcalc.sources import analyze
from archcalc.errors import ArchcalcError, InputError, ShapeError

ZOO = archcalc.zoo_names()


@pytest.mark.parametrize("name", ZOO)
def test_totals_are_layer_sums(name):
    r = analyze(name)
    assert r.totals["params"] == sum(s.params for s in r.layers)
    assert r.totals["macs"] == sum(s.macs for s in r.layers)
    assert r.totals["flops"] == 2 * r.totals["macs"]
    assert r.totals["activation_bytes"] == 4 * sum(s.activation_elems for s in r.layers)
    assert r.totals["param_bytes"] == 4 * r.totals["params"]


def test_alexnet_paper_conv1_and_pool1():
    r = analyze("alexnet-paper", input=(3, 227, 227))
    conv1, pool1 = r.layer("conv1"), r.layer("pool1")
    assert conv1.out_shape.as_list() == [96, (227 - 11) // 4 + 1, (227 - 11) // 4 + 1]
    assert (conv1.weights, conv1.biases) == (11 * 11 * 3 * 96, 96)
    assert conv1.derivation == "(227 - 11)/4 + 1 = 55"
    assert pool1.out_shape.as_list() == [96, 27, 27] and pool1.params == 0


def test_alexnet_paper_at_224_warns_and_suggests_227():
    r = analyze("alexnet-paper", input="3x224x224")
    warnings = [d for d in r.diagnostics if d["level"] == "warning" and d["layer"] == "conv1"]
    assert len(warnings) == 1
    assert "54.25" in warnings[0]["message"] and "input of 227" in warnings[0]["message"]


def test_batch_and_dtype_scale_memory_and_macs():
    one = analyze("vgg16")
    eight = analyze("vgg16", batch=8, dtype="float16")
    assert eight.totals["macs"] == 8 * one.totals["macs"]
    assert eight.totals["activation_bytes"] == 8 * one.totals["activation_bytes"] // 2
    assert eight.totals["params"] == one.totals["params"]


@pytest.mark.parametrize("name, depth", [
    ("vgg16", 13 + 3),            # 13 convs + 3 FC (Simonyan & Zisserman Table 1, column D)
    ("vgg19", 16 + 3),
    ("alexnet-paper", 5 + 3),
    ("googlenet", 22),            # the lecture's "22 layers" (Szegedy et al.: 22 layers with parameters)
    ("resnet18", 1 + 2 * 2 * 4 + 1),
    ("resnet152", 1 + 3 * (3 + 8 + 36 + 3) + 1),
])
def test_depth_counts_weighted_layers_on_the_longest_path(name, depth):
    assert analyze(name).totals["depth"] == depth


def test_kernel_larger_than_input_names_the_layer():
    with pytest.raises(ShapeError, match=r"layer 'conv1'.*kernel 11 is larger than its input 8"):
        analyze("alexnet-paper", input=(3, 8, 8))


def test_size_below_one_deep_in_the_net_names_that_layer():
    with pytest.raises(ShapeError, match=r"layer 'pool5'"):
        analyze("alexnet-paper", input=(3, 63, 63))


def test_bad_batch_and_dtype():
    with pytest.raises(InputError, match="batch"):
        analyze("vgg16", batch=0)
    with pytest.raises(InputError, match="dtype 'int3'"):
        analyze("vgg16", dtype="int3")


def test_unknown_model_suggests_the_closest():
    with pytest.raises(ArchcalcError, match="did you mean vgg16"):
        analyze("vgg61")


def test_concat_of_unequal_sizes_is_an_error():
    net = Net("t", input=(3, 8, 8))
    a = net.conv(net.input, 4, 3)
    b = net.conv(net.input, 4, 1)
    net.concat([a, b], name="join")
    with pytest.raises(ShapeError, match="layer 'join'.*different spatial sizes"):
        analyze(net)


@pytest.mark.parametrize("name", ["alexnet-paper", "vgg16", "googlenet", "resnet50", "inception-naive",
                                  "zfnet", "lenet5"])
def test_symbolic_input_evaluated_at_numbers_equals_the_numeric_run(name):
    import sympy

    default = archcalc.sources.zoo.get(name).input
    sym = analyze(name, input=f"{default[0]}xHxW")
    num = analyze(name)
    H, W = sympy.symbols("H W", positive=True, integer=True)
    at = {H: default[1], W: default[2]}
    for key in ("params", "macs", "other_ops", "activation_bytes"):
        value = sym.totals[key]
        value = value if isinstance(value, int) else int(value.subs(at))
        assert value == num.totals[key], key
    for s_layer, n_layer in zip(sym.layers, num.layers):
        dims = [d if isinstance(d, int) else int(d.subs(at)) for d in s_layer.out_shape.as_list()]
        assert dims == n_layer.out_shape.as_list(), s_layer.name


def test_symbolic_channels_give_params_per_c_squared():
    # one 7x7 conv C -> C without bias: 49 C^2 weights (the lecture's VGG argument)
    import sympy

    net = Net("t", input="Cx32x32")
    net.conv(net.input, 1, 7, bias=False)
    C = sympy.Symbol("C", positive=True, integer=True)
    assert analyze(net, input="Cx32x32").totals["params"] == 49 * C


def test_json_follows_the_schema():
    import json

    data = json.loads(analyze("vgg16").to_json())
    assert data["schema"] == 2 and data["model"] == "vgg16" and data["input"] == [3, 224, 224]
    assert data["input_roles"] == "CSS" and data["layers"][-1]["output_roles"] == "C"
    first = data["layers"][0]
    assert first["kind"] == "conv" and first["output_shape"] == [64, 224, 224]
    assert first["params"] == 3 * 3 * 3 * 64 + 64
    assert first["macs"] == 224 * 224 * 64 * 3 * 3 * 3 and first["flops"] == 2 * first["macs"]
    assert first["activation_bytes"] == 64 * 224 * 224 * 4
    assert first["receptive_field"] == {"size": [3, 3], "jump": [1, 1], "start": [0.5, 0.5]}
    assert first["derivation"] == "(224 + 2*1 - 3)/1 + 1 = 224"
    assert set(data["totals"]) >= {"params", "trainable_params", "macs", "flops", "other_ops",
                                   "activation_bytes", "param_bytes", "depth"}


def test_to_pandas_has_a_row_per_layer():
    r = analyze("resnet18")
    frame = r.to_pandas()
    assert len(frame) == len(r.layers)
    assert frame["params"].sum() == r.totals["params"]
