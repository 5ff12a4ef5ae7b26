"""The torch twin of every layer kind: `make(attrs, inputs) -> nn.Module`, registered per kind by @makes.

One module per family of kinds beside this one (classic.py: the lecture's layers); each registers its makers
when imported, and every module here is imported the first time a maker is asked for. Inputs are the meta
tensors of the builder's dry run, so sizes (in_channels, in_features) come from torch itself.
"""

from __future__ import annotations

from typing import Callable

from ...core.autoload import import_modules

_MAKERS: dict = {}


def makes(kinds) -> Callable:
    """Register the decorated `make(attrs, inputs) -> nn.Module` for each kind (inputs: meta tensors)."""
    kinds = (kinds,) if isinstance(kinds, str) else tuple(kinds)

    def register(fn: Callable) -> Callable:
        for kind in kinds:
            if kind in _MAKERS:
                raise ValueError(f"torch builder registered twice for kind {kind!r}")
            _MAKERS[kind] = fn
        return fn

    return register


def buildable_kinds() -> list:
    _load()
    """Every layer kind this builder can make (tests/pytorch/test_build.py compares it with the registry's)."""
    return sorted(_MAKERS)


def maker_of(kind: str):
    """The maker of `kind`, or None."""
    _load()
    return _MAKERS.get(kind)


def _load() -> None:
    import_modules(__name__)  # each module of this package registers its makers
