"""The importer's module handlers: a torch module (a leaf of the trace) as IR layers, its attributes read
from the module. Keyed by class name; only classes of torch.nn, and the attention classes `is_leaf` names,
are looked up here."""

from __future__ import annotations

from .torch_values import Tensor, UnsupportedOp, registrar

MODULES: dict = {}

ACTIVATIONS = {"ReLU": "relu", "ReLU6": "relu6", "LeakyReLU": "leaky_relu", "ELU": "elu", "GELU": "gelu",
               "SiLU": "silu", "Sigmoid": "sigmoid", "Tanh": "tanh", "Hardswish": "hardswish",
               "Hardsigmoid": "hardsigmoid", "Mish": "mish"}


handles = registrar(MODULES)


LEAVES: list = []  # more tests of a module traced whole, added by other modules (torch_windows: Swin's attention)


def is_leaf(m) -> bool:
    """Modules traced whole besides torch's: timm's and torchvision's plain multi-head self-attention."""
    cls = type(m)
    return (cls.__name__ == "Attention" and cls.__module__.startswith("timm.") and _plain_timm_attention(m)
            or any(leaf(m) for leaf in LEAVES))


def _plain_timm_attention(m) -> bool:
    """timm's ViT Attention (timm.layers.attention) without q/k norms or extras: qkv, softmax(q k^T) v, proj,
    both projections plain nn.Linear of the model's width."""
    norms = [getattr(m, n, None) for n in ("q_norm", "k_norm", "norm")]
    plain_norms = all(n is None or type(n).__name__ == "Identity" for n in norms)
    qkv, proj = getattr(m, "qkv", None), getattr(m, "proj", None)
    linear = all(type(p).__name__ == "Linear" and type(p).__module__.startswith("torch.nn") for p in (qkv, proj))
    return (type(m).__module__ in ("timm.layers.attention", "timm.models.vision_transformer") and linear
            and plain_norms and hasattr(m, "num_heads") and qkv.out_features == 3 * qkv.in_features
            and proj.in_features == qkv.in_features)


def one(imp, args) -> Tensor:
    x = args[0] if args else None
    if not isinstance(x, Tensor):
        raise UnsupportedOp(f"a module called on {type(x).__name__}")
    return x


def build(imp, method: str, inputs, name, **fields) -> Tensor:
    """Make a layer with the builder's method (its checks and normalisation), then shape it."""
    return imp.build(method, inputs, name, **fields)


@handles("Conv1d", "Conv2d", "Conv3d")
def conv(imp, m, args, kwargs, name):
    if m.padding_mode != "zeros":
        raise UnsupportedOp(f"Conv with padding_mode='{m.padding_mode}'")
    padding = m.padding
    if padding == "valid":
        padding = 0
    return build(imp, "conv", one(imp, args), name, out_channels=m.out_channels, kernel=tuple(m.kernel_size),
                 stride=tuple(m.stride), padding=padding if padding == "same" else tuple(padding),
                 dilation=tuple(m.dilation), groups=m.groups, bias=m.bias is not None, dims=len(m.kernel_size))


@handles("ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d")
def conv_transpose(imp, m, args, kwargs, name):
    if args[1:] or kwargs.get("output_size") is not None:
        raise UnsupportedOp("ConvTranspose called with output_size")
    return build(imp, "conv_transpose", one(imp, args), name, out_channels=m.out_channels,
                 kernel=tuple(m.kernel_size), stride=tuple(m.stride), padding=tuple(m.padding),
                 output_padding=tuple(m.output_padding), dilation=tuple(m.dilation), groups=m.groups,
                 bias=m.bias is not None, dims=len(m.kernel_size))


@handles("Linear")
def linear(imp, m, args, kwargs, name):
    return build(imp, "linear", one(imp, args), name, out_features=m.out_features, bias=m.bias is not None)


@handles("BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "SyncBatchNorm")
def batchnorm(imp, m, args, kwargs, name):
    return build(imp, "batchnorm", one(imp, args), name, eps=m.eps, affine=m.affine,
                 track_running_stats=m.track_running_stats)


@handles("LayerNorm")
def layernorm(imp, m, args, kwargs, name):
    affine = m.elementwise_affine
    return build(imp, "layernorm", one(imp, args), name, axes=len(m.normalized_shape), eps=m.eps, affine=affine,
                 bias=affine and m.bias is not None)


@handles("GroupNorm")
def groupnorm(imp, m, args, kwargs, name):
    return build(imp, "groupnorm", one(imp, args), name, groups=m.num_groups, eps=m.eps, affine=m.affine)


@handles("InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d")
def instancenorm(imp, m, args, kwargs, name):
    return build(imp, "instancenorm", one(imp, args), name, eps=m.eps, affine=m.affine,
                 track_running_stats=m.track_running_stats)


@handles("LocalResponseNorm")
def lrn(imp, m, args, kwargs, name):
    return build(imp, "lrn", one(imp, args), name, size=m.size, alpha=m.alpha, beta=m.beta, k=m.k)


def _activation(kind):
    def handler(imp, m, args, kwargs, name):
        return imp.build_act(kind, one(imp, args), name, inplace=bool(getattr(m, "inplace", False)))
    return handler


for _cls, _kind in ACTIVATIONS.items():
    MODULES[_cls] = _activation(_kind)


@handles("Softmax")
def softmax(imp, m, args, kwargs, name):
    x = one(imp, args)
    if m.dim is None:
        raise UnsupportedOp("Softmax without dim")
    return build(imp, "softmax", x, name, dim=imp.torch_dim(m.dim, x))


@handles("Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout")
def dropout(imp, m, args, kwargs, name):
    return build(imp, "dropout", one(imp, args), name, p=float(m.p))


@handles("Identity")
def identity(imp, m, args, kwargs, name):
    return build(imp, "identity", one(imp, args), name)


@handles("Flatten")
def flatten(imp, m, args, kwargs, name):
    x = one(imp, args)
    return imp.flatten(x, m.start_dim, m.end_dim, name)


@handles("MaxPool1d", "MaxPool2d", "MaxPool3d")
def maxpool(imp, m, args, kwargs, name):
    if m.return_indices:
        raise UnsupportedOp("MaxPool with return_indices")
    dims = {"MaxPool1d": 1, "MaxPool2d": 2, "MaxPool3d": 3}[type(m).__name__]
    return build(imp, "maxpool", one(imp, args), name, kernel=m.kernel_size, stride=m.stride, padding=m.padding,
                 dilation=m.dilation, ceil_mode=m.ceil_mode, dims=dims)


@handles("AvgPool1d", "AvgPool2d", "AvgPool3d")
def avgpool(imp, m, args, kwargs, name):
    if getattr(m, "divisor_override", None):
        raise UnsupportedOp("AvgPool with divisor_override")
    dims = {"AvgPool1d": 1, "AvgPool2d": 2, "AvgPool3d": 3}[type(m).__name__]
    return build(imp, "avgpool", one(imp, args), name, kernel=m.kernel_size, stride=m.stride, padding=m.padding,
                 ceil_mode=m.ceil_mode, count_include_pad=m.count_include_pad, dims=dims)


@handles("AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d",
         "AdaptiveMaxPool3d")
def adaptive(imp, m, args, kwargs, name):
    cls = type(m).__name__
    if getattr(m, "return_indices", False):
        raise UnsupportedOp(f"{cls} with return_indices")
    dims = int(cls[-2])
    kind = "adaptive_avgpool" if "Avg" in cls else "adaptive_maxpool"
    return imp.adaptive(kind, one(imp, args), m.output_size, dims, name)


@handles("Upsample")
def upsample(imp, m, args, kwargs, name):
    x = one(imp, args)
    return imp.upsample(x, m.size, m.scale_factor, m.mode, m.align_corners, name)


@handles("ZeroPad1d", "ZeroPad2d", "ZeroPad3d", "ConstantPad1d", "ConstantPad2d", "ConstantPad3d")
def pad(imp, m, args, kwargs, name):
    return imp.pad(one(imp, args), tuple(m.padding), float(getattr(m, "value", 0.0)), name)


@handles("ChannelShuffle")
def channel_shuffle(imp, m, args, kwargs, name):
    return build(imp, "channel_shuffle", one(imp, args), name, groups=m.groups)


@handles("MultiheadAttention")
def multihead_attention(imp, m, args, kwargs, name):
    """nn.MultiheadAttention as self-attention (query, key and value the same tensor, batch first): the same
    projections and products as the attention kind; returns (output, None)."""
    q = args[0] if args else kwargs.get("query")
    rest = list(args[1:3]) + [kwargs.get(k) for k in ("key", "value") if k in kwargs]
    if not m.batch_first or any(r is not q for r in rest) or kwargs.get("attn_mask") is not None \
            or kwargs.get("key_padding_mask") is not None or m.bias_k is not None or not m._qkv_same_embed_dim:
        raise UnsupportedOp("MultiheadAttention other than batch-first self-attention without masks")
    if kwargs.get("need_weights", True):
        raise UnsupportedOp("MultiheadAttention with need_weights=True (its averaged weights)")
    out = build(imp, "attention", one(imp, [q]), name, heads=m.num_heads, qkv_bias=m.in_proj_bias is not None,
                proj_bias=m.out_proj.bias is not None)
    return (out, None)


@handles("Attention")
def timm_attention(imp, m, args, kwargs, name):
    """timm's ViT Attention (plain: no q/k norms): the attention kind, its heads and biases read."""
    if kwargs.get("attn_mask") is not None or len(args) > 1 and args[1] is not None:
        raise UnsupportedOp("timm Attention with an attention mask")
    return build(imp, "attention", one(imp, args), name, heads=m.num_heads, qkv_bias=m.qkv.bias is not None,
                 proj_bias=m.proj.bias is not None, fused=bool(getattr(m, "fused_attn", False)))
