"""Layer names for the ONNX importer, and the node patterns it reads as one layer.

The torch exporter names a node by the modules it was made in and its operator: `/layer1/layer1.0/conv1/Conv`.
Each scope after the first repeats its parent's dotted name (`layer1.0`) or adds one attribute (`conv1`), so
the module's dotted name is rebuilt from them: `layer1.0.conv1`, as the PyTorch importer names the layer. A
module that holds one operation gives its own name; one that holds several gives `module.op`
(`layer1.0.add`), as torch_fx does; a second call of a module (`relu_1`) is `relu@2`. Nodes with other names
are named after their output.
"""

from __future__ import annotations

import re

PATTERN_PARTS = {"Sigmoid", "MatMul"}


def module_path(node_name: str):
    """(the module's dotted name, the operator part) of a torch exporter's node name, or (None, None)."""
    if not node_name.startswith("/"):
        return None, None
    parts = [p for p in node_name.split("/") if p]
    if not parts:
        return None, None
    path = ""
    for part in parts[:-1]:
        path = part if not path or part.startswith(path + ".") else f"{path}.{part}"
    return path, parts[-1]


def _called_again(path: str, used: set) -> str:
    """`layer1.0.relu_1` -> `layer1.0.relu@2` where `layer1.0.relu` is a layer already: a module called again."""
    match = re.match(r"^(.*)_(\d+)$", path)
    if match and match.group(1) in used:
        return f"{match.group(1)}@{int(match.group(2)) + 1}"
    return path


def layer_name(importer, node) -> str:
    """The layer name for `node` (see the module's docstring)."""
    path, op = module_path(node.name)
    if path is None:
        text = node.name or (node.output[0] if node.output else "") or node.op_type
        return _clean(text) or node.op_type.lower()
    op = re.sub(r"_\d+$", "", op).lower()
    if not path:
        return op
    path = _called_again(path, importer.used_names)
    return path if importer.ops_in.get(path.split("@")[0], 0) == 1 and path not in importer.used_names \
        else f"{path}.{op}"


def _clean(text: str) -> str:
    """A name of letters, digits, dots and underscores (onnx::Conv_239 -> onnx.Conv_239)."""
    text = re.sub(r"[^0-9A-Za-z_.@]+", ".", text).strip(".")
    return re.sub(r"\.{2,}", ".", text)


def module_ops(graph, alias: dict) -> dict:
    """Per module path, how many of its nodes make layers (size arithmetic and fused nodes left out)."""
    from .onnx_importer import SIZE_OPS

    counts: dict = {}
    for node in graph.node:
        if node.op_type in SIZE_OPS or node.name in alias:
            continue
        path, _ = module_path(node.name)
        if path:
            counts[path] = counts.get(path, 0) + 1
    return counts


def _only_consumer(importer, name: str):
    users = importer.consumers.get(name, [])
    outputs = {o.name for o in importer.graph.output}
    return users[0] if len(users) == 1 and name not in outputs else None


def fusions(importer, graph):
    """({node name: the value it passes on}, {node name: what its layer does}): Sigmoid(x) read only by
    Mul(x, sigmoid) is one SiLU (torch's nn.SiLU, exported as the two); MatMul(x, W) read only by Add(., b),
    b a vector of W's outputs, is one linear with a bias (nn.Linear on more than 2 axes)."""
    alias, fuse = {}, {}
    for node in graph.node:
        if node.op_type not in PATTERN_PARTS or not node.output:
            continue
        user = _only_consumer(importer, node.output[0])
        if user is None:
            continue
        if node.op_type == "Sigmoid" and user.op_type == "Mul" and sorted(user.input) == sorted(
                [node.input[0], node.output[0]]):
            alias[user.name], fuse[node.name] = node.output[0], "silu"
        if node.op_type == "MatMul" and user.op_type == "Add" and len(node.input) == 2:
            other = [i for i in user.input if i != node.output[0]]
            weight, bias = importer.env.get(node.input[1]), importer.env.get(other[0]) if other else None
            if _vector_for(weight, bias):
                alias[user.name], fuse[node.name] = node.output[0], other[0]
    return alias, fuse


def _vector_for(weight, bias) -> bool:
    """A 2-D weight initializer and a 1-D parameter of its output size."""
    from .onnx_importer import Const

    return (isinstance(weight, Const) and isinstance(bias, Const) and weight.is_param and bias.is_param
            and len(weight.dims) == 2 and tuple(bias.dims) == (weight.dims[1],))
