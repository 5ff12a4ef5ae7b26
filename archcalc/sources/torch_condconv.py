"""timm's CondConv2d (EfficientNet-CondConv, Yang et al. 2019), traced whole: `forward(x, routing_weights)`
mixes its experts' kernels per sample, routing (B, E) @ weight (E, out x in/groups x kh x kw), the same for
the bias, then convolves each sample with its own kernel (one grouped conv over the batch, B x groups
groups). Here: the mixture as a linear layer without bias whose weight is the experts' (E x the kernel's
elements: its parameters and its E MACs per kernel element, as torch's matmul), and a `dynamic_conv` of the
map with it (a conv's MACs, no parameters). Registered in torch_modules' tables (imported by torch_fold_ops)."""

from __future__ import annotations

from ..core.ir_dynamic import DynamicConv
from .torch_modules import LEAVES, MODULES
from .torch_values import Tensor, UnsupportedOp


def _is_condconv(m) -> bool:
    cls = type(m)
    return cls.__name__ == "CondConv2d" and cls.__module__.startswith("timm.")


def condconv(imp, m, args, kwargs, name):
    x = args[0] if args else kwargs.get("x")
    routing = args[1] if len(args) > 1 else kwargs.get("routing_weights")
    if not isinstance(x, Tensor) or not isinstance(routing, Tensor) or imp.fold(x) or imp.fold(routing):
        raise UnsupportedOp("CondConv2d other than of a map and a routing vector per sample")
    if m.dynamic_padding:
        raise UnsupportedOp("CondConv2d with padding computed in forward ('same' of a strided conv)")
    experts = m.weight.shape[0]
    if routing.shape.rank != 1 or routing.shape.dims[0] != experts:
        raise UnsupportedOp(f"CondConv2d with routing weights of shape {routing.shape} for {experts} experts")
    weight = imp.build("linear", routing, f"{name}.mix", out_features=int(m.weight.shape[1]), bias=False)
    inputs = [x, weight]
    if m.bias is not None:
        inputs.append(imp.build("linear", routing, f"{name}.mix_bias", out_features=int(m.bias.shape[1]), bias=False))
    attrs = DynamicConv(out_channels=m.out_channels, kernel=tuple(m.kernel_size), stride=tuple(m.stride),
                        padding=tuple(m.padding), dilation=tuple(m.dilation), groups=m.groups,
                        bias=m.bias is not None)
    return imp.add_layer("dynamic_conv", attrs, inputs, name)


LEAVES.append(_is_condconv)
MODULES["CondConv2d"] = condconv
