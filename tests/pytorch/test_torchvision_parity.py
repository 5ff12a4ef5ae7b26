"""Every zoo entry named after a torchvision model is exactly torchvision's architecture.

Expected values come from the real torchvision model (meta device: no memory, no init), and from fvcore's
count of the same model at the entry's default input; never from the engine. Parametrised over
`archcalc.sources.zoo.entries()`, so every new torchvision-named entry is covered.
"""

from __future__ import annotations

import pytest

import torch

import archcalc  # noqa: E402
from archcalc.sources import zoo  # noqa: E402

TORCHVISION_ENTRIES = [e for e in zoo.entries() if e.torchvision]
IDS = [e.name for e in TORCHVISION_ENTRIES]


@pytest.fixture(scope="module")
def tv_models():
    from archcalc.pytorch.torchvision_models import build_torchvision

    cache = {}

    def get(entry):
        if entry.name not in cache:
            cache[entry.name] = build_torchvision(entry, device="meta")
        return cache[entry.name]
    return get


def test_there_are_torchvision_entries():
    assert {"alexnet", "vgg16", "googlenet", "resnet152"} <= set(IDS)


@pytest.mark.parametrize("entry", TORCHVISION_ENTRIES, ids=IDS)
def test_parameters_and_buffers_equal_torchvision(entry, tv_models):
    model = tv_models(entry)
    totals = archcalc.analyze(entry.name).totals
    assert totals["params"] == sum(p.numel() for p in model.parameters())
    assert totals["buffers"] == sum(b.numel() for b in model.buffers())


@pytest.mark.parametrize("entry", TORCHVISION_ENTRIES, ids=IDS)
def test_layer_shapes_and_parameters_equal_torchvision_where_names_line_up(entry, tv_models):
    model = tv_models(entry)
    report = archcalc.analyze(entry.name, batch=1)
    modules = dict(model.named_modules())
    lined = {s.name: s for s in report.layers if s.name in modules}
    weighted = [s for s in report.layers if s.kind in ("conv", "linear")]
    assert all(s.name in modules for s in weighted), "every conv and linear uses torchvision's module name"
    shapes, calls = {}, {}

    def hook_for(name):
        def hook(module, args, output):
            calls[name] = calls.get(name, 0) + 1
            shapes[name] = list(output.shape[1:])
        return hook

    handles = [modules[n].register_forward_hook(hook_for(n)) for n in lined]
    with torch.no_grad():
        model(torch.zeros((1, *entry.input), device="meta"))
    for h in handles:
        h.remove()
    compared = 0
    for name, s in lined.items():
        if calls.get(name) == 1:
            assert s.out_shape.as_list() == shapes[name], name
            compared += 1
        if next(modules[name].children(), None) is None:
            own = sum(p.numel() for p in modules[name].parameters(recurse=False))
            assert s.params == own, name
    assert compared >= len(weighted)


@pytest.mark.torch
@pytest.mark.parametrize("entry", TORCHVISION_ENTRIES, ids=IDS)
def test_conv_and_linear_macs_equal_fvcore(entry, tv_models):
    from archcalc.pytorch.counters import fvcore_macs, skips_modules_at_inference

    model = tv_models(entry)
    # GoogLeNet's auxiliary heads run only in training mode: count them there
    counts = fvcore_macs(model, entry.input, training=skips_modules_at_inference(model, entry.input))
    report = archcalc.analyze(entry.name)
    by_kind = {"conv": 0, "linear": 0}
    for s in report.layers:
        if s.kind in by_kind:
            by_kind[s.kind] += s.macs
    assert by_kind["conv"] == counts["conv"]
    assert by_kind["linear"] == counts["linear"]
    assert report.totals["macs"] == counts["conv"] + counts["linear"]


@pytest.mark.parametrize("entry", TORCHVISION_ENTRIES, ids=IDS)
def test_macs_equal_flop_counter_mode_halved(entry, tv_models):
    from archcalc.pytorch.counters import FLOP_COUNTER_FLOPS_PER_MAC, flop_counter_flops, skips_modules_at_inference

    model = tv_models(entry)
    flops = flop_counter_flops(model, entry.input, training=skips_modules_at_inference(model, entry.input))
    assert archcalc.analyze(entry.name).totals["macs"] * FLOP_COUNTER_FLOPS_PER_MAC == flops


def test_vgg16_figures_quoted_in_environment_notes():
    # ENVIRONMENT.md, as seen with torch 2.13: vgg16 at 224 has 138,357,544 params and FlopCounterMode
    # counts 30,940,528,640 flops (2 per MAC).
    totals = archcalc.analyze("vgg16").totals
    assert totals["params"] == 138_357_544
    assert 2 * totals["macs"] == 30_940_528_640
