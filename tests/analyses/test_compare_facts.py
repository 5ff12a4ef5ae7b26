"""Every published accuracy in archcalc.analyses.accuracy equals torchvision's own weight metadata; every fact's model
is a zoo entry whose analytic figures match the weights' documented parameter count and GMACs."""

from __future__ import annotations

import pytest

from archcalc.sources import analyze, zoo_names
from archcalc.analyses.accuracy import ACCURACY, LECTURE_MODELS, LECTURE_WORDS, WORD_LEVELS

torch = pytest.importorskip("torch")


def _weights(name: str):
    from archcalc.pytorch.torchvision_import import models

    enum_name, member = name.split(".")
    return getattr(models(), enum_name)[member]


@pytest.mark.parametrize("model", sorted(ACCURACY))
def test_fact_equals_torchvision_metadata(model):
    fact = ACCURACY[model]
    meta = _weights(fact.weights).meta
    assert meta["_metrics"]["ImageNet-1K"]["acc@1"] == fact.top1
    assert meta["_metrics"]["ImageNet-1K"]["acc@5"] == fact.top5
    if model not in zoo_names():
        pytest.skip(f"{model} is not (yet) in the zoo")
    report = analyze(model)
    assert report.totals["params"] == meta["num_params"]
    assert round(report.totals["macs"] / 1e9, 3) == pytest.approx(meta["_ops"], abs=0.0011)


def test_lecture_words_have_levels():
    assert set(LECTURE_WORDS) == set(LECTURE_MODELS)
    assert all(w is None or w in WORD_LEVELS for words in LECTURE_WORDS.values() for w in words)
