"""verify(model): every analytic figure of archcalc checked against a real torch model, layer by layer.

The torch models:
- "built": archcalc's own spec-to-torch builder (measure/build.py) for every model: every layer has a
  module, so every layer is checked (shape, parameters, buffers, MACs, activation bytes);
- "torchvision": for a zoo entry whose name torchvision uses, torchvision's own model as well: totals, and
  per layer wherever the layer names line up (they do for every conv and linear of those entries).

Peers and their conventions (each converted to archcalc's MACs, the output names them):
- fvcore FlopCountAnalysis: one per multiply-accumulate of conv and linear: MACs as they are;
- torch FlopCounterMode: two per multiply-accumulate (conv, matmul): MACs = flops / 2.

Tolerances (relative; 0 means exact): TOLERANCE below, stated per figure. Shapes and parameters must be
exact; the saved-for-backward estimate is exact on the CPU for every zoo entry (1% allowed for torch
versions that save a little more). The analytic CUDA inference peak counts tensors only (no cuDNN workspace,
no allocator rounding), so it is checked as a lower bound (LOWER_BOUND): measured at least analytic. The
training-step estimate (the most activations and gradients alive at once, analyses/step_timeline.py) is
checked within 30%: against the H200's measurements (torch 2.11, reports/verify/cuda/) it runs from 0.79x to
0.98x of the measured peak (it counts no workspace either).

Shapes, parameters, FlopCounterMode, activation bytes and saved-for-backward bytes run on the meta device
(no memory, no arithmetic); fvcore needs a traced forward, on a CPU copy with zeroed weights.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field

TOLERANCE = {
    "output shape": 0.0, "params": 0.0, "buffers": 0.0,
    "MACs (fvcore: 1 per MAC)": 0.0, "MACs (FlopCounterMode flops / 2)": 0.0,
    "activation bytes (forward hooks)": 0.0,
    "saved for backward bytes (saved_tensors_hooks)": 0.01,
    "CUDA inference peak bytes": "lower bound", "CUDA training step peak bytes": 0.30,
}
LOWER_BOUND = "lower bound"  # a tolerance meaning: the analytic figure must not exceed the measured one


@dataclass
class Check:
    """One figure of one layer (or "(total)"), analytic against measured, on one torch model."""

    layer: str
    figure: str
    analytic: object
    measured: object
    model: str  # "built" or "torchvision"
    tolerance: object = 0.0  # relative, or LOWER_BOUND
    ok: bool = True

    def __post_init__(self):
        self.ok = _agrees(self.analytic, self.measured, self.tolerance)


def _agrees(analytic, measured, tolerance) -> bool:
    if tolerance == LOWER_BOUND:
        return analytic <= measured
    if tolerance == 0 or not isinstance(analytic, (int, float)) or not isinstance(measured, (int, float)):
        return analytic == measured
    return abs(analytic - measured) <= tolerance * max(abs(measured), 1)


@dataclass
class Verification:
    """The result of verify(): every check, the per-layer rows, and notes on what could not be checked."""

    model: str
    input: list
    batch: int
    device: str
    checks: list = field(default_factory=list)
    layers: list = field(default_factory=list)  # per-layer rows (dicts) for display
    notes: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def failures(self) -> list:
        return [c for c in self.checks if not c.ok]

    def totals(self) -> list:
        return [c for c in self.checks if c.layer == "(total)"]

    def to_dict(self) -> dict:
        return {"schema": 1, "model": self.model, "input": self.input, "batch": self.batch, "device": self.device,
                "ok": self.ok, "tolerances": TOLERANCE, "checks": [asdict(c) for c in self.checks],
                "layers": self.layers, "notes": self.notes}


def _own(module, what: str, others=frozenset()) -> int:
    """Elements of the module's parameters (or buffers), its inner modules' included (attention's qkv and
    proj), but not those of modules in `others` (ids of other layers' modules placed beneath it by name)."""
    items = module.parameters(recurse=False) if what == "params" else module.buffers(recurse=False)
    total = sum(t.numel() for t in items)
    for child in module.children():
        if id(child) not in others:
            total += _own(child, what, others)
    return total


def _shapes_by_module(model, modules: dict, x) -> dict:
    """{name: output shape without batch} from forward hooks; a module called twice is left out. An output
    whose first axis holds k rows per sample (windows folded into the batch: sources/torch_folding.py) reads
    as (k, ...) per sample, as archcalc writes it."""
    import torch

    shapes, calls = {}, {}
    batch = x.shape[0]

    def per_sample(shape) -> list:
        first = shape[0] if shape else batch
        return list(shape[1:]) if first == batch or first % batch else [first // batch, *shape[1:]]

    def hook_for(name):
        def hook(module, args, output):
            calls[name] = calls.get(name, 0) + 1
            shapes[name] = per_sample(output.shape) if isinstance(output, torch.Tensor) else None
        return hook

    handles = [m.register_forward_hook(hook_for(n)) for n, m in modules.items()]
    try:
        with torch.no_grad():
            model.eval()(x)
    finally:
        for h in handles:
            h.remove()
    return {n: s for n, s in shapes.items() if calls[n] == 1}


def verify(model, input=None, batch: int = 1, device: str = "cpu", use_fvcore: bool = True,
           on_stage=lambda what: None) -> Verification:
    """Check the analysis of `model` (zoo name, Net, Graph or spec path) against real torch models;
    `on_stage(what)` hears each stage as it starts (a progress bar shows it)."""
    import torch

    from ..core.engine import propagate
    from ..errors import InputError
    from ..sources import resolve, zoo_entry
    from .build import build_module
    from .counters import fvcore_available
    from .guard import check_fits, torch_errors

    graph = resolve(model, input)
    report = propagate(graph, input, batch)
    shape = tuple(report.input.as_list())
    if not all(isinstance(d, int) for d in shape):
        raise InputError(f"{graph.name}: verify needs numeric sizes, got input {report.input}")
    if device == "cuda" and not torch.cuda.is_available():
        raise InputError("--device cuda: no CUDA device is available here")
    entry = zoo_entry(model)
    result = Verification(graph.name, list(shape), batch, device)
    use_fvcore = use_fvcore and fvcore_available()
    if not use_fvcore:
        result.notes.append("fvcore is not installed: MACs checked with FlopCounterMode only")

    check_fits(report, graph, device, f"verify {graph.name}", training=True)
    with torch_errors(f"verify {graph.name}"):
        on_stage("the built model")
        built = build_module(graph, device="meta", input=shape)
        # a torchvision twin is counted by fvcore below; the built module's fvcore count would repeat it
        estimate = _check_built(result, graph, report, built, use_fvcore and not (entry and entry.torchvision))
        real, label = built, "built"
        original = _original(model, entry)
        if original is not None:
            real, label = original
            on_stage(f"the {'torchvision' if label == 'torchvision' else 'PyTorch'} model")
            _check_module(result, real, label, report, shape, batch, use_fvcore, estimate.total_bytes, graph)
        if device == "cuda":
            on_stage("CUDA peaks")
            _check_cuda(result, graph, report, real, label)
    return result


def _original(model, entry):
    """(the model archcalc's figures stand for, its label): torchvision's twin of a zoo entry, or the PyTorch
    model itself for torchvision:/timm:/file sources and modules (on meta); None for specs and the rest."""
    from ..sources import _torch_model
    from ..sources.torch_models import is_module, is_torch_source

    if entry is not None and entry.torchvision:
        from .torchvision_models import build_torchvision

        return build_torchvision(entry, device="meta"), "torchvision"
    if is_module(model):  # a copy: the user's module keeps its weights and device
        return copy.deepcopy(model).to("meta"), "module"
    if isinstance(model, str) and is_torch_source(model):
        return _torch_model(model, ()).module, "module"
    return None


def _check_built(result: Verification, graph, report, built, use_fvcore: bool):
    """Per layer and in total: archcalc's figures against the module built from the graph (meta device).
    Returns the saved-for-backward estimate, which the torchvision check reuses."""
    import torch

    from ..analyses.backward_memory import saved_for_backward
    from .counters import FLOP_COUNTER_FLOPS_PER_MAC, flop_counter_layer_flops
    from .measured_memory import activation_bytes_by_layer, saved_tensor_bytes

    shape, batch, nbytes = tuple(result.input), result.batch, report.bytes_per_element
    shapes = _shapes_by_module(built, built.layer_modules, torch.zeros((batch, *shape), device="meta"))
    flops = flop_counter_layer_flops(built, shape, batch)
    macs = {s.name: s.macs * report.batch for s in report.layers}
    fv = _fvcore_built(result, built, shape, batch) if use_fvcore else {}
    act = activation_bytes_by_layer(built, built.layer_modules, shape, batch)
    others = frozenset(id(m) for m in built.layer_modules.values())
    add = result.checks.append
    shared, sharing = _sharing(graph)
    for s in report.layers:
        name = s.name
        fq, module = built.module_names[name], built.layer_modules[name]
        row = {"layer": name, "kind": s.kind, "shape": [str(d) for d in s.out_shape.as_list()],
               "measured_shape": shapes.get(name), "params": s.params, "measured_params": _own(module, "params", others),
               "macs": macs[name], "flop_counter_macs": flops.get(fq, 0) // FLOP_COUNTER_FLOPS_PER_MAC,
               "fvcore_macs": fv.get(fq) if fv else None,
               "activation_bytes": s.activation_elems * batch * nbytes, "measured_activation_bytes": act.get(name)}
        result.layers.append(row)
        if name in sharing:  # hooks and per-module counters see one module for all its calls: totals only
            continue
        add(Check(name, "output shape", s.out_shape.as_list(), shapes.get(name), "built"))
        add(Check(name, "params", s.params, row["measured_params"], "built"))
        add(Check(name, "buffers", s.buffers, _own(module, "buffers", others), "built"))
        add(Check(name, "MACs (FlopCounterMode flops / 2)", macs[name], row["flop_counter_macs"], "built"))
        if fv:
            add(Check(name, "MACs (fvcore: 1 per MAC)", macs[name], fv.get(fq, 0), "built"))
        add(Check(name, "activation bytes (forward hooks)", row["activation_bytes"], act.get(name), "built"))
    totals = report.totals
    once = _param_macs(result, graph)
    add(Check("(total)", "params", totals["params"], sum(p.numel() for p in built.parameters()), "built"))
    add(Check("(total)", "MACs (FlopCounterMode flops / 2)", totals["macs"] - once,
              sum(r["flop_counter_macs"] for r in result.layers), "built"))
    if sharing:
        result.notes.append(f"modules called more than once ({', '.join(sorted(set(shared.values())))}): their "
                            "calls are checked in the totals, and activation bytes not (hooks see one module)")
    else:
        add(Check("(total)", "activation bytes (forward hooks)", totals["activation_bytes"], sum(act.values()),
                  "built"))
    if fv:
        add(Check("(total)", "MACs (fvcore: 1 per MAC)", totals["macs"] - once, fv.get("", 0), "built"))
    saved_batch = _saved_batch(result, report)
    estimate = saved_for_backward(graph, _at_batch(report, graph, saved_batch), "cpu")
    saved = saved_tensor_bytes(_where_kernels_choose(built, graph), shape, saved_batch)
    what = "saved for backward bytes (saved_tensors_hooks)"
    add(Check("(total)", what, estimate.total_bytes - _param_saved(result, estimate), saved.activation_bytes,
              "built", TOLERANCE[what]))
    return estimate


def _param_saved(result: Verification, estimate) -> int:
    """Bytes backward keeps of MLPs run on parameters alone (once per forward, in no layer): the built model
    has no such MLP (its gathered bias is a table), so its check leaves them out; the module's includes them."""
    from ..analyses.backward_memory import PARAM_SAVED

    once = estimate.storages.get(PARAM_SAVED, 0)
    if once:
        result.notes.append(f"saved for backward: {once:,} bytes kept by modules run on parameters alone (a "
                            "relative position MLP, once per forward) are in no layer: the built model's "
                            "check leaves them out, the module's includes them")
    return once


def _fvcore_built(result: Verification, built, shape, batch) -> dict:
    """fvcore's MACs per layer of the built model (or {} with a note where fvcore cannot trace it)."""
    from .counters import fvcore_layer_macs

    built.return_sinks = True  # a traced forward must keep side heads (aux classifiers) alive
    try:
        return _fvcore_or_note(result, lambda: fvcore_layer_macs(built, shape, batch))
    finally:
        built.return_sinks = False


def _param_macs(result: Verification, graph) -> int:
    """MACs spent once per forward on parameters alone (a relative position MLP): in the totals, in no layer,
    so not in the built model (the module's own measurement has them)."""
    once = (graph.extras.get("torch_params") or {}).get("param_macs", 0)
    if once:
        result.notes.append(f"{once:,} MACs the model spends once per forward on parameters alone (a relative "
                            "position MLP) are in no layer: the built model's totals leave them out, the "
                            "module's include them")
    return once


def _saved_batch(result: Verification, report) -> int:
    """The batch of the saved-for-backward check: the report's, or 2 where torch cannot train at batch 1
    (a batch norm that sees one value per channel: after a linear layer, or on a 1x1 map)."""
    lone = [s.name for s in report.layers if s.kind == "batchnorm" and s.in_shapes[0].elements ==
            s.in_shapes[0].channels]
    if report.batch > 1 or not lone:
        return report.batch
    result.notes.append(f"saved for backward: checked at batch 2; torch cannot train batch norm '{lone[0]}' "
                        "on one value per channel at batch 1")
    return 2


def _at_batch(report, graph, batch: int):
    from ..core.engine import propagate

    return report if report.batch == batch else propagate(graph, report.input, batch, report.dtype)


def _check_cuda(result: Verification, graph, report, model, origin: str) -> None:
    """The analytic inference peak and training step against the CUDA allocator's peaks."""
    from ..analyses.inference_memory import inference_peak
    from ..analyses.step_memory import step_peak_above_weights
    from .measured_memory import cuda_peaks

    peaks = cuda_peaks(_on(model, "cuda"), tuple(result.input), result.batch)
    for what, analytic, measured in (
            ("CUDA inference peak bytes", inference_peak(graph, report).peak_bytes, peaks.inference_bytes),
            ("CUDA training step peak bytes", step_peak_above_weights(graph, report, "cuda"), peaks.training_bytes)):
        result.checks.append(Check("(total)", what, analytic, measured, origin, TOLERANCE[what]))
    result.notes.append(f"CUDA device: {peaks.device_name}")


def _on(built, device):
    """A materialised copy of a meta-device module on `device` (zeroed weights)."""
    from .torchvision_models import materialise

    return materialise(copy.deepcopy(built), device)


def _where_kernels_choose(model, graph):
    """The model for the saved-for-backward measurement: as it is (meta: no memory), except where it runs
    fused attention, whose kernel torch picks by device (the meta device takes the math path, which keeps
    more than the CPU's flash kernel): then an uninitialised copy on the CPU."""
    if not any(layer.kind == "attention" and layer.attrs.fused for layer in graph.layers):
        return model
    return _on(model, "cpu")  # zeroed, not to_empty's garbage: an index buffer must index in bounds


def _sharing(graph) -> tuple:
    """(layer -> the module path it calls again, every layer name of such modules' calls)."""
    shared = graph.extras.get("shared") or {}
    return shared, set(shared) | set(shared.values())


def _fvcore_or_note(result, count) -> dict:
    """fvcore's per-module MACs, or {} and a note where fvcore skips operations with MACs (attention)."""
    from .counters import FvcoreBlind

    try:
        return count()
    except FvcoreBlind as blind:
        result.notes.append(f"fvcore skips {blind} (operations with MACs it does not count): its figures are "
                            "not compared")
        return {}


def _inside(stats: dict, name: str) -> list:
    """A module's layers in order: its name's and those beneath it (ResMLP's Affine: a scale, a bias)."""
    return [s for n, s in stats.items() if n == name or n.startswith(name + ".")]


def _check_module(result, tv, label, report, shape, batch, use_fvcore, saved_estimate, graph):
    """Totals and per-layer figures against the real model (torchvision's twin, or the imported module)."""
    import torch

    from .counters import (FLOP_COUNTER_FLOPS_PER_MAC, flop_counter_layer_flops, fvcore_layer_macs,
                           skips_modules_at_inference)
    from .measured_memory import saved_tensor_bytes
    training = skips_modules_at_inference(tv, shape)  # GoogLeNet's aux heads run in training mode only
    modules = dict(tv.named_modules())
    stats = {s.name: s for s in report.layers}
    shared, sharing = _sharing(graph)  # a module called twice: its calls are in the totals
    lined = {n: modules[n] for n in stats if n in modules and n not in sharing}
    shapes = _shapes_by_module(tv, lined, torch.zeros((batch, *shape), device="meta"))
    flops = flop_counter_layer_flops(tv, shape, batch, training)
    fv = _fvcore_or_note(result, lambda: fvcore_layer_macs(tv, shape, batch, training)) if use_fvcore else {}
    add = result.checks.append
    for name, module in lined.items():
        s = stats[name]
        inside = _inside(stats, name)
        if name in shapes and inside[-1] is s:  # the module's output: no layer of its forward comes after
            add(Check(name, "output shape", s.out_shape.as_list(), shapes[name], label))
        if next(module.children(), None) is None:  # a leaf: its own parameters are its layers'
            add(Check(name, "params", sum(t.params for t in inside), _own(module, "params"), label))
            add(Check(name, "buffers", sum(t.buffers for t in inside), _own(module, "buffers"), label))
            if fv:
                add(Check(name, "MACs (fvcore: 1 per MAC)", sum(t.macs for t in inside) * batch, fv.get(name, 0),
                          label))
        row = next(r for r in result.layers if r["layer"] == name)
        row["fvcore_macs"] = fv.get(name) if fv else None
        row["torchvision_shape"] = shapes.get(name)
    totals = report.totals
    add(Check("(total)", "params", totals["params"], sum(p.numel() for p in tv.parameters()), label))
    add(Check("(total)", "buffers", totals["buffers"], sum(b.numel() for b in tv.buffers()), label))
    add(Check("(total)", "MACs (FlopCounterMode flops / 2)", totals["macs"],
              flops.get("", 0) // FLOP_COUNTER_FLOPS_PER_MAC, label))
    if fv:
        add(Check("(total)", "MACs (fvcore: 1 per MAC)", totals["macs"], fv.get("", 0), label))
    saved = saved_tensor_bytes(_where_kernels_choose(tv, graph), shape,
                               _saved_batch(Verification("", [], 1, ""), report))
    add(Check("(total)", "saved for backward bytes (saved_tensors_hooks)", saved_estimate, saved.activation_bytes,
              label, TOLERANCE["saved for backward bytes (saved_tensors_hooks)"]))
    result.notes.append(f"{'torchvision' if label == 'torchvision' else 'the PyTorch'} model: {len(lined)} of "
                        f"{len(stats)} layers line up by name")
