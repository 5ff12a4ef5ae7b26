"""archcalc's spec-to-torch builder: it covers every kind, and the module it builds from each zoo entry has,
layer by layer, the engine's output shapes and parameters (torch sizes the layers itself, from tensors)."""

from __future__ import annotations

import pytest

import torch

import archcalc  # noqa: E402
from archcalc import Net
from archcalc.sources import zoo  # noqa: E402
from archcalc.errors import ArchcalcError  # noqa: E402
from archcalc.pytorch.build import build_module, buildable_kinds  # noqa: E402
from archcalc.core.rules import known_kinds  # noqa: E402

ENTRIES = zoo.entries()


def test_builder_covers_every_engine_kind():
    # the other per-kind facts live in the rule registry (tests/core/test_registry.py); the torch makers
    # live here, beside torch
    assert set(known_kinds()) <= set(buildable_kinds())


def _hooked_shapes(module, shape):
    shapes = {}
    handles = [m.register_forward_hook(lambda mod, a, o, n=n: shapes.__setitem__(n, list(o.shape[1:])))
               for n, m in module.layer_modules.items()]
    with torch.no_grad():
        module(torch.zeros((1, *shape), device="meta"))
    for h in handles:
        h.remove()
    return shapes


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.name for e in ENTRIES])
def test_zoo_entry_builds_with_the_engines_shapes_and_parameters(entry):
    graph = entry.graph()
    module = build_module(graph, device="meta")
    report = archcalc.analyze(graph)
    shapes = _hooked_shapes(module, entry.input)
    for s in report.layers:
        own = module.layer_modules[s.name]
        assert shapes[s.name] == s.out_shape.as_list(), s.name
        assert sum(p.numel() for p in own.parameters(recurse=False)) == s.params, s.name
        assert sum(b.numel() for b in own.buffers(recurse=False)) == s.buffers, s.name
    assert sum(p.numel() for p in module.parameters()) == report.totals["params"]


def test_torchvision_names_give_torchvisions_state_dict():
    from archcalc.pytorch.torchvision_models import build_torchvision

    ours = build_module(zoo.get("resnet18").graph(), device="meta").state_dict()
    theirs = build_torchvision("resnet18").state_dict()
    assert {k: tuple(v.shape) for k, v in ours.items()} == {k: tuple(v.shape) for k, v in theirs.items()}


def test_forward_on_cpu_returns_the_last_layer():
    net = Net("tiny", input=(3, 9, 9))
    x = net.conv(net.input, 4, 3, name="c")
    y = net.relu(x, inplace=True, name="r")
    net.add([y, net.conv(net.input, 4, 3, name="s")], name="sum")
    torch.manual_seed(0)
    module = build_module(net.graph(), init=True)
    inp = torch.randn(2, 3, 9, 9)
    layers = module.layer_modules
    expected = torch.relu(layers["c"](inp)) + layers["s"](inp)
    assert torch.allclose(module(inp), expected)
    assert module(inp).shape == (2, 4, 7, 7)


def test_groups_dilation_and_non_square_kernels():
    net = Net("odd", input=(4, 17, 23))
    net.conv(net.input, 6, (3, 5), stride=(2, 1), padding=(1, 2), dilation=(2, 1), groups=2, bias=False, name="c")
    module = build_module(net.graph(), device="meta")
    conv = module.layer_modules["c"]
    assert conv.weight.shape == (6, 4 // 2, 3, 5) and conv.bias is None
    # (17 + 2*1 - (2*(3-1)+1))/2 + 1 = 8 (floor of 8); (23 + 2*2 - 5)/1 + 1 = 23
    assert _hooked_shapes(module, (4, 17, 23))["c"] == [6, 8, 23]


def test_names_torch_forbids_are_renamed_but_still_mapped():
    net = Net("clash", input=(1, 8, 8))
    net.relu(net.conv(net.input, 2, 3, name="forward"), name="training")
    module = build_module(net.graph(), device="meta")
    assert module.module_names["forward"] != "forward"
    assert isinstance(module.layer_modules["forward"], torch.nn.Conv2d)


def test_a_layer_torch_cannot_apply_is_named():
    net = Net("bad", input=(3, 8, 8))
    net.layer("conv", archcalc.core.ir.Conv(4, (3, 3), groups=2), net.input, name="split")  # 3 channels, 2 groups
    with pytest.raises(ArchcalcError, match="'split'"):
        build_module(net.graph(), device="meta")


def test_symbolic_input_is_refused():
    with pytest.raises(ArchcalcError, match="positive integer"):
        build_module(zoo.get("alexnet").graph(), device="meta", input=("3", "H", "W"))
