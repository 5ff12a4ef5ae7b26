"""The receptive field measured on a real torch model: the non-zero extent of one output unit's gradient.

The model is made so that nothing can cancel: every conv and linear weight is positive (1/fan-in, an
average), biases zero; batch norm in eval with unit scale, zero shift, mean 0 and variance 1; every
elementwise activation, softmax and LRN replaced by the identity (positive values pass unchanged); every
max pool replaced by a sum over the very same windows (kernel, stride, padding, dilation, ceil mode),
because a max pool's gradient reaches only the arg-max pixel; dropout off (eval). The input is all ones,
in float64 so that the smallest path products (about 9^-depth) stay far from underflow.

Then the gradient of one unit of the chosen layer (summed over its channels; every channel of a unit has
the same field) with respect to the input is non-zero exactly on that unit's receptive field. The unit is
chosen so that its whole field lies inside the image, where the extent can equal the analytic size.

torch is imported inside the functions: importing this module costs nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

from ..core.report import last_local_layer
from ..errors import ArchcalcError, InputError
from ..core.ir import Graph
from ..core.shape import Shape, shape_from_tuple

IDENTITY_MODULES = ("ReLU", "ReLU6", "LeakyReLU", "PReLU", "ELU", "SELU", "CELU", "GELU", "SiLU", "Mish",
                    "Sigmoid", "Tanh", "Hardtanh", "Hardswish", "Hardsigmoid", "Softplus", "Softmax",
                    "LogSoftmax", "LocalResponseNorm")
MAX_GROWTH = 64  # how many pixels past the first guess the search for a containing input goes


@dataclass(frozen=True)
class EmpiricalField:
    """Analytic and measured field of one output unit. Pixel ranges are [first, last + 1) per axis."""

    model: str
    layer: str
    input: tuple  # (C, H, W) the model was run at
    unit: tuple  # index of the output unit, per spatial axis
    analytic: tuple  # ((first, end), ...) from the engine
    measured: tuple  # ((first, end), ...) the non-zero extent of the gradient
    source: str  # which torch model: "torchvision.models.X" or "archcalc build_module"

    @property
    def analytic_size(self) -> tuple:
        return tuple(e - f for f, e in self.analytic)

    @property
    def measured_size(self) -> tuple:
        return tuple(e - f for f, e in self.measured)

    @property
    def agrees(self) -> bool:
        return tuple(self.analytic) == tuple(self.measured)

    def to_json(self) -> dict:
        return {"layer": self.layer, "input": list(self.input), "unit": list(self.unit),
                "analytic": {"size": list(self.analytic_size), "pixels": [list(p) for p in self.analytic]},
                "measured": {"size": list(self.measured_size), "pixels": [list(p) for p in self.measured]},
                "agrees": self.agrees, "model_source": self.source}


def last_feature_map(report) -> str:
    """The last layer whose field is not the whole input (the last feature map before global pooling)."""
    name = getattr(last_local_layer(report.layers), "name", None)
    if name is None:
        raise ArchcalcError(f"{report.model}: no layer has a local receptive field")
    return name


def containing_unit(report, layer: str) -> Optional[tuple]:
    """The output unit of `layer` nearest the centre whose whole field lies inside the input, or None."""
    s = report.layer(layer)
    rf = s.rf
    if rf is None or rf.is_global:
        return None
    index = []
    for axis, (n_out, n_in) in enumerate(zip(s.out_shape.spatial, report.input.spatial)):
        fits = [i for i in range(n_out) if _inside(rf, axis, i, n_in)]
        if not fits:
            return None
        centre = (n_out - 1) / 2
        index.append(min(fits, key=lambda i: (abs(i - centre), i)))
    return tuple(index)


def _inside(rf, axis, i, n_in) -> bool:
    first = rf.start[axis] + i * rf.jump[axis] - rf.size[axis] / 2
    return first >= 0 and first + rf.size[axis] <= n_in


def choose_input(graph: Graph, layer: str, channels: int) -> tuple:
    """The smallest square input (C, N, N) at which one unit of `layer` has its whole field inside.

    Starts from the analytic bound (receptive.minimal_containing_input) and grows N until the engine
    confirms it (adaptive pooling and floor division can move the bound a little).
    """
    from ..core.engine import propagate
    from ..core.receptive import minimal_containing_input

    rf = propagate(graph, _probe_input(graph, channels)).layer(layer).rf
    if rf.is_global:
        raise InputError(f"{graph.name}: layer '{layer}' sees the whole input; there is no field to measure")
    first = max(n for n, _ in minimal_containing_input(rf))
    for n in range(max(first, 1), first + MAX_GROWTH):
        try:
            report = propagate(graph, (channels, n, n))
        except ArchcalcError:
            continue  # too small for some layer
        if containing_unit(report, layer) is not None:
            return (channels, n, n)
    raise InputError(f"{graph.name}: found no input up to {first + MAX_GROWTH} pixels where a unit of "
                     f"'{layer}' has its whole field inside")


def _probe_input(graph: Graph, channels: int) -> tuple:
    """The model's default input, or a large square one: fields do not depend on it (but adaptive pools)."""
    return tuple(graph.default_input) if graph.default_input else (channels, 1024, 1024)


def measure_field(model, layer: Optional[str] = None, input=None) -> EmpiricalField:
    """Measure the field of one unit of `layer` (default: the last feature map) at `input`.

    model: a zoo name (its torchvision twin is used where it has one), a Net or a Graph (built with
    archcalc.pytorch.build.build_module). input: (C, H, W) or 'CxHxW'; default the smallest square input
    that contains the field. Raises InputError when no unit's field fits inside the given input.
    """
    from ..core.engine import propagate
    from ..sources import resolve, zoo_entry
    from .guard import check_fits, torch_errors

    graph = resolve(model)
    entry = zoo_entry(model)
    channels = graph.default_input[0] if graph.default_input else 3
    x = shape_from_tuple(input) if input is not None else None
    if x is not None and not all(isinstance(d, int) for d in x.as_list()):
        raise InputError(f"input {x}: measuring needs a numeric size")
    report = propagate(graph, x or _probe_input(graph, channels))
    name = layer or last_feature_map(report)
    _check_layer(report, name)
    if x is None:
        x = shape_from_tuple(choose_input(graph, name, channels))
        report = propagate(graph, x)
    rf = report.layer(name).rf
    if rf.is_global:
        raise InputError(f"{graph.name}: layer '{name}' sees the whole input; there is no field to measure")
    unit = containing_unit(report, name)
    if unit is None:
        need = choose_input(graph, name, x.channels)
        raise InputError(f"{graph.name}: at input {x} no unit of '{name}' has its whole field "
                         f"({'x'.join(map(str, rf.size))}) inside the image; use an input of at least "
                         f"{'x'.join(map(str, need))}")
    analytic = tuple((int(f), int(e)) for f, e in rf.bounds(unit))
    check_fits(propagate(graph, x, dtype="float64"), graph, "cpu", f"rf --empirical {graph.name}", training=True,
               smaller="--input")
    with torch_errors(f"rf --empirical {graph.name}"):
        module, target, source = _torch_model(graph, entry, name, x, report)
        measured = _gradient_extent(module, target, x, unit)
    return EmpiricalField(graph.name, name, tuple(x.as_list()), unit, analytic, measured, source)


def _check_layer(report, name: str) -> None:
    """An unknown layer name fails with the closest names."""
    if any(s.name == name for s in report.layers):
        return
    import difflib

    close = difflib.get_close_matches(name, [s.name for s in report.layers], n=3)
    hint = f"; did you mean {' or '.join(close)}?" if close else ""
    raise InputError(f"{report.model}: no layer named '{name}'{hint}")


# --- the torch side ----------------------------------------------------------------------------------------
def _torch_model(graph: Graph, entry, layer: str, x: Shape, report):
    """(module, the submodule whose output is `layer`, a description), made so that nothing cancels.

    The model is built on the meta device; each module gets real float64 storage and its positive weights
    only when it first runs, so the parts after the measured layer (vgg16's 120M classifier weights) are
    never allocated.
    """
    import torch

    if entry is not None and entry.torchvision:
        from ..sources.torchvision_import import models

        with torch.device("meta"):
            module = getattr(models(), entry.torchvision)(**entry.torchvision_kwargs)
        target, found = _torchvision_module(module, graph, layer, report)
        source = f"torchvision.models.{entry.torchvision}"
        if found != layer:
            source += f" at {found}, whose field is the same"
    else:
        from .build import build_module

        module = build_module(graph, device="meta", dtype=torch.float64, input=tuple(x.as_list()))
        target = module.layer_modules[layer]
        source = "archcalc.pytorch.build.build_module"
    _make_positive(module)
    return module.eval(), target, source


def _torchvision_module(module, graph: Graph, layer: str, report) -> tuple:
    """(the torchvision submodule whose output is the archcalc layer `layer`, or a layer of the same field
    feeding it; that layer's name).

    Zoo entries use torchvision's module names, so most layers are found by name. A layer torchvision
    computes inside a block's forward (a residual add and its ReLU, an Inception concat) is the output of
    the enclosing block when it is the block's last layer: `layer4.1.relu2` is `layer4.1`. A layer written
    as a function in forward (densenet's final F.relu) is measured at its input when the field is the same.
    """
    modules = dict(module.named_modules())
    names = [s.name for s in graph.layers]
    wanted = layer
    while True:
        candidate = wanted
        while candidate:
            if candidate in modules and (candidate == wanted or _last_in_scope(names, wanted, candidate)):
                return modules[candidate], wanted
            candidate = candidate.rpartition(".")[0]
        stats = report.layer(wanted)
        if len(stats.inputs) != 1 or stats.inputs[0] == "input" or report.layer(stats.inputs[0]).rf != stats.rf:
            break
        wanted = stats.inputs[0]  # an elementwise step: its input has the same field
    raise InputError(f"{graph.name}: layer '{layer}' has no module of its own in torchvision's model; "
                     "measure a conv, a pool or the last layer of a block instead")


def _last_in_scope(names: list, layer: str, scope: str) -> bool:
    inside = [n for n in names if n.startswith(scope + ".")]
    return bool(inside) and inside[-1] == layer


def _make_positive(module) -> None:
    """Activations, softmax and LRN as the identity; max pools as window means; and on each module's first
    call, float64 storage on the CPU with weights that cannot cancel (see _positive_weights)."""
    from torch import nn

    identities = tuple(getattr(nn, n) for n in IDENTITY_MODULES if hasattr(nn, n))
    for m in module.modules():
        if isinstance(m, identities):
            m.forward = _identity
        elif isinstance(m, nn.modules.pooling._MaxPoolNd):
            m.forward = _window_sum_of(m)
        elif isinstance(m, nn.modules.pooling._AdaptiveMaxPoolNd):
            m.forward = _adaptive_average_of(m)
        if any(True for _ in m.parameters(recurse=False)) or any(True for _ in m.buffers(recurse=False)):
            m.register_forward_pre_hook(_materialise)


def _materialise(m, args) -> None:
    """Forward pre-hook: give a meta module real float64 storage and positive weights, once."""
    import torch

    tensors = [*m.parameters(recurse=False), *m.buffers(recurse=False)]
    if not any(t.is_meta for t in tensors):
        return
    m.to_empty(device="cpu", recurse=False)
    m._apply(lambda t: t.to(torch.float64) if t.is_floating_point() else t, recurse=False)
    _positive_weights(m)


def _positive_weights(m) -> None:
    """Conv and linear weights 1/fan-in (an average), biases 0; batch norm the identity in eval (scale 1,
    shift 0, mean 0, variance 1); any other parameter 1."""
    import torch
    from torch import nn

    with torch.no_grad():
        if isinstance(m, nn.modules.conv._ConvNd):
            m.weight.fill_(1.0 / m.weight[0].numel())  # fan-in of one output channel
            if m.bias is not None:
                m.bias.zero_()
        elif isinstance(m, nn.Linear):
            m.weight.fill_(1.0 / m.in_features)
            if m.bias is not None:
                m.bias.zero_()
        elif isinstance(m, nn.modules.batchnorm._BatchNorm):
            if m.weight is not None:
                m.weight.fill_(1.0)
                m.bias.zero_()
            if m.running_mean is not None:
                m.running_mean.zero_()
                m.running_var.fill_(1.0)
                m.num_batches_tracked.zero_()
        else:
            for p in m.parameters(recurse=False):
                p.fill_(1.0)
            for b in m.buffers(recurse=False):
                b.fill_(1)


def _identity(x, *args, **kwargs):
    return x


def _window_sum_of(pool):
    """A forward for a max pool: the mean over the same windows (an average pool; a depthwise conv of
    positive weights where the pool is dilated, which an average pool cannot be)."""
    import torch
    import torch.nn.functional as F

    def forward(x):
        axes = x.dim() - 2
        kernel, stride, padding, dilation = (_per_axis(getattr(pool, a), axes)
                                             for a in ("kernel_size", "stride", "padding", "dilation"))
        if all(d == 1 for d in dilation):  # an average pool has the same windows, and is fast
            avg = (F.avg_pool1d, F.avg_pool2d, F.avg_pool3d)[axes - 1]
            return avg(x, kernel, stride, padding, pool.ceil_mode, True)
        pads = []
        for n, k, s, p, d in zip(x.shape[2:], kernel, stride, padding, dilation):
            out = _pool_length(n, k, s, p, d, pool.ceil_mode)
            right = (out - 1) * s + d * (k - 1) + 1 - n - p  # padding the last window needs (may crop)
            pads = [p, right] + pads  # F.pad lists the last axis first
        x = F.pad(x, pads)
        channels = x.shape[1]
        weight = torch.full((channels, 1, *kernel), 1.0 / math.prod(kernel), dtype=x.dtype, device=x.device)
        conv = (F.conv1d, F.conv2d, F.conv3d)[axes - 1]
        return conv(x, weight, None, stride, 0, dilation, channels)

    return forward


def _adaptive_average_of(pool):
    import torch.nn.functional as F

    def forward(x):
        fn = (F.adaptive_avg_pool1d, F.adaptive_avg_pool2d, F.adaptive_avg_pool3d)[x.dim() - 3]
        return fn(x, pool.output_size)

    return forward


def _per_axis(value, axes: int) -> tuple:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * axes


def _pool_length(n, k, s, p, d, ceil_mode) -> int:
    """PyTorch's pooling output length, ceil mode included (a window may not start in the right padding)."""
    span = n + 2 * p - d * (k - 1) - 1
    out = (-(-span // s) if ceil_mode else span // s) + 1
    if ceil_mode and (out - 1) * s >= n + p:
        out -= 1
    return out


class _Stop(Exception):
    """Raised by the forward hook once the wanted layer has run: the rest of the model is not needed."""


def _gradient_extent(module, target, x: Shape, unit: tuple) -> tuple:
    """Run to `target`, back-propagate one unit, return the non-zero extent of the input gradient."""
    import torch

    captured = {}

    def hook(mod, args, output):
        captured["out"] = output
        raise _Stop

    handle = target.register_forward_hook(hook)
    image = torch.ones((1, *x.as_list()), dtype=torch.float64, requires_grad=True)
    try:
        module(image)
    except _Stop:
        pass
    finally:
        handle.remove()
    if "out" not in captured:
        raise ArchcalcError("the torch model never ran the measured layer")
    out = captured["out"]
    out[(0, slice(None), *unit)].sum().backward()
    seen = image.grad[0].abs().sum(0) > 0  # (H, W): pixels whose change moves the unit
    extent = []
    for axis in range(seen.dim()):
        others = tuple(a for a in range(seen.dim()) if a != axis)
        hits = seen.any(dim=others) if others else seen
        idx = torch.nonzero(hits).flatten().tolist()
        extent.append((idx[0], idx[-1] + 1) if idx else (0, 0))
    return tuple(extent)
