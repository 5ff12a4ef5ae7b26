"""The importer's handlers for torch.nn.functional's forms of the layers (F.conv2d with a weight the model
reads itself, F.layer_norm, F.batch_norm, pools, interpolate, pad): registered in torch_functions' table."""

from __future__ import annotations

from .torch_functions import arg, fn, tensor
from .torch_values import Param, UnsupportedOp


# --- functional forms of the layers -------------------------------------------------------------------------
@fn("F.adaptive_avg_pool1d", "F.adaptive_avg_pool2d", "F.adaptive_avg_pool3d", "F.adaptive_max_pool2d")
def adaptive_pool(imp, args, kwargs):
    x = tensor(args[0], "adaptive pool")
    kind = "adaptive_maxpool" if "max" in imp.node_target_name() else "adaptive_avgpool"
    return imp.adaptive(kind, x, arg(args, kwargs, 1, "output_size"), len(x.shape.spatial), None)


@fn("F.avg_pool2d", "F.max_pool2d", "F.avg_pool1d", "F.max_pool1d", "torch.avg_pool1d", "torch.max_pool2d",
    "torch.max_pool1d", "F._max_pool2d", "F._max_pool1d")
def pool(imp, args, kwargs):
    x = tensor(args[0], "pool")
    name = imp.node_target_name()
    kernel = arg(args, kwargs, 1, "kernel_size")
    stride = arg(args, kwargs, 2, "stride") or kernel
    padding = arg(args, kwargs, 3, "padding", 0)
    dims = int(name[-2])
    if "max" in name:
        if arg(args, kwargs, 6, "return_indices"):
            raise UnsupportedOp("max pooling with return_indices")
        return imp.build("maxpool", x, None, kernel=kernel, stride=stride, padding=padding,
                         dilation=arg(args, kwargs, 4, "dilation", 1), ceil_mode=bool(arg(args, kwargs, 5, "ceil_mode")),
                         dims=dims)
    return imp.build("avgpool", x, None, kernel=kernel, stride=stride, padding=padding,
                     ceil_mode=bool(arg(args, kwargs, 4, "ceil_mode")),
                     count_include_pad=bool(arg(args, kwargs, 5, "count_include_pad", True)), dims=dims)


@fn("F.layer_norm")
def layer_norm(imp, args, kwargs):
    x = tensor(args[0], "layer_norm")
    shape = arg(args, kwargs, 1, "normalized_shape")
    weight, bias = arg(args, kwargs, 2, "weight"), arg(args, kwargs, 3, "bias")
    imp.uses(weight, bias)
    return imp.build("layernorm", x, None, axes=len(shape), eps=float(arg(args, kwargs, 4, "eps", 1e-5)),
                     affine=weight is not None, bias=bias is not None)


@fn("F.linear")
def linear(imp, args, kwargs):
    x = tensor(args[0], "linear")
    weight, bias = arg(args, kwargs, 1, "weight"), arg(args, kwargs, 2, "bias")
    if not isinstance(weight, Param):
        raise UnsupportedOp("F.linear with a computed weight")
    imp.uses(weight, bias)
    return imp.build("linear", x, None, out_features=weight.shape[0], bias=bias is not None)


@fn("F.conv1d", "F.conv2d", "F.conv3d", "torch.conv1d", "torch.conv2d", "torch.conv3d")
def conv(imp, args, kwargs):
    x = tensor(args[0], "conv")
    weight, bias = arg(args, kwargs, 1, "weight"), arg(args, kwargs, 2, "bias")
    if not isinstance(weight, Param):
        raise UnsupportedOp("F.conv with a computed weight")
    imp.uses(weight, bias)
    kernel = tuple(weight.shape[2:])
    return imp.build("conv", x, None, out_channels=weight.shape[0], kernel=kernel,
                     stride=arg(args, kwargs, 3, "stride", 1), padding=arg(args, kwargs, 4, "padding", 0),
                     dilation=arg(args, kwargs, 5, "dilation", 1), groups=arg(args, kwargs, 6, "groups", 1),
                     bias=bias is not None, dims=len(kernel))


@fn("F.interpolate")
def interpolate(imp, args, kwargs):
    x = tensor(args[0], "interpolate")
    return imp.upsample(x, arg(args, kwargs, 1, "size"), arg(args, kwargs, 2, "scale_factor"),
                        arg(args, kwargs, 3, "mode", "nearest"), arg(args, kwargs, 4, "align_corners"), None)


@fn("F.pad")
def pad(imp, args, kwargs):
    x = tensor(args[0], "pad")
    if arg(args, kwargs, 2, "mode", "constant") != "constant":
        raise UnsupportedOp(f"F.pad mode '{arg(args, kwargs, 2, 'mode')}'")
    return imp.pad(x, tuple(arg(args, kwargs, 1, "pad")), float(arg(args, kwargs, 3, "value", 0.0) or 0.0), None)


@fn("F.batch_norm")
def batch_norm(imp, args, kwargs):
    """F.batch_norm(x, running_mean, running_var, weight, bias, training, momentum, eps) (timm's BatchNormAct)."""
    x = tensor(args[0], "batch_norm")
    mean, var = arg(args, kwargs, 1, "running_mean"), arg(args, kwargs, 2, "running_var")
    weight, bias = arg(args, kwargs, 3, "weight"), arg(args, kwargs, 4, "bias")
    if (weight is None) != (bias is None) or (mean is None) != (var is None):
        raise UnsupportedOp("F.batch_norm with a weight but no bias (or a mean but no variance)")
    imp.uses(mean, var, weight, bias)
    imp.uses_tracked(mean)
    return imp.build("batchnorm", x, None, eps=float(arg(args, kwargs, 7, "eps", 1e-5)), affine=weight is not None,
                     track_running_stats=mean is not None)


@fn("F.group_norm")
def group_norm(imp, args, kwargs):
    x = tensor(args[0], "group_norm")
    weight, bias = arg(args, kwargs, 2, "weight"), arg(args, kwargs, 3, "bias")
    if weight is None and bias is not None:
        raise UnsupportedOp("F.group_norm with a bias but no weight")
    imp.uses(weight, bias)
    return imp.build("groupnorm", x, None, groups=int(arg(args, kwargs, 1, "num_groups")),
                     eps=float(arg(args, kwargs, 4, "eps", 1e-5)), affine=weight is not None,
                     bias=bias is not None or weight is None)


@fn("F.normalize")
def normalize(imp, args, kwargs):
    x = tensor(args[0], "normalize")
    p = float(arg(args, kwargs, 1, "p", 2.0))
    return imp.build("normalize", x, None, dim=int(arg(args, kwargs, 2, "dim", 1)), p=p,
                     eps=float(arg(args, kwargs, 3, "eps", 1e-12)))
