"""Everything that yields a Graph. `resolve` is the one dispatch from what a user names to a Graph.

Sources: a Graph or a Net as they are; a spec file by its suffix (SPEC_SUFFIXES, the one suffix table);
anything else is a zoo name. Readers of other formats join `resolve` here, each imported only when used.
"""

from __future__ import annotations

import functools

from ..core.engine import propagate
from ..core.ir import Graph
from ..core.report import Report
from ..errors import InputError
from .builder import Net

SPEC_SUFFIXES = (".yaml", ".yml", ".toml", ".json")
ONNX_SUFFIX = ".onnx"


def is_spec_path(model) -> bool:
    """True when `model` names a spec file by its suffix."""
    return isinstance(model, str) and model.lower().endswith(SPEC_SUFFIXES)


def resolve(model, input=None) -> Graph:
    """A Graph from a zoo name, a Net, a Graph, a spec file path (.yaml, .yml, .toml, .json), an ONNX file
    (.onnx), a PyTorch model (an nn.Module, or torchvision:NAME, timm:NAME, file.py:callable,
    package.module:callable).

    A PyTorch model is read at `input` (its default where None): sizes it reads from its tensors are
    answered at that input, so the graph is that input's.
    """
    if isinstance(model, Graph):
        return model
    if isinstance(model, Net):
        return model.graph()
    from .torch_models import is_module, is_torch_source

    if is_module(model):
        from .torch_fx import import_module

        if input is None:
            raise InputError(f"{type(model).__name__}: give the input size (input=(3, 224, 224) or '3xHxW')")
        return import_module(model, type(model).__name__, input, f"the module {type(model).__name__}")
    text = str(model)
    if is_spec_path(text):
        return load_spec(text)
    if text.lower().endswith(ONNX_SUFFIX):  # an ONNX file: read, never run (sources/onnx_file.py)
        from .onnx_file import load_onnx

        return load_onnx(text, input)
    if is_torch_source(text):
        return torch_graph(text, input)
    from . import zoo

    return zoo.get(text).graph()


def torch_graph(text: str, input=None, kwargs=None) -> Graph:
    """The Graph of a named PyTorch model at `input` (its default when None), built once per name."""
    from .torch_fx import import_module

    built = _torch_model(text, tuple(sorted((kwargs or {}).items())))
    size = input if input is not None else built.default_input
    if size is None:
        raise InputError(f"{text}: give the input size with --input (e.g. --input 3x224x224); the model declares "
                         "none")
    return import_module(built.module, text, size, built.source)


@functools.lru_cache(maxsize=8)
def _torch_model(text: str, kwargs: tuple):
    from .torch_models import load

    return load(text, dict(kwargs))


def analyze(model, input=None, batch: int = 1, dtype: str = "float32") -> Report:
    """Analyse a model at an input size ((3, 224, 224), '3x224x224' or '3xHxW'; the model's default if None).

    `model`: a zoo name, a spec file, a Net or Graph, an nn.Module, or torchvision:/timm:/file.py: names."""
    graph = resolve(model, input)
    return propagate(graph, input if input is not None else graph.default_input, batch, dtype)


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
