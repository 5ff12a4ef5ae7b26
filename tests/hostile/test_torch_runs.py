"""Hostile sizes for the commands that run torch (bench, verify, rf --empirical): refused before any tensor
is made, in one line, however large the batch or the input."""

from __future__ import annotations

import pytest

from test_inputs import one_line_error

pytestmark = pytest.mark.torch


@pytest.mark.parametrize("argv, fragment", [
    (["bench", "alexnet", "--device", "cpu", "--batch", "100000000", "--repeats", "1", "--warmup", "0"],
     "at batch 100000000"),
    (["verify", "alexnet", "--batch", "1000000"], "at batch 1000000"),
    (["verify", "lenet5", "--input", "1x1000000000x1000000000"], "input 1x1000000000x1000000000"),
    (["rf", "alexnet", "--empirical", "--input", "3x900000x900000"], "use a smaller --input"),
])
def test_runs_that_cannot_fit_are_refused_first(capsys, argv, fragment):
    one_line_error(capsys, argv, "GB", fragment)


def test_verify_accepts_a_legal_network_whose_batch_norm_sees_one_value(capsys):
    """resnet50 at 32x32 ends in 1x1 maps: torch cannot train its batch norms at batch 1, so the sizing dry
    run is in eval mode and the saved-for-backward check moves to batch 2, saying so."""
    import json

    from archcalc.cli import run

    code = run(["verify", "resnet50", "--input", "3x32x32", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and data["ok"], [c for c in data["checks"] if not c["ok"]][:3]
    assert any("checked at batch 2" in n for n in data["notes"])
