"""archcalc: what a convolutional network costs, computed analytically, layer by layer.

    >>> import archcalc
    >>> report = archcalc.analyze("vgg16", input=(3, 224, 224))
    >>> report.totals["params"]
    138357544
"""

from __future__ import annotations

from .builder import Net
from .engine import propagate
from .errors import ArchcalcError
from .ir import Graph
from .report import LayerStats, Report

__all__ = ["analyze", "resolve", "load_spec", "Net", "Graph", "Report", "LayerStats", "ArchcalcError",
           "zoo_names"]
__version__ = "0.1.0"
SPEC_SUFFIXES = (".yaml", ".yml", ".toml", ".json")


def resolve(model) -> Graph:
    """A Graph from a zoo name, a Net, a Graph, or a spec file path (.yaml, .yml, .toml, .json)."""
    if isinstance(model, Graph):
        return model
    if isinstance(model, Net):
        return model.graph()
    text = str(model)
    if text.lower().endswith(SPEC_SUFFIXES):
        return load_spec(text)
    from . import zoo

    return zoo.get(str(model)).graph()


def analyze(model, input=None, batch: int = 1, dtype: str = "float32") -> Report:
    """Analyse a model at an input size ((3, 224, 224), '3x224x224' or '3xHxW'; the model's default if None)."""
    return propagate(resolve(model), input, batch, dtype)


def load_spec(path) -> Graph:
    """Read a spec file (.yaml, .yml, .toml, .json) into a Graph; SpecError names file, line and key."""
    from .specs import load_spec as load

    return load(path)


def zoo_names() -> list:
    """Names of every zoo entry."""
    from . import zoo

    return zoo.names()
