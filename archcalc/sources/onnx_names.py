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

def module_path(node_name: str):
    """(the module's dotted name, the operator part) of a torch exporter's node name, or (None, None)."""
    if not node_name.startswith("/"):
        return None, None
    parts = [p for p in node_name.split("/") if p]
    if not parts:
        return None, None
    base, last = "", ""  # a scope repeats its parent scope's name as a prefix: block, block.0, block.0.0
    for part in parts[:-1]:
        if last and part.startswith(last + "."):
            last = part
        else:
            base, last = ".".join(p for p in (base, last) if p), part
    return ".".join(p for p in (base, last) if p), parts[-1]


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
    weights = {t.name for t in graph.initializer} | {i.name for i in graph.input[1:]}
    for node in graph.node:
        if node.op_type in SIZE_OPS or key(node) in alias or all(i in weights for i in node.input if i):
            continue
        path, _ = module_path(node.name)
        if path:
            counts[path] = counts.get(path, 0) + 1
    return counts


def key(node) -> str:
    """A node's key in the importer's tables: its name, or its first output where it has none."""
    return node.name or (node.output[0] if node.output else "")


def _only_consumer(importer, name: str):
    users = importer.consumers.get(name, [])
    outputs = {o.name for o in importer.graph.output}
    return users[0] if len(users) == 1 and name not in outputs else None


def _producer(importer, name: str):
    return importer.producers.get(name)


def fusions(importer, graph):
    """({node key: the value it passes on}, {node key: what its layer does}): the patterns torch's exporter
    writes for one module, read back as that module's one layer (PATTERNS)."""
    alias, fuse = {}, {}
    for node in graph.node:
        pattern = PATTERNS.get(node.op_type)
        if pattern and node.output and node.input:
            pattern(importer, node, alias, fuse)
    return alias, fuse


def _silu(importer, node, alias, fuse) -> None:
    """Sigmoid(x) read only by Mul(x, sigmoid(x)): nn.SiLU."""
    user = _only_consumer(importer, node.output[0])
    if user is not None and user.op_type == "Mul" and sorted(user.input) == sorted([node.input[0], node.output[0]]):
        alias[key(user)], fuse[key(node)] = node.output[0], "silu"


def _linear(importer, node, alias, fuse) -> None:
    """MatMul(x, W) read only by Add(., b), b a vector: nn.Linear on more than 2 axes (the weight is checked
    when the MatMul is mapped)."""
    user = _only_consumer(importer, node.output[0])
    if user is None or user.op_type != "Add" or len(node.input) != 2:
        return
    other = [i for i in user.input if i != node.output[0]]
    bias = importer.env.get(other[0]) if other else None
    if getattr(bias, "is_param", False) and len(bias.dims) == 1:
        alias[key(user)], fuse[key(node)] = node.output[0], (other[0], key(user))


def _gelu(importer, node, alias, fuse) -> None:
    """x * (erf(x / sqrt 2) + 1) * 0.5 (nn.GELU before opset 20): Div -> Erf -> Add -> Mul(x, .) -> Mul."""
    div = _producer(importer, node.input[0])
    if div is None or div.op_type != "Div" or _only_consumer(importer, div.output[0]) is not node:
        return
    x = div.input[0]
    add = _only_consumer(importer, node.output[0])
    mul = add and add.op_type == "Add" and _only_consumer(importer, add.output[0])
    half = mul and mul.op_type == "Mul" and x in mul.input and _only_consumer(importer, mul.output[0])
    if half and half.op_type == "Mul":
        alias[key(div)], fuse[key(node)] = x, "gelu"
        alias[key(add)], alias[key(mul)], alias[key(half)] = node.output[0], add.output[0], mul.output[0]


def _mish(importer, node, alias, fuse) -> None:
    """x * tanh(softplus(x)) (nn.Mish): Softplus -> Tanh -> Mul(x, .)."""
    tanh = _only_consumer(importer, node.output[0])
    mul = tanh and tanh.op_type == "Tanh" and _only_consumer(importer, tanh.output[0])
    if mul and mul.op_type == "Mul" and sorted(mul.input) == sorted([node.input[0], tanh.output[0]]):
        alias[key(node)], fuse[key(tanh)], alias[key(mul)] = node.input[0], "mish", tanh.output[0]


def _group_norm(importer, node, alias, fuse) -> None:
    """nn.GroupNorm as torch exports it: Reshape to (N, groups, -1) -> InstanceNormalization (scale 1, bias 0)
    -> Reshape back -> Mul(gamma) -> Add(beta), gamma and beta constants where affine is off. The nodes pass
    the input on; the last one makes the one groupnorm layer, once gamma and beta are known."""
    first = _producer(importer, node.input[0])
    back = _only_consumer(importer, node.output[0])
    if first is None or first.op_type != "Reshape" or _only_consumer(importer, first.output[0]) is not node \
            or back is None or back.op_type != "Reshape":
        return
    mul = _only_consumer(importer, back.output[0])
    add = mul is not None and mul.op_type == "Mul" and _only_consumer(importer, mul.output[0])
    chain = [first, node, back] + ([mul, add] if add and add.op_type == "Add" else [])
    for before, after in zip(chain, chain[1:-1]):
        alias[key(after)] = before.output[0] if before is not first else first.input[0]
    alias[key(first)] = first.input[0]
    fuse[key(chain[-1])] = ("groupnorm", node, chain[3] if len(chain) == 5 else None)


PATTERNS = {"Sigmoid": _silu, "MatMul": _linear, "Erf": _gelu, "Softplus": _mish,
            "InstanceNormalization": _group_norm}
