"""Every published accuracy in archcalc.analyses.accuracy equals torchvision's own weight metadata; every fact's model
is a zoo entry whose analytic figures match the weights' documented parameter count and GMACs."""

from __future__ import annotations

import pytest

from archcalc.sources import analyze
from archcalc.analyses.accuracy import ACCURACY

torch = pytest.importorskip("torch")


def _weights(name: str):
    from archcalc.sources.torchvision_import import models

    enum_name, member = name.split(".")
    return getattr(models(), enum_name)[member]


@pytest.mark.parametrize("model", sorted(ACCURACY))
def test_fact_equals_torchvision_metadata(model):
    fact = ACCURACY[model]
    meta = _weights(fact.weights).meta
    assert meta["_metrics"]["ImageNet-1K"]["acc@1"] == fact.top1
    assert meta["_metrics"]["ImageNet-1K"]["acc@5"] == fact.top5
    report = analyze(model)
    assert report.totals["params"] == meta["num_params"]
    assert round(report.totals["macs"] / 1e9, 3) == pytest.approx(meta["_ops"], abs=0.0011)

