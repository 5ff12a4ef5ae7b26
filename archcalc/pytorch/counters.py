"""Two independent peers that count a real torch model's arithmetic, each in its own convention.

- fvcore (`FlopCountAnalysis`): traces the model with torch.jit and counts ONE "flop" per
  multiply-accumulate for conv (`aten::_convolution`) and linear (`aten::addmm`, `aten::linear`, `mm`,
  `matmul`); it also counts batch norm, adaptive average pooling and a few others, under their own names.
  Its conv and linear counts are therefore MACs as archcalc counts them: no conversion.
- torch's `FlopCounterMode` (torch.utils.flop_counter): counts TWO flops per multiply-accumulate, for
  matmul and convolution only (no bias, no activations). MACs = flops / 2. It works on the meta device.

Both are imported lazily: fvcore costs a second and warns on import; torch must never be imported by the
analytic commands.
"""

from __future__ import annotations

import copy
import warnings

FLOP_COUNTER_FLOPS_PER_MAC = 2  # FlopCounterMode's convention: a multiply and an add
# fvcore's operator names for the two families archcalc's headline MACs count
_FVCORE_FAMILIES = {"conv": "conv", "linear": "linear", "addmm": "linear", "mm": "linear",
                    "matmul": "linear", "bmm": "linear", "einsum": "linear"}


def fvcore_available() -> bool:
    """True when fvcore can be imported (it is absent on some machines, e.g. the GPU runner)."""
    try:
        _fvcore()
    except ImportError:
        return False
    return True


def _fvcore():
    with warnings.catch_warnings():  # fvcore's import calls torch.jit.script, deprecated since torch 2.13
        warnings.filterwarnings("ignore", message=r".*torch\.jit\.script.*deprecated")
        from fvcore.nn import FlopCountAnalysis
    return FlopCountAnalysis


def _real_input(model, input_shape, batch: int = 1):
    """A zero input on the model's device (a meta model is copied to the CPU first: fvcore must trace)."""
    import torch

    params = list(model.parameters()) + list(model.buffers())
    device = params[0].device if params else torch.device("cpu")
    if device.type == "meta":
        from .torchvision_models import materialise

        model = materialise(copy.deepcopy(model), "cpu")
        device = torch.device("cpu")
    dtype = params[0].dtype if params and params[0].is_floating_point() else torch.float32
    return model, torch.zeros((batch, *input_shape), device=device, dtype=dtype)


def fvcore_analysis(model, input_shape, batch: int = 1, training: bool = False):
    """fvcore's FlopCountAnalysis of `model` at (batch, *input_shape), its log warnings silenced.

    training: trace in training mode, for models whose forward skips heads at inference (GoogLeNet's
    auxiliary classifiers); otherwise eval mode.
    """
    analysis_cls = _fvcore()
    model, x = _real_input(model, input_shape, batch)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings of data-dependent branches (googlenet, ...)
        analysis = analysis_cls(model.train(training), x)
        analysis.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
        analysis.by_module_and_operator()  # runs the trace now, inside the filter
    return analysis


def _families(counter: dict) -> dict:
    """fvcore's per-operator counts with addmm/linear/mm/matmul summed under "linear"; others kept."""
    out: dict = {"conv": 0, "linear": 0}
    for op, value in counter.items():
        key = _FVCORE_FAMILIES.get(op, op)
        out[key] = out.get(key, 0) + int(value)
    return out


def fvcore_macs(model, input_shape, batch: int = 1, training: bool = False) -> dict:
    """{"conv": MACs, "linear": MACs, "batch_norm": ..., ...}: fvcore's counts by operator family.

    conv and linear are multiply-accumulates (fvcore counts one per MAC). The other keys are fvcore's own
    estimates of other ops (e.g. batch_norm: about one per element), not MACs in archcalc's sense.
    """
    return _families(fvcore_analysis(model, input_shape, batch, training).by_operator())


class FvcoreBlind(Exception):
    """fvcore skipped operations that hold multiply-accumulates (scaled_dot_product_attention): its count of
    this model is short by theirs, so it is not compared."""


MAC_OPS_FVCORE_SKIPS = ("attention", "einsum", "baddbmm", "conv_transpose", "convolution_backward")


def fvcore_layer_macs(model, input_shape, batch: int = 1, training: bool = False) -> dict:
    """{qualified module name: conv + linear MACs inside it} for every module fvcore saw called; FvcoreBlind
    where fvcore skipped an operation with MACs of its own."""
    analysis = fvcore_analysis(model, input_shape, batch, training)
    blind = sorted(op for op in analysis.unsupported_ops() if any(k in op for k in MAC_OPS_FVCORE_SKIPS))
    if blind:
        raise FvcoreBlind(", ".join(blind))
    if analysis.by_operator().get("einsum"):  # fvcore reads an einsum's cost (all but two bmm forms) from
        # numpy's einsum_path report, printed to 4 significant digits: close, not exact (MaxViT: 1,072 off)
        raise FvcoreBlind("einsum (its count is numpy's einsum_path estimate, rounded to 4 digits)")
    by_module = analysis.by_module_and_operator()
    result = {}
    for name, counter in by_module.items():
        families = _families(counter)
        result[name] = families["conv"] + families["linear"]
    return result


def _flop_counter(model, input_shape, batch: int, training: bool = False):
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    params = list(model.parameters()) + [b for b in model.buffers() if b.is_floating_point()]
    device = params[0].device if params else torch.device("cpu")
    dtype = params[0].dtype if params else torch.float32
    x = torch.zeros((batch, *input_shape), device=device, dtype=dtype)
    counter = FlopCounterMode(display=False)
    was_training = model.training
    # autograd on where it costs nothing (meta): under no_grad torch's module tracker fails on a module called
    # on a view of a parameter (CaiT's and PiT's class token: "Expected gradient function to be set")
    try:
        with counter, torch.set_grad_enabled(device.type == "meta"):
            model.train(training)(x)
    finally:
        model.train(was_training)
    return counter


def flop_counter_flops(model, input_shape, batch: int = 1, training: bool = False) -> int:
    """Total flops by torch's FlopCounterMode: 2 per multiply-accumulate of matmul and conv (MACs = / 2).

    Works on any device, meta included (it reads shapes only). training: run in training mode (see
    fvcore_analysis).
    """
    return int(_flop_counter(model, input_shape, batch, training).get_total_flops())


def flop_counter_layer_flops(model, input_shape, batch: int = 1, training: bool = False) -> dict:
    """{qualified module name: FlopCounterMode flops inside it} (2 per MAC); the root is ""."""
    counts = _flop_counter(model, input_shape, batch, training).get_flop_counts()
    root = type(model).__name__
    result = {}
    for key, ops in counts.items():
        if key == "Global":
            continue
        name = "" if key == root else key[len(root) + 1:] if key.startswith(root + ".") else key
        result[name] = int(sum(ops.values()))
    return result


def skips_modules_at_inference(model, input_shape) -> bool:
    """True when an eval-mode forward leaves some module with parameters uncalled (GoogLeNet's aux heads)."""
    import torch

    called = set()
    handles = [m.register_forward_hook(lambda mod, a, o: called.add(id(mod))) for m in model.modules()]
    was_training = model.training
    try:
        with torch.no_grad():
            model.eval()(torch.zeros((1, *input_shape), device=next(model.parameters()).device))
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    return any(id(m) not in called for m in model.modules() if next(m.parameters(recurse=False), None) is not None)
