"""The importer's handlers for layers with a fixed filter or border (core/rules/fixed_filters.py): F.conv with a
weight that is a buffer (timm's BlurPool2d: a binomial filter per channel, expanded from one where the module
is built without its channel count) as buffer_conv, and F.pad in mode reflect, replicate or circular as
border_pad. Each wraps the handler registered before it, which keeps every other case. Imported from the end of
torch_functions, before torch_constants."""

from __future__ import annotations

from .torch_functions import FUNCTIONS, arg
from .torch_values import Param, Tensor, UnsupportedOp


def _buffer_conv(previous):
    """F.convNd(x, W, bias, stride, padding, dilation, groups), W made of buffers alone."""
    def handler(imp, args, kwargs):
        x, weight = (args[0] if args else kwargs.get("input")), arg(args, kwargs, 1, "weight")
        if not (isinstance(x, Tensor) and isinstance(weight, Param)) or not all(
                buffer for _, _, buffer in weight.sources()):
            return previous(imp, args, kwargs)
        bias = arg(args, kwargs, 2, "bias")
        imp.uses(weight, bias)
        kernel, held = tuple(weight.shape[2:]), sum(n for _, n, _ in weight.sources())
        full = _product(weight.shape)
        return imp.build("buffer_conv", x, None, out_channels=weight.shape[0], kernel=kernel,
                         stride=arg(args, kwargs, 3, "stride", 1), padding=arg(args, kwargs, 4, "padding", 0),
                         dilation=arg(args, kwargs, 5, "dilation", 1), groups=arg(args, kwargs, 6, "groups", 1),
                         bias=bias is not None, dims=len(kernel), buffers=None if held == full else held)
    return handler


def _product(shape) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def _border_pad(previous):
    """F.pad(x, pads, mode) in mode reflect, replicate or circular: torch's flat pads, the last axis first,
    as one (before, after) pair per spatial or token axis."""
    def handler(imp, args, kwargs):
        x, mode = (args[0] if args else kwargs.get("input")), arg(args, kwargs, 2, "mode", "constant")
        if not isinstance(x, Tensor) or mode not in ("reflect", "replicate", "circular"):
            return previous(imp, args, kwargs)
        pads = list(arg(args, kwargs, 1, "pad"))
        pairs = [tuple(pads[i:i + 2]) for i in range(0, len(pads), 2)][::-1]
        roles = x.shape.roles
        if len(pairs) > len(roles) or any(r not in "ST" for r in roles[len(roles) - len(pairs):]):
            raise UnsupportedOp(f"F.pad mode '{mode}' of an axis that is not spatial")
        return imp.build("border_pad", x, None, pads=[list(p) for p in pairs], mode=mode, dims=len(pairs))
    return handler


for _name in ("F.conv1d", "F.conv2d", "F.conv3d", "torch.conv1d", "torch.conv2d", "torch.conv3d"):
    FUNCTIONS[_name] = _buffer_conv(FUNCTIONS[_name])
FUNCTIONS["F.pad"] = _border_pad(FUNCTIONS["F.pad"])
