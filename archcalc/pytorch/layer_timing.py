"""Time per layer: hooks around each module of a forward pass, joined with the layer's roofline bound.

On CUDA a pair of CUDA events is recorded before and after each module (the GPU's own clock, read after one
synchronisation per forward); on the CPU, time.perf_counter around each module (the CPU runs synchronously).
Hooks cost a little time of their own, so the whole-model figures come from a separate run without them.

Matching modules to analytic layers: a module whose name is a layer name gets that layer's time (summed
over its calls). A module called several times per forward under a name the analysis splits (torchvision's
ResNet calls `layer1.0.relu` twice; archcalc names the two `layer1.0.relu1` and `layer1.0.relu2`) gives its
k-th call to `<name><k>`. Functional ops (torch.flatten, torch.cat, a residual `+=`, GoogLeNet's F.relu)
have no module: their time is part of "outside hooked modules".
"""

from __future__ import annotations

import statistics
import time
from collections import defaultdict
from typing import Optional

from ..analyses.roofline import Peaks, bytes_moved, layer_bounds

OUTSIDE = "(outside hooked modules)"
UNMATCHED = "(modules with no analytic layer)"


def leaf_modules(model) -> dict:
    """name -> module for every module with no children (the ones that do the work)."""
    return {name: m for name, m in model.named_modules() if name and next(m.children(), None) is None}


class LayerClock:
    """Forward hooks that time every given module, one forward pass at a time."""

    def __init__(self, modules: dict, device: str):
        import torch

        self.torch = torch
        self.cuda = device == "cuda"
        self.spans: list = []  # (module name, start, end) of the current forward, in call order
        self.handles = []
        for name, module in modules.items():
            self.handles.append(module.register_forward_pre_hook(self._starter(name)))
            self.handles.append(module.register_forward_hook(self._stopper(name)))
        self.open: dict = {}

    def _stamp(self):
        if self.cuda:
            event = self.torch.cuda.Event(enable_timing=True)
            event.record()
            return event
        return time.perf_counter()

    def _starter(self, name):
        def hook(module, args):
            self.open.setdefault(name, []).append(self._stamp())
        return hook

    def _stopper(self, name):
        def hook(module, args, output):
            self.spans.append((name, self.open[name].pop(), self._stamp()))
        return hook

    def take(self) -> list:
        """(module name, milliseconds) of each call in the last forward, in call order; resets."""
        if self.cuda:
            self.torch.cuda.synchronize()
            out = [(n, s.elapsed_time(e)) for n, s, e in self.spans]
        else:
            out = [(n, (e - s) * 1e3) for n, s, e in self.spans]
        self.spans = []
        return out

    def remove(self) -> None:
        for handle in self.handles:
            handle.remove()


def attribute(calls: list, names: set) -> tuple:
    """Sum calls per analytic layer name; (per-layer ms, unmatched ms) for one forward pass."""
    per_layer: dict = defaultdict(float)
    unmatched = 0.0
    seen: dict = defaultdict(int)
    for module, ms in calls:
        seen[module] += 1
        if module in names:
            per_layer[module] += ms
        elif f"{module}{seen[module]}" in names:
            per_layer[f"{module}{seen[module]}"] += ms
        else:
            unmatched += ms
    return dict(per_layer), unmatched


def time_layers(model, x, *, names, device: str, repeats: int, warmup: int,
                layer_modules: Optional[dict] = None) -> dict:
    """Median milliseconds per analytic layer over `repeats` forward passes, with the rest accounted for.

    Returns {"layers": {name: ms}, UNMATCHED: ms, OUTSIDE: ms, "total_ms": ms}; all medians over repeats,
    total_ms the hooked run's whole forward (hooks included) on the same clock.
    """
    import torch

    names = set(names)
    clock = LayerClock(layer_modules if layer_modules is not None else leaf_modules(model), device)
    per_run, unmatched_runs, outside_runs, totals = defaultdict(list), [], [], []
    try:
        with torch.inference_mode():
            for _ in range(warmup):
                model(x)
                clock.take()
            for _ in range(repeats):
                start = clock._stamp()
                model(x)
                end = clock._stamp()
                calls = clock.take()  # synchronises on CUDA
                total = start.elapsed_time(end) if device == "cuda" else (end - start) * 1e3
                layers, unmatched = attribute(calls, names)
                for name, ms in layers.items():
                    per_run[name].append(ms)
                unmatched_runs.append(unmatched)
                outside_runs.append(total - sum(layers.values()) - unmatched)
                totals.append(total)
    finally:
        clock.remove()
    return {"layers": {n: statistics.median(v) for n, v in per_run.items()},
            UNMATCHED: statistics.median(unmatched_runs), OUTSIDE: statistics.median(outside_runs),
            "total_ms": statistics.median(totals)}


def per_layer_rows(report, peaks: Optional[Peaks], timing: dict) -> list:
    """One dict per analytic layer: FLOPs, bytes moved, roofline bound and measured ms (None where absent)."""
    bounds = {b.name: b for b in layer_bounds(report, peaks)} if peaks is not None else {}
    rows = []
    for layer in report.layers:
        measured = timing["layers"].get(layer.name)
        bound = bounds.get(layer.name)
        bound_ms = bound.bound_s * 1e3 if bound is not None else None
        rows.append({
            "name": layer.name, "kind": layer.kind,
            "flops": int(layer.flops) * report.batch, "bytes_moved": bytes_moved(report, layer),
            "limiter": bound.limiter if bound is not None else None,
            "roofline_ms": bound_ms, "measured_ms": measured,
            "roofline_ratio": measured / bound_ms if measured is not None and bound_ms else None,
        })
    for name in (UNMATCHED, OUTSIDE):
        rows.append({"name": name, "kind": "", "flops": None, "bytes_moved": None, "limiter": None,
                     "roofline_ms": None, "measured_ms": timing[name], "roofline_ratio": None})
    return rows
