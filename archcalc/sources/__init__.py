"""Everything that yields a Graph. `resolve` is the one dispatch from what a user names to a Graph.

Sources: a Graph or a Net as they are; a spec file by its suffix (SPEC_SUFFIXES, the one suffix table);
anything else is a zoo name. Readers of other formats join `resolve` here, each imported only when used.
"""

from __future__ import annotations

from ..core.engine import propagate
from ..core.ir import Graph
from ..core.report import Report
from .builder import Net

SPEC_SUFFIXES = (".yaml", ".yml", ".toml", ".json")


def is_spec_path(model) -> bool:
    """True when `model` names a spec file by its suffix."""
    return isinstance(model, str) and model.lower().endswith(SPEC_SUFFIXES)


def resolve(model) -> Graph:
    """A Graph from a zoo name, a Net, a Graph, or a spec file path (.yaml, .yml, .toml, .json)."""
    if isinstance(model, Graph):
        return model
    if isinstance(model, Net):
        return model.graph()
    text = str(model)
    if is_spec_path(text):
        return load_spec(text)
    from . import zoo

    return zoo.get(text).graph()


def analyze(model, input=None, batch: int = 1, dtype: str = "float32") -> Report:
    """Analyse a model at an input size ((3, 224, 224), '3x224x224' or '3xHxW'; the model's default if None)."""
    return propagate(resolve(model), input, batch, dtype)


def load_spec(path) -> Graph:
    """Read a spec file (.yaml, .yml, .toml, .json) into a Graph; SpecError names file, line and key."""
    from .specs import load_spec as load

    return load(path)


def zoo_entry(model):
    """The zoo entry that `model` names, or None when it is not a zoo name (a Net, a Graph, a spec file)."""
    if not isinstance(model, str) or is_spec_path(model):
        return None
    from ..errors import UnknownModelError
    from . import zoo

    try:
        return zoo.get(model)
    except UnknownModelError:
        return None


def zoo_names() -> list:
    """Names of every zoo entry."""
    from . import zoo

    return zoo.names()
