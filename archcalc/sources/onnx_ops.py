"""The ONNX importer's operator handlers for layers with weights, pooling, norms and activations: each node
as the IR kinds the PyTorch importer makes for the torch module it was exported from (torch_modules.py)."""

from __future__ import annotations

from .onnx_fold import FOLDS, attrs_of, fold
from .onnx_importer import Act, Const, UnsupportedOp
from .torch_values import registrar

HANDLERS: dict = {}
ACTIVATIONS = {"Relu": "relu", "LeakyRelu": "leaky_relu", "Sigmoid": "sigmoid", "Tanh": "tanh", "Elu": "elu",
               "HardSwish": "hardswish", "Gelu": "gelu", "Mish": "mish"}


handles = registrar(HANDLERS)


def map_node(imp, node, ins):
    """The node's outputs: folded where its inputs are all known (or it reads an activation's shape), else
    made into layers by its handler."""
    from . import onnx_layout  # noqa: F401  (registers the layout handlers)

    if node.op_type == "Shape" or not any(isinstance(v, Act) for v in ins) and node.op_type in FOLDS:
        return fold(imp, node, ins)
    fused = imp.fuse.get(imp.key(node))
    if isinstance(fused, tuple) and fused[0] == "groupnorm":
        return group_norm(imp, node, ins, fused[1], fused[2])
    handler = HANDLERS.get(node.op_type)
    if handler is None or not isinstance(ins[0] if ins else None, Act) and node.op_type not in ("Concat",
                                                                                                 "Add", "Mul"):
        raise UnsupportedOp(node.op_type if handler is None else f"{node.op_type} of a constant first input")
    return handler(imp, node, ins, attrs_of(node))


def known(op: str) -> bool:
    """An operator the importer maps or folds."""
    from . import onnx_layout  # noqa: F401  (registers the layout handlers)

    return op in HANDLERS or op in FOLDS


def weight(ins, i: int, what: str) -> Const:
    value = ins[i] if i < len(ins) else None
    if not isinstance(value, Const):
        raise UnsupportedOp(f"{what} with a computed weight")
    return value


def number(value, what: str):
    """A constant that is one number."""
    if not isinstance(value, Const):
        raise UnsupportedOp(f"{what} read from an activation")
    flat = value.values().reshape(-1)
    if flat.size != 1:
        raise UnsupportedOp(f"{what} of more than one value")
    return flat[0].item() if hasattr(flat[0], "item") else flat[0]


def spatial_pads(imp, x: Act, a: dict, kernel, strides, dilations, what: str):
    """(symmetric padding per axis, extra (before, after) pairs for a pad layer or None) from pads/auto_pad."""
    n = len(kernel)
    auto = a.get("auto_pad", b"NOTSET")
    auto = auto.decode() if isinstance(auto, bytes) else auto
    if auto in ("NOTSET", ""):
        pads = list(a.get("pads", [0] * 2 * n))
        pairs = [(pads[i], pads[i + n]) for i in range(n)]
    elif auto == "VALID":
        pairs = [(0, 0)] * n
    else:  # SAME_UPPER / SAME_LOWER: output ceil(n / s), the odd pixel after (UPPER) or before (LOWER)
        pairs = []
        for size, k, s, d in zip(x.shape.spatial, kernel, strides, dilations):
            if not isinstance(size, int) and s != 1:
                raise UnsupportedOp(f"{what} with auto_pad {auto} and a stride at a symbolic size")
            total = d * (k - 1) if s == 1 else max((-(-size // s) - 1) * s + d * (k - 1) + 1 - size, 0)
            small, big = total // 2, total - total // 2
            pairs.append((small, big) if auto == "SAME_UPPER" else (big, small))
    common = [min(p) for p in pairs]
    extra = [(b - c, e - c) for (b, e), c in zip(pairs, common)]
    return tuple(common), (extra if any(p != (0, 0) for p in extra) else None)


def _pre_pad(imp, x: Act, extra, what: str) -> Act:
    """The asymmetric part of a padding as a pad layer before the op (as F.pad before a conv)."""
    if extra is None:
        return x
    if any(v < 0 for p in extra for v in p):
        raise UnsupportedOp(f"{what} with negative pads")
    return imp.build("pad", x, f"{imp.layer_name()}.pad", pads=[list(p) for p in extra], value=0.0,
                     dims=len(extra))


@handles("Conv")
def conv(imp, node, ins, a):
    x, w = ins[0], weight(ins, 1, "Conv")
    kernel = tuple(int(k) for k in w.dims[2:])
    n = len(kernel)
    strides, dilations = tuple(a.get("strides", [1] * n)), tuple(a.get("dilations", [1] * n))
    padding, extra = spatial_pads(imp, x, a, kernel, strides, dilations, "Conv")
    bias = len(ins) > 2 and ins[2] is not None
    x = _pre_pad(imp, x, extra, "Conv")
    return imp.build("conv", x, None, weights=[w] + ([weight(ins, 2, "Conv")] if bias else []),
                     out_channels=int(w.dims[0]), kernel=kernel, stride=strides, padding=padding,
                     dilation=dilations, groups=int(a.get("group", 1)), bias=bias, dims=n)


@handles("ConvTranspose")
def conv_transpose(imp, node, ins, a):
    x, w = ins[0], weight(ins, 1, "ConvTranspose")
    kernel = tuple(int(k) for k in w.dims[2:])
    n = len(kernel)
    auto = a.get("auto_pad", b"NOTSET")
    if "output_shape" in a or (auto.decode() if isinstance(auto, bytes) else auto) not in ("NOTSET", ""):
        raise UnsupportedOp("ConvTranspose with output_shape or auto_pad")
    pads = list(a.get("pads", [0] * 2 * n))
    if pads[:n] != pads[n:]:
        raise UnsupportedOp("ConvTranspose with asymmetric pads")
    groups = int(a.get("group", 1))
    bias = len(ins) > 2 and ins[2] is not None
    return imp.build("conv_transpose", x, None, weights=[w] + ([weight(ins, 2, "ConvTranspose")] if bias else []),
                     out_channels=int(w.dims[1]) * groups, kernel=kernel, stride=tuple(a.get("strides", [1] * n)),
                     padding=tuple(pads[:n]), output_padding=tuple(a.get("output_padding", [0] * n)),
                     dilation=tuple(a.get("dilations", [1] * n)), groups=groups, bias=bias, dims=n)


@handles("Gemm")
def gemm(imp, node, ins, a):
    x, w = ins[0], ins[1]
    if a.get("transA", 0) or not isinstance(w, Const) or len(w.dims) != 2:
        raise UnsupportedOp("Gemm other than activation x weight (transA, or two activations)")
    out = int(w.dims[0] if a.get("transB", 0) else w.dims[1])
    bias = len(ins) > 2 and ins[2] is not None
    return imp.build("linear", x, None, weights=[w] + ([weight(ins, 2, "Gemm")] if bias else []),
                     out_features=out, bias=bias)


@handles("MatMul")
def matmul(imp, node, ins, a):
    x, w = ins[0], ins[1]
    fused = imp.fuse.get(imp.key(node))
    if fused and not (isinstance(w, Const) and len(w.dims) == 2 and w.is_param):
        imp.alias.pop(fused[1], None)  # no nn.Linear here: the Add that follows is a layer of its own
    if isinstance(w, Act):
        return imp.build("matmul", [x, w], None)
    if not isinstance(w, Const) or len(w.dims) < 2:
        raise UnsupportedOp("MatMul with a weight of fewer than 2 axes")
    if len(w.dims) == 2 and w.is_param:
        bias_name, add = imp.fuse.get(imp.key(node)) or (None, None)  # MatMul + Add of a vector: nn.Linear
        bias = [imp.env[bias_name]] if bias_name else []
        if bias and tuple(bias[0].dims) != (w.dims[1],):  # not this weight's bias: the Add is a layer of its own
            bias = []
            imp.alias.pop(add, None)
        return imp.build("linear", x, None, weights=[w] + bias, out_features=int(w.dims[1]), bias=bool(bias))
    elements = 1
    for d in w.dims:
        elements *= int(d)
    return imp.build("param_matmul", x, None, weights=[w], shape=[int(d) for d in w.dims],
                     params=elements if w.is_param else 0)


@handles("BatchNormalization")
def batchnorm(imp, node, ins, a):
    x = ins[0]
    weights = [weight(ins, i, "BatchNormalization") for i in (1, 2)]
    out = imp.build("batchnorm", x, None, weights=weights, eps=float(a.get("epsilon", 1e-5)))
    return [out]  # the training outputs (running mean and variance) are not activations


@handles("LayerNormalization")
def layernorm(imp, node, ins, a):
    x = ins[0]
    rank = x.shape.rank + 1
    axes = rank - int(a.get("axis", -1)) % rank
    bias = len(ins) > 2 and ins[2] is not None
    weights = [weight(ins, 1, "LayerNormalization")] + ([weight(ins, 2, "LayerNormalization")] if bias else [])
    return [imp.build("layernorm", x, None, weights=weights, axes=axes, eps=float(a.get("epsilon", 1e-5)),
                      affine=True, bias=bias)]


@handles("InstanceNormalization")
def instancenorm(imp, node, ins, a):
    """nn.InstanceNorm (affine when its scale and bias are parameters; torch writes ones and zeros as
    constants for affine=False), or the core of nn.GroupNorm's pattern (onnx_names)."""
    weights = [weight(ins, i, "InstanceNormalization") for i in (1, 2)]
    eps = float(a.get("epsilon", 1e-5))
    affine = all(w.is_param for w in weights)
    return imp.build("instancenorm", ins[0], None, weights=weights if affine else [], eps=eps, affine=affine)


def group_norm(imp, last, ins, norm, mul):
    """nn.GroupNorm's exported pattern (onnx_names), made at its last node: groups from the instance norm's
    scale; affine where the Mul's and Add's other inputs are parameters."""
    x = next(v for v in ins if isinstance(v, Act))
    groups = int(weight([imp.env.get(n) for n in norm.input], 1, "GroupNorm").dims[0])
    eps = float(attrs_of(norm).get("epsilon", 1e-5))
    joined = [imp.env.get(i) for node in ((mul, last) if mul is not None else ()) for i in node.input]
    params = [v for v in joined if isinstance(v, Const) and v.is_param]
    return imp.build("groupnorm", x, None, weights=params, groups=groups, eps=eps, affine=bool(params),
                     bias=len(params) == 2)


@handles("GroupNormalization")
def groupnorm(imp, node, ins, a):
    weights = [weight(ins, i, "GroupNormalization") for i in (1, 2)]
    return imp.build("groupnorm", ins[0], None, weights=weights, groups=int(a["num_groups"]),
                     eps=float(a.get("epsilon", 1e-5)))


def _activation(kind: str):
    def handler(imp, node, ins, a):
        fused = imp.fuse.get(imp.key(node))  # Sigmoid of SiLU, Tanh of Mish, Erf of GELU: torch's one module
        if isinstance(fused, str):
            return imp.build_act(fused, ins[0])
        if kind is None:
            raise UnsupportedOp(node.op_type)
        return imp.build_act(kind, ins[0])
    return handler


for _op, _kind in ACTIVATIONS.items():
    HANDLERS[_op] = _activation(_kind)
HANDLERS["Erf"] = _activation(None)  # only as part of GELU's pattern


@handles("HardSigmoid")
def hardsigmoid(imp, node, ins, a):
    if abs(a.get("alpha", 0.2) - 1 / 6) > 1e-6 or abs(a.get("beta", 0.5) - 0.5) > 1e-6:
        raise UnsupportedOp("HardSigmoid other than torch's (alpha 1/6, beta 0.5)")
    return imp.build_act("hardsigmoid", ins[0])


@handles("Clip")
def clip(imp, node, ins, a):
    low = number(ins[1], "Clip's min") if len(ins) > 1 and ins[1] is not None else a.get("min")
    high = number(ins[2], "Clip's max") if len(ins) > 2 and ins[2] is not None else a.get("max")
    if low == 0 and high == 6:
        return imp.build_act("relu6", ins[0])
    if low == 0 and (high is None or high == float("inf")):
        return imp.build_act("relu", ins[0])
    raise UnsupportedOp("Clip other than ReLU6 (0, 6) or ReLU (0, none)")


def _pool_fields(imp, x, a, what: str):
    kernel = tuple(int(k) for k in a["kernel_shape"])
    n = len(kernel)
    strides, dilations = tuple(a.get("strides", [1] * n)), tuple(a.get("dilations", [1] * n))
    padding, extra = spatial_pads(imp, x, a, kernel, strides, dilations, what)
    if extra is not None:
        raise UnsupportedOp(f"{what} with asymmetric padding")
    return dict(kernel=kernel, stride=strides, padding=padding, ceil_mode=bool(a.get("ceil_mode", 0)), dims=n), \
        dilations


@handles("MaxPool")
def maxpool(imp, node, ins, a):
    fields, dilations = _pool_fields(imp, ins[0], a, "MaxPool")
    return [imp.build("maxpool", ins[0], None, dilation=dilations, **fields)]


@handles("AveragePool")
def avgpool(imp, node, ins, a):
    fields, _ = _pool_fields(imp, ins[0], a, "AveragePool")
    return imp.build("avgpool", ins[0], None, count_include_pad=bool(a.get("count_include_pad", 0)), **fields)


@handles("GlobalAveragePool", "GlobalMaxPool")
def global_pool(imp, node, ins, a):
    x = ins[0]
    kind = "adaptive_avgpool" if node.op_type == "GlobalAveragePool" else "adaptive_maxpool"
    n = len(x.shape.spatial)
    return imp.build(kind, x, None, output=(1,) * n, dims=n)


@handles("Softmax")
def softmax(imp, node, ins, a):
    return imp.build("softmax", ins[0], None, dim=int(a.get("axis", -1)))


@handles("Dropout")
def dropout(imp, node, ins, a):
    p = number(ins[1], "Dropout's ratio") if len(ins) > 1 and ins[1] is not None else a.get("ratio", 0.5)
    return [imp.build("dropout", ins[0], None, p=float(p))]


@handles("Identity")
def identity(imp, node, ins, a):
    return ins[0]  # torch's exporter drops nn.Identity; an Identity node is a name for the same tensor
