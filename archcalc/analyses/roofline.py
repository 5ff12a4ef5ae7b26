"""Roofline lower bounds: the least time a layer can take on a device, from the analytic report. No torch.

The model, per layer, at the report's batch and dtype:
- compute time = FLOPs / peak compute, FLOPs = 2 x conv and linear MACs (archcalc's convention; the other
  ops, bias adds, normalisation, activations, pooling, are left out, so the bound stays a lower bound);
- memory time  = bytes moved / memory bandwidth, bytes moved = every input tensor read once + the output
  written once + the layer's parameters and buffers read once. Views and inference-time identities
  (flatten, dropout: the kinds whose `moves_bytes` flag is False in core/rules/) move nothing. No reuse
  between layers is assumed: each layer reads its inputs from device memory, as one kernel after another
  does when nothing is fused and tensors outgrow the cache;
- the layer's bound = max(compute time, memory time); the limiter is whichever is larger.
The model's bound is the sum of its layers' bounds (layers run one after another). A measured time divided
by its bound (the ratio, >= 1 for a valid bound) says how far the run is from what the hardware allows;
launch overheads, unfused elementwise kernels and imperfect kernels all add to it. Caches can in principle
beat the memory term for small tensors (an H100/H200 holds 50-60 MB of L2): a ratio below 1 says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InputError
from ..core.report import LayerStats, Report
from ..core.rules import kind_flags
from ..core.shape import is_symbolic

TERA = 10**12
GIGA = 10**9


@dataclass(frozen=True)
class Peaks:
    """A device's ceilings at one dtype: compute in FLOP/s, memory bandwidth in bytes/s, and their origin."""

    flops_per_s: float
    bytes_per_s: float
    source: str = ""

    @classmethod
    def from_units(cls, tflops: float, bandwidth_gbs: float, source: str = "") -> "Peaks":
        """From TFLOP/s (10^12 FLOP/s) and GB/s (10^9 bytes/s)."""
        if not tflops > 0 or not bandwidth_gbs > 0:
            raise InputError(f"peaks must be positive, got {tflops} TFLOP/s and {bandwidth_gbs} GB/s")
        return cls(tflops * TERA, bandwidth_gbs * GIGA, source)

    @property
    def tflops(self) -> float:
        return self.flops_per_s / TERA

    @property
    def bandwidth_gbs(self) -> float:
        return self.bytes_per_s / GIGA

    def to_json(self) -> dict:
        return {"tflops": self.tflops, "bandwidth_gbs": self.bandwidth_gbs, "source": self.source}


@dataclass(frozen=True)
class LayerBound:
    """One layer's roofline: FLOPs and bytes moved for the whole batch, and the times they take at the peaks."""

    name: str
    kind: str
    flops: int
    bytes_moved: int
    compute_s: float
    memory_s: float

    @property
    def bound_s(self) -> float:
        return max(self.compute_s, self.memory_s)

    @property
    def limiter(self) -> str:
        """'compute' or 'memory': which ceiling sets the bound ('-' for a layer that does nothing)."""
        if self.compute_s == 0 and self.memory_s == 0:
            return "-"
        return "compute" if self.compute_s >= self.memory_s else "memory"


def _number(value, what: str) -> int:
    if is_symbolic(value):
        raise InputError(f"{what} is symbolic ({value}); a roofline needs a numeric input size")
    return int(value)


def bytes_moved(report: Report, layer: LayerStats) -> int:
    """Bytes one layer moves for the whole batch: inputs read + output written + parameters and buffers read."""
    if not kind_flags(layer.kind).moves_bytes:  # a view, or the identity at inference
        return 0
    elems = sum(_number(s.elements, f"layer '{layer.name}' input") for s in layer.in_shapes)  # each input once
    elems += _number(layer.out_shape.elements, f"layer '{layer.name}' output")  # the output, written once
    activations = elems * report.batch * report.bytes_per_element
    weights = _number(layer.params + layer.buffers, f"layer '{layer.name}' parameters") * report.bytes_per_element
    return activations + weights


def layer_bounds(report: Report, peaks: Peaks) -> list:
    """A LayerBound for every layer of the report, in order."""
    bounds = []
    for layer in report.layers:
        flops = _number(layer.flops, f"layer '{layer.name}' FLOPs") * report.batch
        moved = bytes_moved(report, layer)
        bounds.append(LayerBound(layer.name, layer.kind, flops, moved,
                                 flops / peaks.flops_per_s, moved / peaks.bytes_per_s))
    return bounds


def total_bound_s(bounds) -> float:
    """The model's bound in seconds: the sum of its layers' bounds."""
    return sum(b.bound_s for b in bounds)


def ratio(measured_s: float, bound_s: float):
    """measured / bound (>= 1 when the bound holds), None where there is no bound."""
    if bound_s is None or bound_s <= 0 or measured_s is None:
        return None
    return measured_s / bound_s
