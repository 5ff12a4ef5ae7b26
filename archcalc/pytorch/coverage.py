"""How far the PyTorch importer reaches: one named model checked against torch itself.

For a source (torchvision:NAME, timm:NAME, ...) at its default input and at an odd size: the imported
graph's parameters against `sum(p.numel() for p in model.parameters())`, its MACs against FlopCounterMode's
total / 2 (both on the meta device: no memory, no weights), its output shape against the module's. The
verdict is "ok", "mismatch" (with the figures) or "unsupported" (the importer's own one-line reasons).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Optional

from ..errors import ArchcalcError


@dataclass
class Coverage:
    model: str
    status: str  # ok, mismatch, unsupported, error (the model itself does not build or run on meta)
    input: tuple = ()
    params: Optional[int] = None
    torch_params: Optional[int] = None
    macs: Optional[int] = None
    torch_macs: Optional[int] = None
    shape: Optional[list] = None
    torch_shape: Optional[list] = None
    odd: Optional[str] = None  # the odd-size check: "ok at 3x199x199", a mismatch, or why it did not run
    reasons: list = field(default_factory=list)
    seconds: float = 0.0


def measured(module, shape: tuple) -> tuple:
    """(FlopCounterMode FLOPs / 2, output shape without the batch) of one forward on the meta device."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    # autograd on (the meta device keeps no memory anyway): under no_grad torch's module tracker fails on a
    # module called on a parameter (CaiT's, PiT's), and the model would be misjudged
    with FlopCounterMode(display=False) as counter:
        out = module(torch.empty((1, *shape), device="meta"))
    out = _first_tensor(out)
    return counter.get_total_flops() // 2, list(out.shape[1:]) if out is not None else None


def _first_tensor(out):
    import torch

    if isinstance(out, torch.Tensor):
        return out
    if isinstance(out, dict):
        out = list(out.values())
    if isinstance(out, (tuple, list)) and out:
        return _first_tensor(out[0])
    return None


def _figures(source: str, module, shape: tuple) -> tuple:
    from ..sources import analyze

    report = analyze(source, input=shape) if isinstance(source, str) else analyze(module, input=shape)
    return report.totals["params"], report.totals["macs"], [int(d) for d in report.layers[-1].out_shape.as_list()]


def check(source: str, odd: tuple = (3, 199, 199)) -> Coverage:
    """The verdict for one model (see the module docstring); never raises for a model's own failure."""
    from ..sources import _torch_model

    start = time.perf_counter()
    try:
        built = _torch_model(source, ())
        module, shape = built.module, tuple(built.default_input or (3, 224, 224))
    except ArchcalcError as err:
        return Coverage(source, "error", reasons=[str(err)], seconds=time.perf_counter() - start)
    result = Coverage(source, "ok", shape, torch_params=sum(p.numel() for p in module.parameters()))
    try:
        result.torch_macs, result.torch_shape = measured(module, shape)
    except Exception as err:  # the model itself fails on meta: not the importer's verdict
        result.status, result.reasons = "error", [f"torch on meta: {type(err).__name__}: {str(err)[:160]}"]
        result.seconds = time.perf_counter() - start
        return result
    try:
        result.params, result.macs, result.shape = _figures(source, module, shape)
    except ArchcalcError as err:
        result.status, result.reasons = "unsupported", str(err).splitlines()
        result.seconds = time.perf_counter() - start
        return result
    except Exception as err:  # not an ArchcalcError: an archcalc bug, reported as such
        result.status, result.reasons = "crash", [f"{type(err).__name__}: {str(err)[:160]}"]
        result.seconds = time.perf_counter() - start
        return result
    if (result.params, result.macs, result.shape) != (result.torch_params, result.torch_macs, result.torch_shape):
        result.status = "mismatch"
    result.odd = _odd(source, module, odd)
    if result.odd and not result.odd.startswith(("ok", "torch")):
        result.status = "mismatch"
    result.seconds = time.perf_counter() - start
    return result


def _odd(source: str, module, shape: tuple) -> str:
    """The same check at an odd size, where the model itself runs at it."""
    try:
        torch_macs, torch_shape = measured(module, shape)
    except Exception as err:
        return f"torch refuses {'x'.join(map(str, shape))} ({type(err).__name__})"
    try:
        _, macs, out = _figures(source, module, shape)
    except ArchcalcError as err:
        return f"archcalc refuses {'x'.join(map(str, shape))}: {str(err).splitlines()[0][:120]}"
    if (macs, out) != (torch_macs, torch_shape):
        return f"at {'x'.join(map(str, shape))}: MACs {macs:,} vs {torch_macs:,}, shape {out} vs {torch_shape}"
    return f"ok at {'x'.join(map(str, shape))}"
