"""Registries filled by the modules of their package: each module registers its kinds when imported."""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache


@lru_cache(maxsize=None)  # once per package: later calls cost a dictionary look-up
def import_modules(package: str) -> None:
    """Import every module of `package` (a dotted name), in sorted order."""
    path = importlib.import_module(package).__path__
    for module in sorted(m.name for m in pkgutil.iter_modules(path)):
        importlib.import_module(f"{package}.{module}")
