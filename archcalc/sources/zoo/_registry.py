"""The zoo's registry: entries and name patterns, registered by the family modules beside this one.

Family modules are imported lazily, in FAMILIES order, and only as far as a lookup needs; listings come
in FAMILIES order whatever order the modules happened to be imported in.
"""

from __future__ import annotations

import difflib
import importlib
import re
from dataclasses import dataclass, field
from typing import Callable, Optional

from ..builder import Net
from ...errors import UnknownModelError
from ...core.ir import Graph

# families in the order `archcalc list` shows them; a module not named here is loaded after these
FAMILIES = ("lenet", "alexnet", "zfnet", "vgg", "googlenet", "resnet", "nin", "preact", "wide", "resnext",
            "stochastic", "fractal", "densenet", "squeezenet")


@dataclass(frozen=True)
class ZooEntry:
    """A named architecture: how to build it, where it comes from, what input it expects."""

    name: str
    build: Callable  # build(net, **options) adds the layers to `net`
    source: str
    input: tuple
    family: str
    description: str = ""
    torchvision: Optional[str] = None  # torchvision.models builder of the same architecture
    torchvision_kwargs: dict = field(default_factory=dict)
    options: dict = field(default_factory=dict)  # fixed options for build (parametrised families)

    def graph(self, **options) -> Graph:
        net = Net(self.name, self.input, self.source)
        self.build(net, **{**self.options, **options})
        return net.graph()


@dataclass(frozen=True)
class ZooPattern:
    """A family named by its parameters, e.g. wrn-(depth)-(width)."""

    regex: str
    make: Callable  # make(match) -> ZooEntry
    examples: tuple


_ENTRIES: dict = {}
_PATTERNS: list = []


def register(name: str, *, source: str, input: tuple, family: str, description: str = "",
             torchvision: Optional[str] = None, torchvision_kwargs: Optional[dict] = None, **options):
    """Decorator: register `build(net, **options)` under `name`."""
    def decorate(fn: Callable) -> Callable:
        if name in _ENTRIES:
            raise ValueError(f"zoo entry {name!r} registered twice")
        _ENTRIES[name] = ZooEntry(name, fn, source, tuple(input), family, description, torchvision,
                                  dict(torchvision_kwargs or {}), dict(options))
        return fn
    return decorate


def register_pattern(regex: str, make: Callable, examples) -> None:
    """Register a parametrised family: names matching `regex` are built by `make(match)`."""
    _PATTERNS.append(ZooPattern(regex, make, tuple(examples)))


def register_family(regex: str, make: Callable, examples) -> None:
    """Any name matching `regex` builds; the paper's examples are also named entries (so `list` shows them)."""
    register_pattern(regex, make, examples)
    for example in examples:
        entry = make(re.fullmatch(regex, example))
        register(entry.name, source=entry.source, input=entry.input, family=entry.family,
                 description=entry.description, torchvision=entry.torchvision,
                 torchvision_kwargs=entry.torchvision_kwargs, **entry.options)(entry.build)


_pending = None  # family modules not imported yet, in FAMILIES order


PACKAGE = __name__.rpartition(".")[0]


def _families() -> list:
    import pkgutil

    present = {m.name for m in pkgutil.iter_modules(importlib.import_module(PACKAGE).__path__)
               if not m.name.startswith("_")}
    return [f for f in FAMILIES if f in present] + sorted(present - set(FAMILIES))


def _load(until: Optional[str] = None) -> None:
    """Import family modules (each registers its entries); with `until`, stop once that name exists.

    Looking up one name imports only the modules up to its family: `summary resnet152` does not pay for the
    families after ResNet.
    """
    global _pending
    if _pending is None:
        _pending = _families()
    while _pending and (until is None or until not in _ENTRIES):
        importlib.import_module(f"{PACKAGE}.{_pending.pop(0)}")


def _family_rank(module: str) -> int:
    families = _families()
    family = module.rpartition(".")[2]
    return families.index(family) if family in families else len(families)


def entries() -> list:
    """Every named entry: families in FAMILIES order, each family's entries in registration order."""
    _load()
    return sorted(_ENTRIES.values(), key=lambda e: _family_rank(e.build.__module__))


def names() -> list:
    _load()
    named = [e.name for e in entries()]
    return named + [e for p in _PATTERNS for e in p.examples if e not in _ENTRIES]


def get(name: str) -> ZooEntry:
    """The entry called `name`; an unknown name raises with the closest names."""
    _load(until=name)
    if name in _ENTRIES:
        return _ENTRIES[name]
    for pattern in _PATTERNS:
        match = re.fullmatch(pattern.regex, name)
        if match:
            return pattern.make(match)
    lowered = name.lower().replace("_", "").replace("-", "")
    for known in _ENTRIES:
        if known.lower().replace("_", "").replace("-", "") == lowered:
            raise UnknownModelError(f"unknown model '{name}'; did you mean {known}?")
    close = difflib.get_close_matches(name, names(), n=6, cutoff=0.5)
    close = sorted(close, key=lambda c: sorted(c) != sorted(name))[:3]  # a transposition (vgg61) first
    hint = f"; did you mean {' or '.join(close)}?" if close else "; 'archcalc list' shows the zoo"
    raise UnknownModelError(f"unknown model '{name}'{hint}")
