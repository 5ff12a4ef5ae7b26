"""The values the PyTorch importer gives each traced node: a Tensor of the IR, a Param read directly, the
batch size, Python values (sizes); and the error for an operation it cannot map."""

from __future__ import annotations

from dataclasses import dataclass

from ..core.shape import Shape


class UnsupportedOp(Exception):
    """An operation the importer cannot map (caught per node, reported all together)."""

    def __init__(self, what: str):
        super().__init__(what)
        self.what = what


@dataclass(frozen=True)
class Tensor:
    """A value of the traced program that is a tensor of the IR: its layer's name and its shape (no batch)."""

    layer: str
    shape: Shape


@dataclass(frozen=True)
class Param:
    """A parameter or buffer read directly (get_attr), or a tensor computed from such alone (a reshaped
    gain, a bias gathered from a table by an index): its shape, and the parameters and buffers it is made of
    (qualified names with their elements), which the layer that uses it counts."""

    name: str
    shape: tuple
    numel: int
    trainable: bool
    is_buffer: bool
    parts: tuple = ()  # ((qualified name, elements, is_buffer), ...); empty: this tensor itself
    standardised: bool = False  # a weight standardised by F.batch_norm (torch_derived): the conv keeps it

    def sources(self) -> tuple:
        return self.parts or ((self.name, self.numel, self.is_buffer),)

    def derived(self, shape, *others) -> "Param":
        """A tensor made from this one (and `others`) with another shape."""
        parts = tuple(dict.fromkeys(self.sources() + tuple(s for o in others for s in o.sources())))
        return Param(self.name, tuple(shape), self.numel, self.trainable, self.is_buffer, parts, self.standardised)


class _Batch:
    """The batch size: whatever the caller runs the model at (x.size(0), x.shape[0])."""

    def __repr__(self) -> str:
        return "N"


BATCH = _Batch()


class _Poison:
    """The value of a node that could not be mapped: anything that reads it is unsupported too."""

    def __init__(self, what):
        self.what = what


def layer_shape(graph_name: str, layer, ins: tuple, count: int):
    """The output shape of `layer` (the `count`-th of its graph) on input shapes `ins`, by its kind's rule: the
    one check both importers (torch.fx, ONNX) make as they add a layer. A rule's error names the layer."""
    from ..core.rules import rules_for
    from ..errors import ArchcalcError, GraphError
    from ..limits import MAX_LAYERS

    if count >= MAX_LAYERS:
        raise GraphError(f"{graph_name}: more than {MAX_LAYERS:,} layers")
    try:
        return rules_for(layer.kind)["shape"](layer.attrs, ins).shape
    except ArchcalcError as err:
        raise GraphError(f"{graph_name}: layer '{layer.name}' ({layer.kind}), input "
                         f"{', '.join(str(i) for i in ins)}: {err}") from None


def unique_name(used: set, name: str) -> str:
    """`name`, or name_2, name_3... the first not in `used` (which it joins): layer names stay unique."""
    base, n = name, 1
    while name in used:
        n += 1
        name = f"{base}_{n}"
    used.add(name)
    return name


def registrar(table: dict):
    """A decorator factory: `@by("a", "b")` files the decorated function in `table` under each key (the
    importers' handler tables: torch functions, methods, modules; ONNX operators and folds)."""
    def by(*keys):
        def register(fn):
            for key in keys:
                table[key] = fn
            return fn
        return register
    return by
