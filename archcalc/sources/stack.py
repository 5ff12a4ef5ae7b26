"""The small languages of `archcalc rf`: stack shorthands and layer lists, parsed into a Graph.

Stack shorthand, `KHxKW[xN]`: N convolutions (default 1) of a KHxKW kernel, stride 1, padding (k-1)//2
per axis (odd kernels keep the size), each followed by a ReLU: `3x3x3` (three 3x3), `7x7`, `5x5x2`, `1x7x2`.

Layer list: layers separated by commas, each `KIND KERNEL [OPTION ...] [*N]`:
  KIND     conv | pool (a max pool) | maxpool | avgpool
  KERNEL   k or khxkw                      (a number, or one per axis)
  OPTION   s stride | p padding | d dilation, each k or khxkw
  *N       the layer N times
Defaults follow PyTorch: stride 1 for a conv, the kernel for a pool; padding 0; dilation 1. A conv is
followed by a ReLU. Example: `conv11s4,pool3s2,conv5p2,conv3d2`, `conv3p1*3`, `conv1x7p0x3,pool2`.

Convolutions keep the channel count of the input (C in, C out, no bias), so that their weights come out
as a multiple of C^2, the lecture's comparison. A malformed string raises RFSpecError naming the position
(1-based) of the first bad character and what was expected there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from ..core import ir
from ..core.ir import Graph
from ..errors import InputError
from ..limits import MAX_DIGITS, MAX_LAYERS, MAX_SIZE
from .builder import Net

KINDS = {"conv": "conv", "pool": "maxpool", "maxpool": "maxpool", "avgpool": "avgpool"}
OPTIONS = {"s": "stride", "p": "padding", "d": "dilation"}


def _short(text: str, limit: int = 60) -> str:
    """A spec echoed in a message: one line, and short."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


class RFSpecError(InputError):
    """A stack shorthand or layer list that does not parse; the message names the position."""


@dataclass(frozen=True)
class LayerSpec:
    """One layer of a stack or list: kind (conv, maxpool, avgpool) and per-axis window geometry."""

    kind: str
    kernel: tuple
    stride: tuple
    padding: tuple
    dilation: tuple = (1, 1)

    def text(self) -> str:
        """The layer in the layer-list grammar, e.g. conv3p1 or maxpool3s2."""
        def axis(v):
            return str(v[0]) if v[0] == v[1] else f"{v[0]}x{v[1]}"
        out = f"{self.kind}{axis(self.kernel)}"
        default_stride = (1, 1) if self.kind == "conv" else self.kernel
        if self.stride != default_stride:
            out += f"s{axis(self.stride)}"
        if self.padding != (0, 0):
            out += f"p{axis(self.padding)}"
        if self.dilation != (1, 1):
            out += f"d{axis(self.dilation)}"
        return out


@dataclass(frozen=True)
class StackSpec:
    """A parsed stack shorthand or layer list: what was written, which grammar, and its layers in order."""

    text: str
    form: str  # "stack" or "layers"
    layers: tuple

    @property
    def convs_only(self) -> bool:
        return all(layer.kind == "conv" for layer in self.layers)


class _Cursor:
    """Reads a spec string left to right; errors name the 1-based position and the character found."""

    def __init__(self, text: str, what: str):
        self.text, self.what, self.pos = text, what, 0

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def fail(self, expected: str, at: Optional[int] = None):
        at = self.pos if at is None else at
        found = repr(self.text[at]) if at < len(self.text) else "the end"  # repr: a newline stays on the line
        raise RFSpecError(f"{self.what} '{_short(self.text)}': at position {at + 1} found {found}; "
                          f"expected {expected}")

    def number(self, expected: str, minimum: int = 1) -> int:
        match = re.compile(r"[0-9]+").match(self.text, self.pos)
        if not match:
            self.fail(expected)
        if len(match.group().lstrip("0")) > MAX_DIGITS or int(match.group()) > MAX_SIZE:
            self.fail("a number of at most 10^18")
        value = int(match.group())
        if value < minimum:
            self.fail(f"a number of at least {minimum}")
        self.pos = match.end()
        return value

    def pair(self, expected: str, minimum: int = 1) -> tuple:
        """`k` or `khxkw`: one value per axis."""
        first = self.number(expected, minimum)
        if self.peek() == "x" and re.compile(r"x[0-9]").match(self.text, self.pos):
            self.pos += 1
            return first, self.number(expected, minimum)
        return first, first


def parse_stack(text: str) -> StackSpec:
    """`3x3x3` -> three 3x3 convs with stride 1 and size-keeping padding."""
    cur = _Cursor(text.strip(), "stack")
    kh = cur.number("a kernel size, as in 3x3x3")
    if cur.peek() != "x":
        cur.fail("'x' and the kernel width, as in 3x3")
    cur.pos += 1
    kw = cur.number("the kernel width, as in 3x3")
    count = 1
    if cur.peek() == "x":
        cur.pos += 1
        count = cur.number("a whole number (how many layers), as in 3x3x3")
    if cur.peek():
        cur.fail("the end (a stack is KHxKW or KHxKWxN, e.g. 3x3x3)")
    if count > MAX_LAYERS:
        raise RFSpecError(f"stack '{cur.text}': {count:,} layers; archcalc analyses up to {MAX_LAYERS:,}")
    conv = LayerSpec("conv", (kh, kw), (1, 1), ((kh - 1) // 2, (kw - 1) // 2))
    return StackSpec(cur.text, "stack", (conv,) * count)


def parse_layer_list(text: str) -> StackSpec:
    """`conv11s4,pool3s2,conv5p2,conv3d2` -> the layers it names (grammar in the module docstring)."""
    cur = _Cursor(text.strip(), "layer list")
    layers = []
    while True:
        start = cur.pos
        match = re.compile(r"[a-z]+").match(cur.text, cur.pos)
        word = match.group() if match else ""
        kind = KINDS.get(word)
        if kind is None:
            import difflib

            close = difflib.get_close_matches(word, KINDS, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            cur.fail(f"a layer: conv, pool, maxpool or avgpool{hint}", start)
        cur.pos = match.end()
        kernel = cur.pair(f"the kernel size after '{word}', as in {word}3")
        values = {"stride": (1, 1) if kind == "conv" else kernel, "padding": (0, 0), "dilation": (1, 1)}
        seen = set()
        while cur.peek() in OPTIONS:
            letter = cur.peek()
            if letter in seen:
                cur.fail(f"each of s, p, d at most once per layer ('{letter}' is repeated)")
            if letter == "d" and kind == "avgpool":
                cur.fail("s or p: an average pool has no dilation")
            seen.add(letter)
            cur.pos += 1
            values[OPTIONS[letter]] = cur.pair(f"a number after '{letter}' ({OPTIONS[letter]})",
                                               0 if letter == "p" else 1)
        repeat = 1
        if cur.peek() == "*":
            cur.pos += 1
            repeat = cur.number("a repeat count after '*', as in conv3p1*3")
            if len(layers) + repeat > MAX_LAYERS:
                raise RFSpecError(f"layer list '{_short(cur.text)}': more than {MAX_LAYERS:,} layers; archcalc "
                                  f"analyses up to {MAX_LAYERS:,}")
        layers += [LayerSpec(kind, kernel, values["stride"], values["padding"], values["dilation"])] * repeat
        if not cur.peek():
            break
        if cur.peek() != ",":
            cur.fail("s (stride), p (padding), d (dilation), x (a second axis), *N (repeat) or ','")
        cur.pos += 1
    return StackSpec(cur.text, "layers", tuple(layers))


def is_stack(text: str) -> bool:
    """A stack shorthand starts with a digit (no zoo name does)."""
    return text.strip()[:1].isdigit()


def is_layer_list(text: str) -> bool:
    """A layer list has a comma, or is one layer word directly followed by a kernel size."""
    text = text.strip()
    return "," in text or bool(re.match(r"(conv|pool|maxpool|avgpool)[0-9]", text))


def parse(text: str) -> StackSpec:
    """A stack shorthand or a layer list, whichever `text` is."""
    return parse_stack(text) if is_stack(text) else parse_layer_list(text)


def build_graph(spec: StackSpec, channels=None, name: Optional[str] = None) -> Graph:
    """The spec as a Graph: convs of `channels` outputs (C in, C out when it matches the input), no bias,
    each followed by a ReLU. `channels` may be a sympy symbol (weights then come out in C^2); default C."""
    if channels is None:
        channels = channel_symbol()
    net = Net(name or spec.text, source=f"archcalc rf {spec.form}: {spec.text}")
    x = net.input
    for layer in spec.layers:
        if layer.kind == "conv":
            x = net.layer("conv", ir.Conv(channels, layer.kernel, layer.stride, layer.padding, layer.dilation,
                                         1, False), x)
            x = net.relu(x)
        elif layer.kind == "maxpool":
            x = net.maxpool(x, layer.kernel, layer.stride, layer.padding, layer.dilation)
        else:
            x = net.avgpool(x, layer.kernel, layer.stride, layer.padding)
    return net.graph()


def channel_symbol():
    """The channel count C of the lecture's comparison, a positive integer symbol."""
    import sympy

    return sympy.Symbol("C", positive=True, integer=True)


def single_kernel(spec: StackSpec, rf) -> StackSpec:
    """One conv with the stack's field: kernel = field size, stride = jump, padding = effective padding.

    `rf` is the stack's final RF; the single conv then has the same size, jump and start, so it sees
    exactly what the stack sees.
    """
    conv = LayerSpec("conv", tuple(rf.size), tuple(rf.jump), tuple(int(p) for p in rf.padding))
    return StackSpec(conv.text(), "layers", (conv,))


@dataclass(frozen=True)
class KernelComparison:
    """A stack against the single kernel of the same field, both analysed by the engine at one input."""

    stack: StackSpec
    single: StackSpec
    input: object  # Shape
    weights: tuple  # (stack, single): trainable weights (no biases), sympy in C when C is symbolic
    weights_per_c2: tuple  # (stack, single): weights / C^2, e.g. (27, 49)
    macs: tuple  # (stack, single) at the input
    nonlinearities: tuple  # (stack, single): ReLUs on the path

    def to_json(self) -> dict:
        from ..core.report import json_value

        def both(values):
            return {"stack": json_value(values[0]), "single": json_value(values[1])}
        return {"single_kernel": self.single.text, "input": [json_value(d) for d in self.input.as_list()],
                "weights": both(self.weights), "weights_per_c2": both(self.weights_per_c2),
                "macs": both(self.macs), "nonlinearities": both(self.nonlinearities)}


def compare_with_single_kernel(spec: StackSpec, stack_report) -> Optional[KernelComparison]:
    """The lecture's comparison, for a stack of two or more convs (None otherwise or for a global field).

    `stack_report` is the engine's report of build_graph(spec) at some input; the single kernel is analysed
    at the same input. Weights per C^2 divide by (input channels)^2: the convs map C channels to C.
    """
    from ..core.engine import propagate

    final = stack_report.layers[-1].rf
    if not spec.convs_only or len(spec.layers) < 2 or final.is_global:
        return None
    single = single_kernel(spec, final)
    channels = stack_report.input.channels
    single_report = propagate(build_graph(single, channels, name=single.text), stack_report.input)
    reports = (stack_report, single_report)
    weights = tuple(r.totals["weights"] for r in reports)
    per_c2 = tuple(_simplify(w / channels ** 2) for w in weights)
    relus = tuple(sum(1 for s in r.layers if s.kind == "relu") for r in reports)
    return KernelComparison(spec, single, stack_report.input, weights, per_c2,
                            tuple(r.totals["macs"] for r in reports), relus)


def _simplify(value):
    """An exact ratio: a sympy expression simplified, an int when whole."""
    import sympy

    from ..core.shape import to_plain

    return to_plain(sympy.nsimplify(sympy.simplify(value)))
