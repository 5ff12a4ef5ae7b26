"""The importer's handlers for layers whose weight, bias or additive term is computed from parameters rather
than read as they are: timm's weight-standardised convolutions (NFNet's ScaledStdConv2d, BiT's StdConv2d),
BEiT's and Swin-V2's q/zero/v bias joined into one qkv bias. Each wraps the handler torch_functional /
torch_functions registered and falls through to it for plain tensors.

How each is mapped, and why it stays exact:
- F.batch_norm of a weight (weight standardisation, training=True, no running statistics) is a tensor made
  from that weight and the batch norm's own weight (NFNet's gain x scale): a derived parameter of the
  weight's shape. torch's FlopCounterMode counts no MACs for it (a normalisation), nor does archcalc.
- A conv whose weight is such a standardised weight (with or without NFNet's gain, one per output channel)
  is one conv layer marked standardised (and gain): ir.Conv holds the gain's elements, and its saved rule
  what backward keeps (the standardised weight, the batch norm's statistics, gain * scale), as torch does;
  one output tensor, as torch makes. Another computed conv weight whose extra elements are one gain per
  output channel: conv(x, g * w) + b == g * conv(x, w) + b exactly, mapped as the conv (no bias), then a
  `gain` layer of C x 1 x 1, then a `bias` layer (when there is one): the same MACs, every parameter once.
- F.linear (or a conv) whose bias is made of other tensors (BEiT's cat(q_bias, k_bias buffer, v_bias)):
  the layer without its bias, then a `bias` layer holding the elements the bias is made of (buffers apart).
- x + P, x * P and attention's float mask with such a P: ImportingMethods.with_param and torch_axes'
  scaled_dot_product_attention make the `bias`/`gain` kind with the elements P is made of; P's index here
  (torch_params.index_param) gives its shape, the table and the index buffer as its sources.
"""

from __future__ import annotations

from dataclasses import replace

from ..core.shape import product
from .torch_functions import FUNCTIONS, arg
from .torch_values import Param, Tensor, UnsupportedOp


def _elements(p: Param) -> int:
    return sum(n for _, n, _ in p.sources())


def _extras(p: Param) -> tuple:
    """The sources of a derived weight other than the weight itself (NFNet's gain)."""
    return tuple(s for s in p.sources() if s[0] != p.name)


def _joined(parts: tuple, shape: tuple) -> Param:
    """A parameter standing for `parts` (qualified name, elements, is_buffer), with the layer's shape."""
    first = parts[0]
    return Param(first[0], tuple(shape), first[1], True, first[2], tuple(parts))


def _plain(p) -> bool:
    """A parameter read as it is (or only reshaped): its elements are its own."""
    return p is None or isinstance(p, Param) and not _extras(p) and _elements(p) == product(p.shape)


def _learned_layer(imp, kind: str, x: Tensor, p: Param, dims: tuple, name: str) -> Tensor:
    """The bias or gain kind over x with the elements p is made of (buffers apart)."""
    fresh = [(n, buffer) for source, n, buffer in p.sources() if source not in imp.params_seen]
    params = sum(n for n, buffer in fresh if not buffer)  # a parameter an earlier layer holds counts there
    buffers = sum(n for n, buffer in fresh if buffer)
    imp.uses(p)
    return imp.build(kind, x, name, shape=list(dims), params=params, buffers=buffers)


def _channel_dims(x: Tensor, channels: int) -> tuple:
    """A per-channel tensor's shape against x: C x 1 x 1 channels first, C for tokens x channels."""
    axis = x.shape.roles.find("C")
    if axis < 0 or x.shape.dims[axis] != channels:
        raise UnsupportedOp("a computed bias or gain that is not one per channel")
    return (channels,) + (1,) * (x.shape.rank - 1 - axis)


# --- F.batch_norm of a weight, reshape_as of a parameter ------------------------------------------------------
def _batch_norm(original):
    def handler(imp, args, kwargs):
        x = args[0] if args else kwargs.get("input")
        if not isinstance(x, Param):
            return original(imp, args, kwargs)
        mean, var = arg(args, kwargs, 1, "running_mean"), arg(args, kwargs, 2, "running_var")
        if mean is not None or var is not None or not arg(args, kwargs, 5, "training", False):
            raise UnsupportedOp("batch_norm of a parameter with running statistics")
        others = [p for p in (arg(args, kwargs, 3, "weight"), arg(args, kwargs, 4, "bias")) if p is not None]
        if any(not isinstance(p, Param) for p in others):
            raise UnsupportedOp("batch_norm of a parameter with a computed weight")
        # weight standardisation: the same shape, no MACs; the conv that uses it says so (ir.Conv.standardised)
        return replace(x.derived(x.shape, *others), standardised=True)
    return handler


def reshape_param_as(args, kwargs) -> Param:
    """P.reshape_as(W): a standardised weight back to the weight's shape (torch_functions' reshape_as)."""
    other = args[1] if len(args) > 1 else kwargs.get("other")
    if not isinstance(other, (Param, Tensor)) or product(other.shape) != product(args[0].shape):
        raise UnsupportedOp(".reshape_as() of a parameter to another size")
    return args[0].derived(tuple(other.shape))


# --- layers with a computed weight or bias --------------------------------------------------------------------
def _conv(original):
    def handler(imp, args, kwargs):
        weight, bias = arg(args, kwargs, 1, "weight"), arg(args, kwargs, 2, "bias")
        if isinstance(weight, Param) and weight.standardised and _plain(bias):
            return _standardised_conv(imp, original, args, kwargs, weight)
        if not isinstance(weight, Param) or _plain(weight) and _plain(bias):
            return original(imp, args, kwargs)
        extras = _extras(weight)
        channels = weight.shape[0]
        if extras and sum(n for _, n, _ in extras) != channels:
            raise UnsupportedOp("a conv weight computed from parameters other than one gain per output channel")
        plain = (args[0], Param(weight.name, weight.shape, weight.numel, weight.trainable, weight.is_buffer),
                 None) + tuple(args[3:])
        out = original(imp, plain, {k: v for k, v in kwargs.items() if k not in ("weight", "bias")})
        base = out.layer
        if extras:  # g * conv(x, w_hat): the gain per output channel, after the products
            out = _learned_layer(imp, "gain", out, _joined(extras, (channels,)), _channel_dims(out, channels),
                                 imp.unique(f"{base}.gain"))
        if bias is not None:
            out = _learned_layer(imp, "bias", out, bias, _channel_dims(out, channels),
                                 imp.unique(f"{base}.bias"))
        return out
    return handler


def _standardised_conv(imp, original, args, kwargs, weight: Param) -> Tensor:
    """conv(x, w_hat) with w_hat = batch_norm(w) (StdConv2d) or batch_norm(w, weight=gain * scale)
    (ScaledStdConv2d): one conv layer marked standardised (and gain), holding the gain's elements too; the
    same output, MACs and parameters as torch's, and backward keeps what torch keeps (rules/conv.py)."""
    extras = _extras(weight)
    channels = weight.shape[0]
    if extras and sum(n for _, n, _ in extras) != channels:
        raise UnsupportedOp("a standardised conv weight scaled by other than one gain per output channel")
    plain = Param(weight.name, weight.shape, weight.numel, weight.trainable, weight.is_buffer)
    out = original(imp, (args[0], plain) + tuple(args[2:]), {k: v for k, v in kwargs.items() if k != "weight"})
    layer = imp.layers[-1]
    if layer.name != out.layer or layer.kind != "conv":
        raise UnsupportedOp("a standardised conv weight used other than by one conv")
    imp.layers[-1] = replace(layer, attrs=replace(layer.attrs, standardised=True, gain=bool(extras)))
    imp.uses(weight)
    return out


def _linear(original):
    def handler(imp, args, kwargs):
        weight, bias = arg(args, kwargs, 1, "weight"), arg(args, kwargs, 2, "bias")
        if not isinstance(weight, Param) or not isinstance(bias, Param) or _plain(bias):
            return original(imp, args, kwargs)
        if not _plain(weight):
            raise UnsupportedOp("F.linear with a computed weight and a computed bias")
        out = original(imp, (args[0], weight, None), {})
        return _learned_layer(imp, "bias", out, bias, (bias.shape[-1],), imp.unique(f"{out.layer}.bias"))
    return handler


def _like(original):
    """torch.zeros_like(P) (Swin-V2's zero k bias): a constant of P's shape, no parameter of its own."""
    def handler(imp, args, kwargs):
        if args and isinstance(args[0], Param):
            return args[0].derived(args[0].shape)  # P's elements, counted once with P where it is used too
        if original is None:
            raise UnsupportedOp(f"function {imp.node_target_name()}")
        return original(imp, args, kwargs)
    return handler


def _pad(original):
    """F.pad(P, pads) (ViT-RelPos's bias padded for its class token): P's elements, in a larger shape."""
    def handler(imp, args, kwargs):
        p = args[0] if args else kwargs.get("input")
        if not isinstance(p, Param):
            return original(imp, args, kwargs)
        pads = list(arg(args, kwargs, 1, "pad"))
        if len(pads) % 2 or len(pads) // 2 > len(p.shape) or any(not isinstance(n, int) or n < 0 for n in pads):
            raise UnsupportedOp(f"F.pad of a parameter by {pads}")
        shape = list(p.shape)
        for i in range(len(pads) // 2):
            shape[len(shape) - 1 - i] += pads[2 * i] + pads[2 * i + 1]
        return p.derived(tuple(shape))
    return handler


def register() -> None:
    FUNCTIONS["F.batch_norm"] = _batch_norm(FUNCTIONS["F.batch_norm"])
    for name in ("F.conv1d", "F.conv2d", "F.conv3d", "torch.conv1d", "torch.conv2d", "torch.conv3d"):
        FUNCTIONS[name] = _conv(FUNCTIONS[name])
    FUNCTIONS["F.linear"] = _linear(FUNCTIONS["F.linear"])
    FUNCTIONS["F.pad"] = _pad(FUNCTIONS["F.pad"])
    for name in ("torch.zeros_like", "torch.ones_like"):
        FUNCTIONS[name] = _like(FUNCTIONS.get(name))


register()
