"""The importer's mappings for Swin Transformers' windows: torchvision's ShiftedWindowAttention (V1 and V2)
traced whole as one `window_attention` layer, its attributes read from the module, and torchvision's
`_patch_merging_pad` (wrapped by torch.fx, so one call in the trace) as a `patch_merge` layer.

The attention module is kept whole (a leaf of the trace, torch_modules.LEAVES) rather than followed into
torchvision's fx-wrapped shifted_window_attention: its padding, roll, window partition and mask depend on
the map's size, which the window_attention kind's rules write out; its parameters (qkv, proj, the position
bias table or MLP, V2's logit scale) are counted by the kind's params rule, checked against the module's.
"""

from __future__ import annotations

from ..core.ir import PatchMerge, Roll, WindowAttention
from ..core.shape import to_plain
from .torch_functions import FUNCTIONS, METHODS, arg, tensor
from .torch_modules import LEAVES, MODULES, one
from .torch_values import BATCH, UnsupportedOp

SWIN_ATTENTION = ("ShiftedWindowAttention", "ShiftedWindowAttentionV2")


def _is_swin_attention(m) -> bool:
    """torchvision's shifted window attention, with plain linear projections."""
    cls = type(m)
    return (cls.__name__ in SWIN_ATTENTION and cls.__module__.startswith("torchvision.models.swin_transformer")
            and all(type(getattr(m, p, None)).__name__ == "Linear" for p in ("qkv", "proj")))


LEAVES.append(_is_swin_attention)


def _cpb_hidden(m) -> int:
    """The hidden width of V2's position-bias MLP, checked to be torchvision's Linear(2, k), ReLU, Linear(k, h)
    without bias; anything else is refused rather than counted wrong."""
    mlp = list(m.cpb_mlp)
    kinds = [type(layer).__name__ for layer in mlp]
    if (kinds != ["Linear", "ReLU", "Linear"] or mlp[0].in_features != 2 or mlp[0].bias is None
            or mlp[2].bias is not None or mlp[2].out_features != m.num_heads):
        raise UnsupportedOp(f"ShiftedWindowAttentionV2 with a position-bias MLP other than torchvision's ({kinds})")
    return mlp[0].out_features


def swin_attention(imp, m, args, kwargs, name):
    """torchvision's ShiftedWindowAttention(V2) as one window_attention layer."""
    x = one(imp, args)
    v2 = type(m).__name__ == "ShiftedWindowAttentionV2"
    if m.qkv.out_features != 3 * m.qkv.in_features or m.proj.in_features != m.qkv.in_features:
        raise UnsupportedOp(f"{type(m).__name__} whose projections are not C -> 3C and C -> C")
    attrs = WindowAttention(heads=m.num_heads, window=tuple(m.window_size), shift=tuple(m.shift_size),
                            qkv_bias=m.qkv.bias is not None, proj_bias=m.proj.bias is not None, cosine=v2,
                            cpb_hidden=_cpb_hidden(m) if v2 else 0)
    return imp.add_layer("window_attention", attrs, [x], name)


for _name in SWIN_ATTENTION:
    MODULES[_name] = swin_attention


def patch_merging_pad(imp, args, kwargs):
    """torchvision's _patch_merging_pad: each 2 x 2 block of an H x W x C map on the channels. Named after its
    operation even where it is the only one in its module (PatchMerging, whose norm and linear are modules):
    the module's name stands for what the module returns, after its linear."""
    from .torch_fx import owner_of

    owner = owner_of(imp.node)
    name = f"{owner}._patch_merging_pad" if owner else None
    return imp.add_layer("patch_merge", PatchMerge(), [tensor(args[0], "_patch_merging_pad")], name)


FUNCTIONS["torchvision._patch_merging_pad"] = patch_merging_pad


def _is_maxvit_departition(m) -> bool:
    cls = type(m)
    return cls.__name__ == "WindowDepartition" and cls.__module__.startswith("torchvision.models.maxvit")


LEAVES.append(_is_maxvit_departition)


def maxvit_departition(imp, m, args, kwargs, name):
    """torchvision MaxViT's WindowDepartition (windows x window positions x C back to C x H x W): its reshape,
    permute and reshape, the result named a channels-first map, which its forward documents it to be (the
    conv, pooling and norms after it read it so; followed through the views, its merged axes read as tokens)."""
    x = one(imp, args)
    p, hp, wp = (args[i] if len(args) > i else kwargs[key] for i, key in
                 ((1, "p"), (2, "h_partitions"), (3, "w_partitions")))
    c = x.shape.dims[-1]
    x = imp.reshape(x, [BATCH, hp, wp, p, p, c])
    x = imp.build("permute", x, f"{name}.permute", dims=[0, 5, 1, 3, 2, 4])
    x = imp.reshape(x, [BATCH, c, hp * p, wp * p])
    return imp.read_as(x, "CSS", name)


MODULES["WindowDepartition"] = maxvit_departition


def roll(imp, args, kwargs):
    """torch.roll / Tensor.roll along named dims (timm's Swin rolls the map before its windows and back after)."""
    x = tensor(args[0], "torch.roll")
    shifts, dims = arg(args, kwargs, 1, "shifts"), arg(args, kwargs, 2, "dims")
    if dims is None:
        raise UnsupportedOp("torch.roll of the flattened tensor (no dims)")
    shifts = tuple(to_plain(s) for s in (shifts if isinstance(shifts, (list, tuple)) else (shifts,)))
    dims = tuple(dims) if isinstance(dims, (list, tuple)) else (dims,)
    if not all(isinstance(v, int) for v in shifts + dims):
        raise UnsupportedOp("torch.roll by a shift that is a formula (a symbolic input size)")
    axes = []
    for d in dims:
        axis = imp.sample_dim(d, x)
        axes.append(axis - 1 if axis > 0 else axis)
    return imp.add_layer("roll", Roll(shifts, tuple(axes)), [x])


FUNCTIONS["torch.roll"] = roll
METHODS["roll"] = roll
