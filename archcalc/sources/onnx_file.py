"""The ONNX importer: an .onnx file read into archcalc's IR, at one input size, without running anything.

`onnx.load(path, load_external_data=False)` gives the graph; nothing in it is executed. Weights are read by
their dims alone (an initializer, or a graph input of a file exported without parameters), so external data
is never loaded; a location outside the model's folder is refused all the same. Each node is mapped to the
IR kinds the PyTorch importer uses (sources/onnx_ops.py, onnx_layout.py), so that an exported torchvision
model analyses as the torch model does; the patterns the exporter writes for one torch module (SiLU as
Sigmoid and Mul, GELU through Erf, Mish, Linear as MatMul and Add) are read back as that module's one layer
(onnx_names.py). The legacy exporter's shape arithmetic (Shape, Gather, Unsqueeze, Concat, Constant, ...) is
folded to numbers at the input's size, or to formulas where a size is a symbol (onnx_fold.py), as far as
Reshape, Resize, Slice and Pad need their arguments. The walk itself, values and names: onnx_importer.py.

Layer names come from the node names the torch exporter writes (`/layer1/layer1.0/conv1/Conv` ->
`layer1.0.conv1`; an operation of a module that holds several -> `layer1.0.add`), else from the node's
output. An initializer read by two nodes counts once (Graph.extras["shared"]). Operators not mapped fail
loudly: one line per distinct operator with its first node and its count.
"""

from __future__ import annotations

import os

from ..core.ir import Graph, Identity, Layer
from ..core.shape import Shape, shape_from_tuple
from ..errors import GraphError, InputError


def load_onnx(path, input=None) -> Graph:
    """The Graph of the ONNX model at `path`, at `input` (None: the file's own input sizes; a tuple such as
    (3, 224, 224), or '3x224x224' / '3xHxW')."""
    from .onnx_importer import OnnxImporter

    path = str(path)
    model = _read(path)
    _check_external(model, path)
    name = os.path.splitext(os.path.basename(path))[0] or "model"
    graph = model.graph
    first, weights = _inputs(graph, name)
    x, batch = _input_shape(first, input, name)
    importer = OnnxImporter(name, x, batch, graph, weights)
    importer.run(first.name)
    return _finish(importer, graph, name, path, x)


def _read(path: str):
    """The ModelProto in `path`; one line for a missing file or one that is not ONNX."""
    import onnx

    if not os.path.isfile(path):  # a pipe or a device is never read: it could wait for ever
        raise InputError(f"{path}: {'not a regular file' if os.path.exists(path) else 'no such file'}")
    try:
        model = onnx.load(path, load_external_data=False)
    except Exception as err:  # protobuf's DecodeError, onnx's own errors: any of them means "not ONNX"
        why = " ".join(str(err).split())[:80] or type(err).__name__
        raise InputError(f"{path}: not an ONNX model ({why})") from None
    if not model.graph.node or not model.opset_import:
        raise InputError(f"{path}: not an ONNX model (no graph nodes or no opset)")
    return model


def _tensors(graph):
    """Every TensorProto a graph holds: initializers, and Constant nodes' values (subgraphs too)."""
    yield from graph.initializer
    for sparse in graph.sparse_initializer:
        yield sparse.values
    for node in graph.node:
        for attr in node.attribute:
            if attr.HasField("t"):
                yield attr.t
            for sub in list(attr.graphs) + ([attr.g] if attr.HasField("g") else []):
                yield from _tensors(sub)


def _check_external(model, path: str) -> None:
    """Refuse any tensor whose external data lies outside the model's folder (an absolute path, `..`, or a
    link leading out): archcalc never reads it, but a file that points there is not one to trust."""
    import onnx

    folder = os.path.realpath(os.path.dirname(os.path.abspath(path)))
    for tensor in _tensors(model.graph):
        if tensor.data_location != onnx.TensorProto.EXTERNAL:
            continue
        location = {e.key: e.value for e in tensor.external_data}.get("location", "")
        target = os.path.realpath(os.path.join(folder, location))
        if not location or os.path.isabs(location) or os.path.commonpath([folder, target]) != folder:
            raise InputError(f"{path}: tensor '{tensor.name}' keeps its data at '{location}', outside the model's "
                             "folder; archcalc refuses external data that leaves it")


def _inputs(graph, name: str):
    """(the data input, {name: dims} of the weights): the first graph input that is not an initializer is the
    data; later inputs are weights of a file exported without parameters (their declared dims)."""
    inits = {t.name for t in graph.initializer}
    inputs = [i for i in graph.input if i.name not in inits]
    if not inputs:
        raise GraphError(f"{name}: the ONNX graph has no input besides its initializers")
    weights = {}
    for value in inputs[1:]:
        dims = [d.dim_value if d.HasField("dim_value") else None for d in value.type.tensor_type.shape.dim]
        if None in dims:
            raise InputError(f"{name}: the graph takes more than one input ({value.name} besides {inputs[0].name}); "
                             "archcalc feeds one tensor")
        weights[value.name] = tuple(dims)
    return inputs[0], weights


def _input_shape(value, input, name: str):
    """(the sample's Shape, the batch size the file gives): dim_value numbers, dim_param symbols; the first
    axis is the batch; `input`, where given, overrides the rest."""
    import sympy

    dims = []
    for d in value.type.tensor_type.shape.dim:
        if d.HasField("dim_value"):
            dims.append(int(d.dim_value))
        elif d.dim_param:
            dims.append(sympy.Symbol(_symbol_name(d.dim_param), positive=True, integer=True))
        else:
            dims.append(None)
    if len(dims) < 2:
        raise InputError(f"{name}: input '{value.name}' has {len(dims)} axes; archcalc reads a batch axis and a "
                         "sample (N x C x H x W)")
    batch = dims[0] if dims[0] is not None else sympy.Symbol("N", positive=True, integer=True)
    if input is not None:
        x = shape_from_tuple(input)
        if x.rank != len(dims) - 1:
            raise InputError(f"{name}: input {x} has {x.rank} axes; the model takes {len(dims) - 1} after the batch")
        return x, batch
    if None in dims[1:]:
        raise InputError(f"{name}: the input's sizes are not all declared; give them with --input (e.g. 3x224x224)")
    return Shape(dims[1], tuple(dims[2:])), batch


def _symbol_name(text: str) -> str:
    """A dim_param as a symbol name: letters, digits and underscores ('height' stays, 'batch size' -> batch_size)."""
    clean = "".join(c if c.isalnum() or c == "_" else "_" for c in text.strip())
    return clean if clean and not clean[0].isdigit() else f"d_{clean}"


def _finish(importer, graph, name: str, path: str, x: Shape) -> Graph:
    """The Graph, ending at the first graph output (an identity named `output` where that is an earlier
    layer)."""
    if not graph.output:
        raise GraphError(f"{name}: the ONNX graph declares no output")
    result = importer.activation(graph.output[0].name)
    layers = list(importer.layers)
    if result is None or not layers:
        raise GraphError(f"{name}: the model's output is not a tensor archcalc could follow")
    if result.layer != layers[-1].name:
        layers.append(Layer(importer.unique("output"), "identity", Identity(), (result.layer,)))
    extras = {"shared": dict(importer.shared)}
    notes = tuple(importer.notes) + tuple(n for n in (importer.partial_note(),) if n)
    return Graph(name, tuple(layers), tuple(x.dims), path, notes, extras, False,
                 "" if x.channels_first else x.roles)
