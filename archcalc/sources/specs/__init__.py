"""User spec files (YAML, TOML, JSON) into the IR: `load_spec(path) -> Graph`.

    name: tiny                      # the model's name (default: the file's stem)
    source: my notes, 2024          # where the architecture comes from
    input: [3, 32, 32]              # or "3x32x32", "3xHxW"
    blocks:                         # named blocks, defined once, used with parameters
      conv_relu:
        params: [width]             # required parameters
        defaults: {kernel: 3}       # optional ones
        layers:
          - {kind: conv, out_channels: $width, kernel: $kernel, padding: 1}
          - {kind: relu}
    layers:
      - {block: conv_relu, width: 16, repeat: 2}
      - {kind: global_avgpool}

The entries are described in expand.py, the file formats in document.py, the layer kinds in kinds.py.
Errors are SpecErrors naming the file, the line (YAML, JSON) and the key path. Layers remember where they
came from in Graph.extras["spec_locations"] (layer name -> "file:line: key.path"), so that an error found
at analysis time (a kernel larger than its input) can name the line too.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path

from ..builder import Net
from ...errors import InputError
from ...core.ir import Graph
from ...core.shape import parse_input
from .document import Document, read_document
from .expand import RESERVED_PARAMS, Block, Expander, Frame
from .kinds import spec_kinds

__all__ = ["load_spec", "spec_kinds", "TOP_KEYS", "BLOCK_KEYS"]

TOP_KEYS = ("name", "source", "description", "input", "channels_last", "notes", "blocks", "layers")
BLOCK_KEYS = ("params", "defaults", "layers", "description")
IDENTIFIER = re.compile(r"^[A-Za-z_]\w*$")


def load_spec(path) -> Graph:
    """Read a spec file (.yaml, .yml, .toml, .json) into a Graph; SpecError on any problem."""
    doc = read_document(str(path))
    data = doc.data
    if not isinstance(data, dict):
        raise doc.error((), "a spec file must be a mapping with at least 'layers'")
    _check_keys(doc, data, TOP_KEYS, ())
    name = _text(doc, data, "name", Path(str(path)).stem)
    source = _text(doc, data, "source", f"spec file {path}")
    if "description" in data:
        _text(doc, data, "description", "")
    notes = data.get("notes", [])
    if not isinstance(notes, list) or not all(isinstance(n, str) and n.isprintable() for n in notes):
        raise doc.error(("notes",), "notes must be a list of text lines (one line each, printable)")
    channels_last = data.get("channels_last", False)
    if not isinstance(channels_last, bool):
        raise doc.error(("channels_last",), f"channels_last must be true or false, got {channels_last!r}")
    default_input = _input(doc, data.get("input"))
    if channels_last and (default_input is None or len(default_input) < 2):
        raise doc.error(("channels_last",), "channels_last needs an input of 2 or more axes, such as 197x192 "
                                            "(tokens x channels)")
    net = Net(name, default_input, source, notes, channels_last=channels_last)
    net.channels_free = True  # a spec's layers take their input channels from the input, whatever it is
    blocks = _blocks(doc, data.get("blocks", {}))
    if "layers" not in data:
        raise doc.error((), "the spec has no 'layers'")
    if not isinstance(data["layers"], list) or not data["layers"]:
        raise doc.error(("layers",), "layers must be a non-empty list of layer entries")
    expander = Expander(doc, net, blocks)
    try:
        expander.sequence(data["layers"], ("layers",), net.input, Frame())
    except RecursionError:  # nesting within the limits, multiplied by blocks used inside blocks
        raise doc.error(("layers",), "the entries nest too deeply (groups and blocks within each other)") from None
    if not net.layers:
        raise doc.error(("layers",), "the spec makes no layer (every entry is empty or has if: false)")
    net.extras["spec_locations"] = expander.locations
    return net.graph()


def _check_keys(doc: Document, data: dict, allowed, path) -> None:
    for key in data:
        if key not in allowed:
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = f"; did you mean {close[0]}?" if close else f" (keys: {', '.join(allowed)})"
            raise doc.error((*path, key), f"unknown key '{key}'{hint}")


def _text(doc: Document, data: dict, key: str, default: str) -> str:
    value = data.get(key, default)
    if not isinstance(value, str) or not value.strip():
        raise doc.error((key,), f"{key} must be non-empty text, got {value!r}")
    if not value.isprintable():
        raise doc.error((key,), f"{key} must be one line of printable text, got {value!r}")
    return value


def _input(doc: Document, raw):
    """The default input size: [3, 224, 224], '3x224x224' or '3xHxW'; None when the file gives none."""
    if raw is None:
        return None
    if isinstance(raw, list) and raw and all(isinstance(d, (int, str)) and not isinstance(d, bool) for d in raw):
        text = "x".join(str(d) for d in raw)
    elif isinstance(raw, str):
        text = raw
    else:
        raise doc.error(("input",), f"input must be a list such as [3, 224, 224] or text such as '3x224x224', "
                                    f"got {raw!r}")
    try:
        return tuple(parse_input(text).as_list())
    except InputError as err:
        raise doc.error(("input",), str(err)) from None


def _blocks(doc: Document, raw) -> dict:
    """Block definitions by name, checked for their own keys (their entries are checked where used)."""
    if not isinstance(raw, dict):
        raise doc.error(("blocks",), "blocks must be a mapping of block name to definition")
    blocks = {}
    for name, definition in raw.items():
        path = ("blocks", name)
        if not isinstance(definition, dict):
            raise doc.error(path, "a block definition must be a mapping with 'layers' (and 'params', 'defaults')")
        _check_keys(doc, definition, BLOCK_KEYS, path)
        params = definition.get("params", [])
        if not isinstance(params, list):
            raise doc.error((*path, "params"), "params must be a list of parameter names")
        defaults = definition.get("defaults", {})
        if not isinstance(defaults, dict):
            raise doc.error((*path, "defaults"), "defaults must be a mapping of parameter name to value")
        for i, param in enumerate(params):
            _param_name(doc, param, (*path, "params", i))
            if param in defaults:
                raise doc.error((*path, "defaults", param), f"parameter '{param}' is in both params and defaults")
        for param in defaults:
            _param_name(doc, param, (*path, "defaults", param))
        layers = definition.get("layers")
        if not isinstance(layers, list) or not layers:
            raise doc.error((*path, "layers"), f"block '{name}' needs a non-empty list of layers")
        blocks[name] = Block(name, tuple(params), dict(defaults), layers, path)
    return blocks


def _param_name(doc: Document, param, path) -> None:
    if not isinstance(param, str) or not IDENTIFIER.match(param):
        raise doc.error(path, f"a parameter name must be a word such as width, got {param!r}")
    if param in RESERVED_PARAMS:
        raise doc.error(path, f"'{param}' is reserved and cannot name a parameter "
                              f"(reserved: {', '.join(sorted(RESERVED_PARAMS))})")
