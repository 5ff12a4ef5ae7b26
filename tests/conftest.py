"""Markers: `torch` (needs the [torch] extra) and `slow` (minutes). The default `pytest -q` runs everything.

Every test under tests/pytorch/ is marked `torch`; tests elsewhere that need torch carry the marker
themselves. Without torch, `pytest -m "not torch"` runs the rest, and tests/pytorch/ is not even imported;
a plain run without torch fails loudly instead of skipping what it cannot check.
"""

from __future__ import annotations

from pathlib import Path

import pytest

TORCH_TESTS = Path(__file__).resolve().parent / "pytorch"


def _torch_deselected(config) -> bool:
    """True when the -m expression leaves out tests marked torch."""
    expression = config.option.markexpr
    if not expression:
        return False
    from _pytest.mark.expression import Expression  # pytest's own evaluator of -m expressions

    return not Expression.compile(expression).evaluate(lambda name, **_: name == "torch")


def pytest_ignore_collect(collection_path, config):
    if _torch_deselected(config) and TORCH_TESTS in (Path(collection_path), *Path(collection_path).parents):
        return True
    return None


def pytest_collection_modifyitems(config, items):
    for item in items:
        if TORCH_TESTS in Path(item.fspath).parents:
            item.add_marker(pytest.mark.torch)
