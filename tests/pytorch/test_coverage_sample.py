"""The PyTorch importer's reach, pinned: every torchvision classifier, and a fixed sample of timm models.

Each model goes through `archcalc.pytorch.coverage.check` (parameters against `module.parameters()`, MACs
against FlopCounterMode / 2 on the meta device, output shape, and the same at 3x199x199). A torchvision
classifier must be "ok", except those listed in TORCHVISION_UNSUPPORTED, which must be "unsupported" with
the importer's reason: when support changes either way, this fails loudly and the list is updated. The
timm sample is drawn from the models that `benchmarks/coverage.py --timm` found "ok"
(reports/coverage/timm.md), one or two small ones per family.
"""

from __future__ import annotations

import pytest

from archcalc.pytorch.coverage import check
from archcalc.sources.torchvision_import import import_torchvision

tv = import_torchvision()  # before timm, which imports torchvision

TORCHVISION_CLASSIFIERS = tv.models.list_models(module=tv.models)

# Refused today (reports/coverage/torchvision.md); each with a piece of text one of its reasons must hold.
TORCHVISION_UNSUPPORTED: dict = {}  # none: Swin and MaxViT were the last (tests/pytorch/test_swin_import.py)

# Found "ok" by the timm sweep: small members of many families (convnets, ViTs, MLP-mixers, EfficientNet-like
# NAS nets, RegNets, windowed and relative-position transformers, ...), each checked in a second or two.
TIMM_SAMPLE = [
    "resnet10t", "seresnet18", "resnetv2_18", "resnext26ts", "legacy_seresnet18",  # ResNet family
    "regnetx_002", "regnety_002", "regnetz_005",  # RegNets
    "efficientnet_b0", "efficientnet_lite0", "efficientnet_es", "mobilenetv2_050", "mobilenetv3_small_050",
    "mobilenetv4_conv_small", "mnasnet_small", "semnasnet_050", "spnasnet_100", "fbnetc_100", "tinynet_e",
    "mixnet_s", "lcnet_035", "hardcorenas_a",  # EfficientNet / MobileNet-style NAS nets
    "rexnet_100", "repvgg_a0", "ghostnet_100", "repghostnet_050", "ghostnetv2_100", "fasternet_t0",
    "starnet_s050", "dla46_c", "selecsls42", "darknet17", "cs3darknet_focus_s", "gernet_s", "mambaout_femto",
    # other convnets
    "deit_tiny_patch16_224", "vit_tiny_patch16_224", "flexivit_small",  # ViTs
    "mixer_s16_224", "gmixer_12_224", "gmlp_ti16_224", "resmlp_12_224",  # MLP-mixers
    "tf_efficientnet_b0", "tf_mobilenetv3_small_minimal_100", "crossvit_tiny_240",  # the sized trace
    "swin_tiny_patch4_window7_224", "swinv2_cr_tiny_224", "maxvit_tiny_tf_224", "davit_tiny",  # windows
    "nf_resnet26", "coatnet_rmlp_nano_rw_224", "vit_relpos_small_patch16_224", "beitv2_base_patch16_224",
    "efficientformer_l1",  # parameter-derived tensors
    "eva02_tiny_patch14_224", "convnextv2_atto", "xcit_nano_12_p16_224",  # rotary tables, GRN
    "cait_xxs24_224", "pit_ti_224", "coat_lite_tiny", "ecaresnet26t",  # layouts
]


def _figures(result) -> str:
    return (f"{result.model}: {result.status}; params {result.params} vs torch {result.torch_params}, MACs "
            f"{result.macs} vs {result.torch_macs}, shape {result.shape} vs {result.torch_shape}, odd size: "
            f"{result.odd}; reasons: {result.reasons}")


def test_the_unsupported_list_names_torchvision_classifiers():
    assert set(TORCHVISION_UNSUPPORTED) <= set(TORCHVISION_CLASSIFIERS)


@pytest.mark.parametrize("name", TORCHVISION_CLASSIFIERS)
def test_torchvision_classifier(name):
    result = check(f"torchvision:{name}")
    if name in TORCHVISION_UNSUPPORTED:
        assert result.status == "unsupported", (
            f"{name} is listed as unsupported but is now {result.status}: update TORCHVISION_UNSUPPORTED. "
            + _figures(result))
        assert result.reasons and all(r.strip() for r in result.reasons)
        expected = TORCHVISION_UNSUPPORTED[name]
        assert any(e in r for r in result.reasons for e in expected), (
            f"{name}: none of {expected} in its reasons {result.reasons}")
    else:
        assert result.status == "ok", _figures(result)
        assert (result.params, result.macs, result.shape) == (result.torch_params, result.torch_macs,
                                                              result.torch_shape)


@pytest.mark.parametrize("name", TIMM_SAMPLE)
def test_timm_sample(name):
    result = check(f"timm:{name}")
    assert result.status == "ok", _figures(result)
    assert (result.params, result.macs, result.shape) == (result.torch_params, result.torch_macs, result.torch_shape)
