"""Expanding a spec's layer entries into builder calls: blocks with parameters, repeats, scopes, branches.

An entry is a mapping with exactly one of these keys, which says what it is:
  kind      one layer (its other keys are the layer's fields, plus `name`)
  block     a use of a named block (its other keys are the block's parameters)
  layers    a group of entries in sequence
  branches  parallel branches from the same input, joined (concat by default)
  residual  a body added to a shortcut (identity, or the entries under `shortcut`); join add by default
Any entry may also carry `repeat: N` and `if: BOOL`. Every error names the file, line and key path.
"""

from __future__ import annotations

import difflib
import math
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Optional

from ...errors import ArchcalcError, SpecError
from ...limits import MAX_BLOCK_DEPTH, MAX_LAYERS, MAX_SIZE
from . import kinds
from .document import Document

FORMS = ("kind", "block", "layers", "branches", "residual")
COMMON = ("repeat", "if")
FORM_KEYS = {  # the keys each form takes besides its own, COMMON, and layer / parameter / join fields
    "kind": ("name",),
    "block": ("scope", "numbered"),
    "layers": ("scope", "numbered"),
    "branches": ("scope", "numbered", "join", "name"),
    "residual": ("shortcut", "scope", "numbered", "join", "name"),
}
DEFAULT_JOIN = {"branches": "concat", "residual": "add"}
RESERVED_PARAMS = {"block", "scope", "numbered", "index", *COMMON}
PARAM = re.compile(r"\$(?:\{(\w+)\}|(\w+))")  # $name or ${name}
INDEX = re.compile(r"\$(?:\{index\}|index\b)")


# fields where a negative number counts from the end, as in torch (dim=-1, reshape to [-1, 64])
COUNTS_FROM_END = {"dim", "dims", "dim0", "dim1", "start_dim", "end_dim", "sizes"}


@dataclass(frozen=True)
class Block:
    """A block definition: required parameters, defaults, its entries, and where it is defined."""

    name: str
    params: tuple
    defaults: dict
    layers: object
    path: tuple


@dataclass(frozen=True)
class Frame:
    """The parameter values in force while expanding one block use (none at the top level)."""

    args: dict = field(default_factory=dict)
    block: Optional[str] = None
    used_at: str = ""


@dataclass
class Naming:
    """One scope's naming state: whether unnamed layers take numbers, and the next number ($index)."""

    numbered: bool = False
    next_index: int = 0


class Expander:
    """Walks the entries once, calling the builder; records where each layer came from."""

    def __init__(self, doc: Document, net, blocks: dict):
        self.doc = doc
        self.net = net
        self.blocks = blocks
        self.locations: dict = {}  # layer name -> "file:line: key.path", for errors found at analysis time
        self.count = 0
        self.naming = [Naming()]
        self.expanding: list = []  # blocks being expanded, outermost first (a block may not use itself)

    # --- errors and values ----------------------------------------------------------------------------
    def fail(self, path, message: str, frame: Frame) -> SpecError:
        """A SpecError at `path`; inside a block, also where the block was used."""
        suffix = f" (in block '{frame.block}', used at {frame.used_at})" if frame.block else ""
        return self.doc.error(path, message + suffix)

    def value(self, raw, path, frame: Frame):
        """`raw` with the block's parameters put in: '$p' is p's value, 'x${p}y' is text; $index stays."""
        if isinstance(raw, list):
            return [self.value(v, (*path, i), frame) for i, v in enumerate(raw)]
        if not isinstance(raw, str) or "$" not in raw:
            return raw
        whole = PARAM.fullmatch(raw)
        if whole and (whole.group(1) or whole.group(2)) != "index":
            return self.arg(whole.group(1) or whole.group(2), path, frame)

        def put(match):
            name = match.group(1) or match.group(2)
            return match.group(0) if name == "index" else str(self.arg(name, path, frame))

        return PARAM.sub(put, raw)

    def arg(self, name: str, path, frame: Frame):
        if name in frame.args:
            return frame.args[name]
        if frame.block is None:
            raise self.fail(path, f"${name}: parameters exist only inside a block definition", frame)
        close = difflib.get_close_matches(name, list(frame.args), n=1)
        hint = f"; did you mean ${close[0]}?" if close else f"; its parameters: {', '.join(frame.args) or 'none'}"
        raise self.fail(path, f"${name} is not a parameter of block '{frame.block}'{hint}", frame)

    def label(self, raw, path, frame: Frame) -> str:
        """A layer or scope name: parameters put in, each $index the next number of the enclosing scope."""
        text = self.value(raw, path, frame)
        if isinstance(text, bool) or not isinstance(text, (str, int)):
            raise self.fail(path, f"a name must be text, got {text!r}", frame)
        naming = self.naming[-1]

        def number(match):
            naming.next_index += 1
            return str(naming.next_index - 1)

        text = INDEX.sub(number, str(text))
        if not text.strip():
            raise self.fail(path, "a name must not be empty", frame)
        return text

    def flag(self, e: dict, key: str, path, frame: Frame, default=False) -> bool:
        value = self.value(e.get(key, default), (*path, key), frame)
        if not isinstance(value, bool):
            raise self.fail((*path, key), f"{key} must be true or false, got {value!r}", frame)
        return value

    # --- entries ----------------------------------------------------------------------------------------
    def sequence(self, entries, path, x: str, frame: Frame) -> str:
        """Entries one after the other (a single mapping counts as one entry); returns the last node."""
        if isinstance(entries, dict):
            return self.entry(entries, path, x, frame)
        if not isinstance(entries, list):
            raise self.fail(path, f"expected a list of layer entries, got {entries!r}", frame)
        for i, e in enumerate(entries):
            x = self.entry(e, (*path, i), x, frame)
        return x

    def entry(self, e, path, x: str, frame: Frame) -> str:
        if not isinstance(e, dict):
            raise self.fail(path, f"a layer entry must be a mapping such as {{kind: conv, ...}}, got {e!r}",
                            frame)
        forms = [f for f in FORMS if f in e]
        if len(forms) != 1:
            found = f"this one has {' and '.join(forms)}" if forms else f"this one has {', '.join(e) or 'no keys'}"
            raise self.fail(path, f"an entry needs exactly one of {', '.join(FORMS)}; {found}", frame)
        form = forms[0]
        if "if" in e and not self.flag(e, "if", path, frame):
            return x
        handler = getattr(self, f"_{form}")
        for _ in range(self.repeat(e, path, frame)):
            before = self.count
            x = handler(e, path, x, frame)
            if self.count == before:  # a body that makes no layer makes none the next time either
                break
        return x

    def repeat(self, e: dict, path, frame: Frame) -> int:
        if "repeat" not in e:
            return 1
        n = self.value(e["repeat"], (*path, "repeat"), frame)
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise self.fail((*path, "repeat"), f"repeat must be a positive integer, got {n!r}", frame)
        return n

    @contextmanager
    def scoped(self, e: dict, path, frame: Frame):
        """Open the entry's `scope` (a dotted name prefix) if it has one; `numbered` numbers its layers."""
        numbered = self.flag(e, "numbered", path, frame)
        if "scope" not in e:
            if numbered:
                raise self.fail((*path, "numbered"), "numbered needs a scope to number", frame)
            yield
            return
        name = self.label(e["scope"], (*path, "scope"), frame)
        self.naming.append(Naming(numbered))
        try:
            with self.net.scope(name):
                yield
        finally:
            self.naming.pop()

    def layer_name(self, e: dict, path, frame: Frame) -> Optional[str]:
        """The `name` given; else the next number in a numbered scope; else None (the builder's kindN)."""
        if "name" in e:
            return self.label(e["name"], (*path, "name"), frame)
        if self.naming[-1].numbered:
            return self.label("$index", path, frame)
        return None

    def _kind(self, e: dict, path, x: str, frame: Frame) -> str:
        maker = self.maker(e["kind"], (*path, "kind"), frame, joining=False)
        values = self.fields(maker, e, "kind", path, frame)
        return self.make(maker, x, self.layer_name(e, path, frame), values, path, frame)

    def _layers(self, e: dict, path, x: str, frame: Frame) -> str:
        self.check_keys(e, "layers", path, frame)
        with self.scoped(e, path, frame):
            return self.sequence(e["layers"], (*path, "layers"), x, frame)

    def _branches(self, e: dict, path, x: str, frame: Frame) -> str:
        branches = e["branches"]
        if not isinstance(branches, list) or not branches:
            raise self.fail((*path, "branches"), "branches must be a non-empty list of branches", frame)
        maker, values = self.join(e, "branches", path, frame)
        with self.scoped(e, path, frame):
            outs = [self.branch(b, (*path, "branches", i), x, frame) for i, b in enumerate(branches)]
            return self.make(maker, outs, self.layer_name(e, path, frame), values, path, frame)

    def _residual(self, e: dict, path, x: str, frame: Frame) -> str:
        maker, values = self.join(e, "residual", path, frame)
        with self.scoped(e, path, frame):
            body = self.branch(e["residual"], (*path, "residual"), x, frame)
            shortcut = self.branch(e.get("shortcut"), (*path, "shortcut"), x, frame)
            return self.make(maker, [body, shortcut], self.layer_name(e, path, frame), values, path, frame)

    def branch(self, entries, path, x: str, frame: Frame) -> str:
        """One branch from `x`; an empty one (or null) is the identity."""
        if entries is None or entries == []:
            return x
        return self.sequence(entries, path, x, frame)

    def _block(self, e: dict, path, x: str, frame: Frame) -> str:
        block = self.block(e, path, frame)
        args = {}
        declared = [*block.params, *block.defaults]
        for key, raw in e.items():
            if key == "block" or key in FORM_KEYS["block"] or key in COMMON:
                continue
            if key not in declared:
                close = difflib.get_close_matches(key, declared, n=1)
                hint = f"; did you mean {close[0]}?" if close else f" (its parameters: {', '.join(declared) or 'none'})"
                raise self.fail((*path, key), f"block '{block.name}' has no parameter '{key}'{hint}", frame)
            args[key] = self.value(raw, (*path, key), frame)
        missing = [p for p in block.params if p not in args]
        if missing:
            raise self.fail(path, f"block '{block.name}' needs parameter '{missing[0]}'", frame)
        line = self.doc.line(path)
        inner = Frame({**block.defaults, **args}, block.name,
                      f"line {line}" if line is not None else str(self.doc.where(path)))
        if len(self.expanding) >= MAX_BLOCK_DEPTH:
            raise self.fail((*path, "block"), f"blocks are used inside blocks more than {MAX_BLOCK_DEPTH} deep",
                            frame)
        self.expanding.append(block.name)
        try:
            with self.scoped(e, path, frame):
                return self.sequence(block.layers, (*block.path, "layers"), x, inner)
        finally:
            self.expanding.pop()

    def block(self, e: dict, path, frame: Frame) -> Block:
        name = self.value(e["block"], (*path, "block"), frame)
        if not isinstance(name, str):
            raise self.fail((*path, "block"), f"a block name must be text, got {name!r}", frame)
        if name not in self.blocks:
            close = difflib.get_close_matches(name, list(self.blocks), n=1)
            hint = (f"; did you mean {close[0]}?" if close else
                    f"; defined blocks: {', '.join(self.blocks)}" if self.blocks else "; the file defines no blocks")
            if name in kinds.makers():
                hint += f"; '{name}' is a layer kind: write {{kind: {name}, ...}}"
            raise self.fail((*path, "block"), f"block '{name}' is used but never defined{hint}", frame)
        if name in self.expanding:
            chain = " -> ".join([*self.expanding, name])
            raise self.fail((*path, "block"), f"block '{name}' uses itself ({chain})", frame)
        return self.blocks[name]

    # --- layers -----------------------------------------------------------------------------------------
    def maker(self, raw, path, frame: Frame, joining: bool) -> kinds.LayerMaker:
        kind = self.value(raw, path, frame)
        if not isinstance(kind, str):
            raise self.fail(path, f"a layer kind must be text, got {kind!r}", frame)
        try:
            return kinds.lookup(kind, joining)
        except LookupError as err:
            hint = f"; '{kind}' is a block: write {{block: {kind}, ...}}" if kind in self.blocks else ""
            raise self.fail(path, f"{err.args[0]}{hint}", frame) from None

    def join(self, e: dict, form: str, path, frame: Frame):
        maker = self.maker(e.get("join", DEFAULT_JOIN[form]), (*path, "join"), frame, joining=True)
        return maker, self.fields(maker, e, form, path, frame)

    def check_keys(self, e: dict, form: str, path, frame: Frame) -> None:
        self.fields(None, e, form, path, frame)

    def fields(self, maker, e: dict, form: str, path, frame: Frame) -> dict:
        """The layer fields among the entry's keys, checked: unknown, missing, null, mistyped or negative."""
        own = {form, *FORM_KEYS[form], *COMMON}
        known = dict(maker.fields) if maker is not None else {}
        values = {}
        for key, raw in e.items():
            if key in own:
                continue
            kpath = (*path, key)
            if key not in known:
                allowed = [*FORM_KEYS[form], *COMMON, *known]
                close = difflib.get_close_matches(key, allowed, n=1)
                hint = f"; did you mean {close[0]}?" if close else ""
                what = maker.kind if form == "kind" else f"a {form} entry"
                raise self.fail(kpath, f"unknown key '{key}' for {what}{hint} (keys: {', '.join(allowed)})", frame)
            values[key] = self.field_value(known[key].default, key, self.value(raw, kpath, frame), kpath, frame)
        if maker is not None:
            missing = [f for f in maker.required() if f not in values]
            if missing:
                raise self.fail(path, f"{maker.kind} needs field '{missing[0]}'", frame)
        return values

    def field_value(self, default, key: str, value, path, frame: Frame):
        """Checks that need no knowledge of the kind: a value given, the type of the default, no negatives."""
        if value is None and default is not None:
            raise self.fail(path, f"{key} has no value", frame)
        if isinstance(default, bool) and not isinstance(value, bool):
            raise self.fail(path, f"{key} must be true or false, got {value!r}", frame)
        if isinstance(default, float) and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise self.fail(path, f"{key} must be a number, got {value!r}", frame)
        for v in value if isinstance(value, list) else [value]:
            if isinstance(v, float) and not math.isfinite(v):
                raise self.fail(path, f"{key} must be a finite number, got {v!r}", frame)
            if isinstance(v, (int, float)) and not isinstance(v, bool) and v < 0 and key not in COUNTS_FROM_END:
                raise self.fail(path, f"{key} must not be negative, got {v!r}", frame)
            if isinstance(v, int) and v > MAX_SIZE:
                raise self.fail(path, f"{key} is above 10^18, the largest value archcalc takes", frame)
        return value

    def make(self, maker: kinds.LayerMaker, inputs, name, values: dict, path, frame: Frame) -> str:
        """Call the builder; its errors come back located at the field they name, else at the entry."""
        self.count += 1
        if self.count > MAX_LAYERS:
            raise self.fail(path, f"the spec expands to more than {MAX_LAYERS:,} layers", frame)
        try:
            node = maker.call(self.net, inputs, name=name, **values)
        except (ArchcalcError, TypeError, ValueError) as err:
            # the builder's messages start "model: layer NAME: "; the entry's location says where, and the
            # layer's name (when it has one) says which
            message = str(err).removeprefix(f"{self.net.name}: ")
            named = re.match(r"^layer ([^:]*): ", message)
            if named:
                rest = message[named.end():]
                message = rest if named.group(1) == "(unnamed)" else f"layer '{named.group(1)}': {rest}"
            if "is used twice" in message:
                message += "; layers made more than once (repeat, a block used twice) need no name or $index"
            key = next((k for k in values if re.search(rf"\b{re.escape(k)}\b", message)), None)
            raise self.fail((*path, key) if key else path, message, frame) from None
        where = self.doc.where(path)
        self.locations[node] = f"{where} (in block '{frame.block}', used at {frame.used_at})" if frame.block else where
        return node
