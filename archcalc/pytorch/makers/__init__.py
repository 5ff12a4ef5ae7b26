"""The torch twin of every layer kind: `make(attrs, inputs) -> nn.Module`, registered per kind by @makes.

One module per family of kinds beside this one (classic.py: the lecture's layers); each registers its makers
when imported, and every module here is imported the first time a maker is asked for. Inputs are the meta
tensors of the builder's dry run, so sizes (in_channels, in_features) come from torch itself.
"""

from __future__ import annotations

from typing import Callable

from ...core.autoload import import_modules

_MAKERS: dict = {}


def makes(kinds, layout: bool = False) -> Callable:
    """Register the decorated `make(attrs, inputs) -> nn.Module` for each kind (inputs: meta tensors).

    layout=True: the maker also takes `roles`, each input's axis roles without the batch (core/shape.py:
    "CSS" for CxHxW, "SC" for tokens x channels), for the kinds whose default axis is the channel axis
    wherever it lies (softmax, concat, slice, scale); the sizes still come from the tensors.
    """
    kinds = (kinds,) if isinstance(kinds, str) else tuple(kinds)

    def register(fn: Callable) -> Callable:
        call = fn if layout else (lambda a, xs, roles=(): fn(a, xs))
        for kind in kinds:
            if kind in _MAKERS:
                raise ValueError(f"torch builder registered twice for kind {kind!r}")
            _MAKERS[kind] = call
        return fn

    return register


def buildable_kinds() -> list:
    _load()
    """Every layer kind this builder can make (tests/pytorch/test_build.py compares it with the registry's)."""
    return sorted(_MAKERS)


def maker_of(kind: str):
    """The maker of `kind` as `make(attrs, inputs, roles) -> nn.Module`, or None."""
    _load()
    return _MAKERS.get(kind)


def _load() -> None:
    import_modules(__name__)  # each module of this package registers its makers
