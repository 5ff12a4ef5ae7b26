"""The ONNX importer's walk over the graph's nodes: the values each name holds (an activation of the IR, a
constant, a poisoned value), layer names, parameters counted once, and the loud failure on operators it does
not know (sources/onnx_file.py says what the whole importer does)."""

from __future__ import annotations

from dataclasses import dataclass

from ..core.ir import INPUT, Layer
from ..core.shape import Shape
from ..errors import ArchcalcError, GraphError, UnsupportedOperations
from .builder import Net
from .torch_values import Tensor, UnsupportedOp, layer_shape, unique_name  # the torch importer's values: torch-free

SIZE_OPS = {"Shape", "Constant", "ConstantOfShape", "Gather", "Unsqueeze", "Squeeze", "Cast", "Range", "Equal",
            "Where", "Identity", "Floor", "Ceil", "Expand", "Size", "Less", "Greater", "Not", "Sqrt"}
MAX_VALUES = 1 << 20  # a constant read for its values (sizes, scales, pads) is small; weights are read by dims


Act = Tensor  # an activation: the IR layer that makes it and its shape (one sample, the batch apart)


@dataclass(frozen=True, eq=False)
class Const:
    """A value known without the input: an initializer (its dims; values read only when asked), a weight
    input of a file exported without parameters, or a folded size. `sources`: the float initializers it is
    made of (parameters), for counting each once."""

    dims: tuple
    proto: object = None
    array: object = None
    sources: tuple = ()

    def values(self):
        import numpy as np

        if self.array is not None:
            return self.array
        if self.proto is None:
            raise UnsupportedOp("a constant whose values the file does not hold (a weight input)")
        import onnx
        from onnx import numpy_helper

        if self.proto.data_location == onnx.TensorProto.EXTERNAL or _elements(self.dims) > MAX_VALUES:
            raise UnsupportedOp("sizes read from a large or external tensor")
        object.__setattr__(self, "array", np.asarray(numpy_helper.to_array(self.proto)))
        return self.array

    @property
    def is_param(self) -> bool:
        return bool(self.sources)


class Poison:
    """A value made by a node that could not be mapped: a node reading it is not counted again."""

    def __init__(self, what: str):
        self.what = what


def _elements(dims) -> int:
    total = 1
    for d in dims:
        total *= int(d)
    return total


class OnnxImporter:
    """Walks the nodes in order, building the IR with the builder's checks (as torch_fx.Importer does)."""

    def __init__(self, name: str, x: Shape, batch, graph, weights: dict):
        self.name, self.x, self.batch, self.graph = name, x, batch, graph
        self.layers: list = []
        self.used_names: set = {INPUT}
        self.shared: dict = {}  # layer name -> the layer that counted its initializers first
        self.counted: dict = {}  # initializer name -> the layer that counts it
        self.notes: list = []
        self.partial: list = []  # (layer, elements) of initializers a layer shares with an earlier one in part
        self.net = Net(name)
        self.node = None
        self.env: dict = {}
        for t in graph.initializer:
            float_ = t.data_type in (1, 10, 11, 16)  # FLOAT, FLOAT16, DOUBLE, BFLOAT16: parameters
            self.env[t.name] = Const(tuple(t.dims), t, None, (t.name,) if float_ else ())
        for wname, dims in weights.items():
            self.env[wname] = Const(dims, None, None, (wname,))
        from .onnx_names import fusions, module_ops

        self.consumers: dict = {}
        self.producers: dict = {}
        for node in graph.node:
            for i in node.input:
                self.consumers.setdefault(i, []).append(node)
            for o in node.output:
                self.producers[o] = node
        self.alias, self.fuse = fusions(self, graph)
        self.ops_in = module_ops(graph, self.alias)

    @staticmethod
    def key(node) -> str:
        from .onnx_names import key

        return key(node)

    # --- values ---------------------------------------------------------------------------------------------
    def activation(self, name: str):
        value = self.env.get(name)
        return value if isinstance(value, Act) else None

    def run(self, input_name: str) -> None:
        from .onnx_ops import known, map_node

        self.env[input_name] = Act(INPUT, self.x)
        unsupported: dict = {}
        for node in self.graph.node:
            self.node = node
            ins = [self._value(n) for n in node.input]
            poisoned = next((v for v in ins if isinstance(v, Poison)), None)
            if self.key(node) in self.alias and poisoned is None:
                self.env[node.output[0]] = self.env[self.alias[self.key(node)]]
                continue
            try:
                if poisoned is not None:
                    raise _Poisoned(poisoned.what)
                outs = map_node(self, node, ins)
            except _Poisoned as err:  # it reads an unmapped value; if its operator is unknown too, it is counted
                if not known(node.op_type):
                    entry = unsupported.setdefault(node.op_type, [node.name or node.output[0], 0])
                    entry[1] += 1
                outs = [Poison(err.what)]
            except UnsupportedOp as err:
                entry = unsupported.setdefault(err.what, [node.name or node.output[0], 0])
                entry[1] += 1
                outs = [Poison(err.what)]
            outs = list(outs) if isinstance(outs, (list, tuple)) else [outs]
            for i, out in enumerate(node.output):
                if out:
                    self.env[out] = outs[i] if i < len(outs) else Poison(f"output {i + 1} of {node.op_type}")
        if unsupported:
            raise UnsupportedOperations([
                f"{self.name}: unsupported operation {what}, first at node '{first}' ({count} time{'s' * (count > 1)})"
                for what, (first, count) in unsupported.items()])

    def _value(self, name: str):
        if not name:
            return None  # an optional input left out
        if name not in self.env:
            raise GraphError(f"{self.name}: node '{self.node.name}' reads '{name}', which no earlier node makes "
                             "(the graph is not in order)")
        return self.env[name]

    # --- the IR as it grows -----------------------------------------------------------------------------------
    def build(self, method: str, inputs, name=None, weights=(), **fields) -> Act:
        """A layer made by the builder's `method` (its checks), shaped; `weights`: the Consts it counts."""
        inputs = [inputs] if isinstance(inputs, Act) else list(inputs)
        name = self.unique(name or self.layer_name())
        names = [v.layer for v in inputs]
        joins = method in ("concat", "add", "mul", "matmul")
        try:
            getattr(self.net, method)(names if joins else names[0], name=name, **fields)
        except ArchcalcError as err:
            raise GraphError(str(err)) from None
        return self._shaped(self.net.layers.pop(), inputs, weights)

    def build_act(self, kind: str, x: Act, name=None) -> Act:
        name = self.unique(name or self.layer_name())
        self.net.act(kind, x.layer, name=name)
        return self._shaped(self.net.layers.pop(), [x], ())

    def add_layer(self, kind: str, attrs, inputs, name=None) -> Act:
        """A layer from its attributes directly (a reshape to symbolic sizes, which the builder refuses)."""
        name = self.unique(name or self.layer_name())
        return self._shaped(Layer(name, kind, attrs, tuple(v.layer for v in inputs)), inputs, ())

    def _shaped(self, layer: Layer, inputs, weights) -> Act:
        shape = layer_shape(self.name, layer, tuple(v.shape for v in inputs), len(self.layers))
        self.layers.append(layer)
        self._claim(layer.name, weights)
        return Act(layer.name, shape)

    def _claim(self, layer: str, weights) -> None:
        """The initializers a layer counts; a layer whose initializers were all counted before shares them
        (an initializer read by two nodes counts once)."""
        names = [s for w in weights if isinstance(w, Const) for s in w.sources]
        if not names:
            return
        seen = [n for n in names if n in self.counted]
        if len(seen) == len(names):
            self.shared[layer] = self.counted[names[0]]
        elif seen:  # summed into one note when the walk ends (partial_note)
            self.partial.append((layer, sum(_elements(self.env[n].dims) for n in seen)))
        for n in names:
            self.counted.setdefault(n, layer)

    def partial_note(self):
        """One note for the layers that read an earlier layer's initializer beside their own (the exporter
        deduplicates equal tensors, such as zero biases): the IR counts a layer's weights whole, so those
        elements are counted again; the note says how many."""
        if not self.partial:
            return None
        total = sum(n for _, n in self.partial)
        return (f"{len(self.partial)} layers (first {self.partial[0][0]}) read an initializer an earlier layer "
                f"counts beside their own (the exporter merged equal tensors): {total:,} parameters counted again")

    # --- names --------------------------------------------------------------------------------------------
    def unique(self, name: str) -> str:
        return unique_name(self.used_names, name)

    def layer_name(self) -> str:
        from .onnx_names import layer_name

        return layer_name(self, self.node)


class _Poisoned(Exception):
    def __init__(self, what: str):
        super().__init__(what)
        self.what = what

