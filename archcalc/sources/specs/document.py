"""Reading a spec file (YAML, JSON or TOML) into plain data, keeping the line of every key for messages.

Spec files are data: YAML is composed with PyYAML's safe loader (never a full loader) and only scalars are
constructed, by the safe constructor, so loading a file cannot run code. JSON is first checked by the json
module (JSON's own syntax rules and messages), then composed as YAML (JSON is a YAML subset) only to learn
the lines. TOML (tomllib) gives no positions: its messages name the key path alone.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import yaml

from ...errors import SpecError
from ...limits import MAX_NESTING
from ..files import read_text_file

# a YAML file whose aliases expand to more nodes than this is refused (the "billion laughs" file)
MAX_NODES = 200_000
PLAIN_TAGS = ("tag:yaml.org,2002:seq", "tag:yaml.org,2002:map")  # the only collection tags a spec may use


class SpecLoader(yaml.SafeLoader):
    """The safe loader with YAML 1.2's plain scalars where YAML 1.1 surprises: floats without a dot (1e-4)
    are numbers, not text; only true/false are booleans (yes, no, on, off stay text: `on: false` is a key)."""


_BOOL = "tag:yaml.org,2002:bool"
SpecLoader.yaml_implicit_resolvers = {  # a copy without YAML 1.1's booleans; SafeLoader keeps its own
    first: [(tag, regex) for tag, regex in resolvers if tag != _BOOL]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
SpecLoader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
SpecLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float", re.compile(r"^[-+]?[0-9]+(?:\.[0-9]*)?[eE][-+]?[0-9]+$"), list("-+0123456789"))


def format_path(path) -> str:
    """('layers', 2, 'kernel') -> 'layers[2].kernel'."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


@dataclass
class Document:
    """A spec file's data and, where the format has them, the 1-based line of each key path."""

    path: str
    data: object
    lines: dict = field(default_factory=dict)

    def line(self, path) -> Optional[int]:
        """The line of `path`, or of its nearest ancestor that has one (None for TOML)."""
        path = tuple(path)
        while True:
            if path in self.lines:
                return self.lines[path]
            if not path:
                return None
            path = path[:-1]

    def where(self, path) -> str:
        """'file:line: key.path' (no line for TOML; no key path for the whole file)."""
        line = self.line(path)
        head = f"{self.path}:{line}" if line is not None else self.path
        key = format_path(path)
        return f"{head}: {key}" if key else head

    def error(self, path, message: str) -> SpecError:
        return SpecError(f"{self.where(path)}: {message}")


def read_document(path: str) -> Document:
    """Read and parse a spec file; every failure is a one-line SpecError naming the file."""
    text = read_text_file(path, "spec file")
    if not text.strip():
        raise SpecError(f"{path}: the file is empty")
    suffix = Path(path).suffix.lower()
    try:
        if suffix == ".toml":
            doc = _toml(path, text)
        elif suffix == ".json":
            doc = _json(path, text)
        else:
            doc = Document(path, *_yaml(path, text))
    except RecursionError:  # the parsers recurse once per level of nesting
        raise SpecError(f"{path}: nested more than {MAX_NESTING} levels deep") from None
    except ValueError as err:  # e.g. an integer of more than 4300 digits, which int() refuses
        raise SpecError(f"{path}: {_one_line(err)}") from None
    _check_nesting(doc)
    return doc


def _one_line(err: Exception) -> str:
    return " ".join(str(err).split())


def _check_nesting(doc: "Document") -> None:
    """Refuse data nested deeper than MAX_NESTING (walked without recursion)."""
    stack = [(doc.data, ())]
    while stack:
        value, path = stack.pop()
        if len(path) > MAX_NESTING:
            raise doc.error(path[:MAX_NESTING], f"nested more than {MAX_NESTING} levels deep")
        if isinstance(value, dict):
            stack.extend((v, (*path, k)) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, (*path, i)) for i, v in enumerate(value))


def _toml(path: str, text: str) -> Document:
    try:
        return Document(path, tomllib.loads(text))
    except tomllib.TOMLDecodeError as err:
        raise SpecError(f"{path}: invalid TOML: {err}") from None


def _json(path: str, text: str) -> Document:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise SpecError(f"{path}:{err.lineno}: invalid JSON: {err.msg} (column {err.colno})") from None
    # Tabs are whitespace in JSON but cannot indent YAML; valid JSON has none inside strings, so replacing
    # them keeps every line. Should YAML read the text differently, keep JSON's data and go without lines.
    try:
        same, lines = _yaml(path, text.replace("\t", " "))
    except SpecError:
        return Document(path, data)
    return Document(path, data, lines) if same == data else Document(path, data)


def _yaml(path: str, text: str):
    try:
        root = yaml.compose(text, Loader=SpecLoader)
    except yaml.YAMLError as err:
        raise SpecError(_yaml_message(path, err)) from None
    if root is None:
        raise SpecError(f"{path}: the file is empty")
    lines: dict = {}
    walker = _NodeWalker(path, lines)
    try:
        data = walker.plain(root, ())
    except yaml.YAMLError as err:
        raise SpecError(_yaml_message(path, err)) from None
    return data, lines


def _yaml_message(path: str, err: yaml.YAMLError) -> str:
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    where = f"{path}:{mark.line + 1}" if mark is not None else path
    problem = getattr(err, "problem", None) or str(err).splitlines()[0]
    return f"{where}: invalid YAML: {problem}"


class _NodeWalker:
    """Turns a composed YAML node tree into dicts, lists and scalars, recording the line of each key path."""

    def __init__(self, path: str, lines: dict):
        self.path = path
        self.lines = lines
        self.constructor = yaml.constructor.SafeConstructor()
        self.own_keys: dict = {}
        self.active: set = set()  # ids of the nodes being walked: a recursive alias would never end
        self.nodes = 0

    def plain(self, node, path):
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise SpecError(f"{self.path}: the file expands to more than {MAX_NODES} values (aliases?)")
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.ScalarNode):
            return self.constructor.construct_object(node)
        if node.tag not in PLAIN_TAGS:  # e.g. !!python/object: ignored silently, it would mislead
            raise SpecError(f"{self.path}:{node.start_mark.line + 1}: {format_path(path) or 'top level'}: "
                            f"tag {node.tag.replace('tag:yaml.org,2002:', '!!')} is not allowed in a spec file")
        if id(node) in self.active:
            raise SpecError(f"{self.path}:{node.start_mark.line + 1}: {format_path(path)}: "
                            "an alias refers to itself")
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return [self.plain(item, (*path, i)) for i, item in enumerate(node.value)]
            # keys written here, not merged in with << (remembered: flattening changes an aliased node)
            own = self.own_keys.setdefault(id(node), {id(k) for k, _ in node.value})
            self.constructor.flatten_mapping(node)  # YAML merge keys: merged pairs first, so own keys win
            result, written = {}, set()
            for key_node, value_node in node.value:
                key = self.constructor.construct_object(key_node)
                line = key_node.start_mark.line + 1
                if not isinstance(key, str):
                    raise SpecError(f"{self.path}:{line}: {format_path(path) or 'top level'}: key {key!r} "
                                    "must be text")
                if key in written:
                    raise SpecError(f"{self.path}:{line}: {format_path((*path, key))}: key given twice")
                if id(key_node) in own:
                    written.add(key)
                self.lines[(*path, key)] = line
                result[key] = self.plain(value_node, (*path, key))
            return result
        finally:
            self.active.discard(id(node))
