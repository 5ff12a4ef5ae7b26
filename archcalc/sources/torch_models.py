"""PyTorch models named by the user: `torchvision:NAME?key=value`, `timm:NAME`, `path/to/file.py:callable`,
`package.module:callable`. Each is built without weights (weights=None, pretrained=False), on the meta
device where it builds there (no memory, no initialisation), else on the CPU; then handed to the importer.

torch, torchvision and timm are imported here only when such a source is named.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from ..errors import InputError, UnknownModelError

PREFIXES = ("torchvision:", "timm:")
_FILE = re.compile(r"^(?P<path>.+\.py):(?P<name>[A-Za-z_][\w.]*)$")
_DOTTED = re.compile(r"^(?P<path>[A-Za-z_][\w]*(\.[A-Za-z_]\w*)*):(?P<name>[A-Za-z_][\w.]*)$")


@dataclass
class TorchModel:
    """A module built from a source, with what the importer needs to know about it."""

    module: Any
    name: str  # the source as the user wrote it, e.g. torchvision:resnet18
    default_input: Optional[tuple]
    source: str  # where it comes from, in words
    kwargs: dict = field(default_factory=dict)


def is_torch_source(text) -> bool:
    """True when `text` names a PyTorch model (torchvision:, timm:, file.py:callable, package.module:callable)."""
    if not isinstance(text, str):
        return False
    name = text.partition("?")[0]
    return name.startswith(PREFIXES) or bool(_FILE.match(name)) or bool(_DOTTED.match(name))


def is_module(value) -> bool:
    """True for a torch.nn.Module, without importing torch when it is not loaded."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(value, torch.nn.Module)


def parse_value(text: str):
    """A keyword argument's value: true/false, none, an int, a float, else the text."""
    low = text.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("none", "null"):
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def split_kwargs(text: str) -> tuple:
    """'googlenet?aux_logits=false&init_weights=false' -> ('googlenet', {'aux_logits': False, ...})."""
    name, _, query = text.partition("?")
    kwargs = {}
    for part in filter(None, query.split("&")):
        key, eq, value = part.partition("=")
        if not eq or not key.isidentifier():
            raise InputError(f"'{text}': expected key=value after '?', got '{part}'")
        kwargs[key] = parse_value(value)
    return name, kwargs


def load(text: str, kwargs: Optional[dict] = None) -> TorchModel:
    """Build the model `text` names; InputError/UnknownModelError in one line when it cannot be built."""
    name, inline = split_kwargs(text)
    kwargs = {**inline, **(kwargs or {})}
    if name.startswith("torchvision:"):
        return _torchvision(name[len("torchvision:"):], text, kwargs)
    if name.startswith("timm:"):
        return _timm(name[len("timm:"):], text, kwargs)
    match = _FILE.match(name)
    if match is not None:
        factory = _from_file(match["path"], match["name"], text)
    else:
        match = _DOTTED.match(name)
        if match is None:
            raise UnknownModelError(f"'{text}' names no PyTorch model (torchvision:NAME, timm:NAME, file.py:callable "
                                    "or package.module:callable)")
        factory = _from_package(match["path"], match["name"], text)
    module = _build(factory, kwargs, text)
    return TorchModel(module, text, _declared_input(module, factory), f"{match['path']}:{match['name']}", kwargs)


def _build(factory, kwargs: dict, text: str):
    """Call the class or factory on the meta device; where it does not build there (RegNet computes its
    widths with .tolist()), on the CPU, then moved to meta: the importer needs no weights."""
    import torch

    try:
        with torch.device("meta"):
            module = factory(**kwargs)
    except (NotImplementedError, RuntimeError):
        try:
            module = factory(**kwargs)
            if isinstance(module, torch.nn.Module):
                module = module.to("meta")
        except Exception as err:  # the user's code: any exception is theirs, told in one line
            raise InputError(f"{text}: building the model failed: {type(err).__name__}: {_first(err)}") from None
    except TypeError as err:
        raise InputError(f"{text}: building the model failed: {_first(err)} (give keyword arguments with "
                         "--kwargs or after '?')") from None
    except Exception as err:
        raise InputError(f"{text}: building the model failed: {type(err).__name__}: {_first(err)}") from None
    if not isinstance(module, torch.nn.Module):
        raise InputError(f"{text}: the callable returned {type(module).__name__}, not a torch.nn.Module")
    return module.eval()


def _first(err) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def _torchvision(name: str, text: str, kwargs: dict) -> TorchModel:
    from .torchvision_import import import_torchvision

    tv = import_torchvision()
    known = tv.models.list_models()
    if name not in known:
        import difflib

        close = difflib.get_close_matches(name, known, n=3)
        hint = f"; did you mean {' or '.join('torchvision:' + c for c in close)}?" if close else ""
        raise UnknownModelError(f"unknown torchvision model '{name}'{hint}")
    import inspect

    builder = tv.models.get_model_builder(name)
    fixed = {"weights": None}
    if "weights_backbone" in inspect.signature(builder).parameters:  # segmentation: no backbone download either
        fixed["weights_backbone"] = None
    module = _build(lambda **kw: builder(**{**fixed, **kw}), kwargs, text)
    return TorchModel(module, text, _torchvision_input(tv, name, module), f"torchvision.models.{name} (weights=None)",
                      kwargs)


def _torchvision_input(tv, name: str, module) -> tuple:
    """The model's own image_size (ViT), else the crop size of its default weights' transforms (299 for
    inception_v3), else 224."""
    if isinstance(getattr(module, "image_size", None), int):
        return (3, module.image_size, module.image_size)
    try:
        crop = tv.models.get_model_weights(name).DEFAULT.transforms().crop_size
        size = crop[0] if isinstance(crop, (list, tuple)) else int(crop)
    except Exception:  # a model without published weights, or transforms without a crop size
        size = 224
    return (3, size, size)


def _timm(name: str, text: str, kwargs: dict) -> TorchModel:
    from .torchvision_import import import_torchvision

    import_torchvision()  # timm imports torchvision: the workaround first
    try:
        import timm
    except ImportError:
        raise InputError(f"{text}: timm is not installed (pip install timm, or the [torch] extra)") from None
    if not timm.is_model(name):
        import difflib

        close = difflib.get_close_matches(name, timm.list_models(), n=3)
        hint = f"; did you mean {' or '.join('timm:' + c for c in close)}?" if close else ""
        raise UnknownModelError(f"unknown timm model '{name}'{hint}")
    module = _build(lambda **kw: timm.create_model(name, pretrained=False, **kw), kwargs, text)
    cfg = getattr(module, "pretrained_cfg", None) or {}
    size = tuple(cfg.get("input_size") or (3, 224, 224))
    return TorchModel(module, text, size, f"timm {name} (pretrained=False)", kwargs)


def _torchvision_first() -> None:
    """A user's file or package may import torchvision (or timm, which does): the CPU workaround first."""
    from .torchvision_import import import_torchvision

    try:
        import_torchvision()
    except ImportError:  # torchvision is not installed: the user's code needs none, or says so itself
        pass


def _from_file(path: str, attr: str, text: str):
    file = Path(path)
    _torchvision_first()
    if not file.is_file():
        raise InputError(f"{text}: no such file: {path}")
    spec = importlib.util.spec_from_file_location(f"archcalc_user_{abs(hash(str(file.resolve())))}", file)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as err:  # the user's file: any exception, in one line
        raise InputError(f"{text}: importing {path} failed: {type(err).__name__}: {_first(err)}") from None
    return _attribute(module, attr, text)


def _from_package(path: str, attr: str, text: str):
    _torchvision_first()
    try:
        module = importlib.import_module(path)
    except Exception as err:
        raise InputError(f"{text}: importing {path} failed: {type(err).__name__}: {_first(err)}") from None
    return _attribute(module, attr, text)


def _attribute(module, attr: str, text: str):
    value = module
    for part in attr.split("."):
        if not hasattr(value, part):
            owner = getattr(module, "__name__", "the module")
            if owner.startswith("archcalc_user_"):  # a user's file, imported under a name of ours: its file name
                owner = Path(module.__file__).name
            raise InputError(f"{text}: {owner} has no '{attr}'")
        value = getattr(value, part)
    if not callable(value):
        raise InputError(f"{text}: '{attr}' is not a class or a function")
    return value


def _declared_input(module, factory) -> Optional[tuple]:
    """A default input the model declares: `input_size` on the module or the callable, e.g. (3, 224, 224)."""
    for owner in (module, factory):
        size = getattr(owner, "input_size", None)
        if isinstance(size, (tuple, list)) and size and all(isinstance(d, int) and d > 0 for d in size):
            return tuple(size)
    return None
