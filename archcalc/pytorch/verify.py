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
training-step estimate (saved tensors + one gradient per parameter + twice the largest output) is checked
within 30%: on an H200 (torch 2.11, reports/verify/cuda/) it ran from 0.79x to 1.29x of the measured peak.

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


def _own(module, what: str) -> int:
    items = module.parameters(recurse=False) if what == "params" else module.buffers(recurse=False)
    return sum(t.numel() for t in items)


def _shapes_by_module(model, modules: dict, x) -> dict:
    """{name: output shape without batch} from forward hooks; a module called twice is left out."""
    import torch

    shapes, calls = {}, {}

    def hook_for(name):
        def hook(module, args, output):
            calls[name] = calls.get(name, 0) + 1
            shapes[name] = list(output.shape[1:]) if isinstance(output, torch.Tensor) else None
        return hook

    handles = [m.register_forward_hook(hook_for(n)) for n, m in modules.items()]
    try:
        with torch.no_grad():
            model.eval()(x)
    finally:
        for h in handles:
            h.remove()
    return {n: s for n, s in shapes.items() if calls[n] == 1}


def _layer_macs(report) -> dict:
    return {s.name: s.macs * report.batch for s in report.layers}


def verify(model, input=None, batch: int = 1, device: str = "cpu", use_fvcore: bool = True) -> Verification:
    """Check the analysis of `model` (zoo name, Net, Graph or spec path) against real torch models."""
    import torch

    from ..sources import resolve
    from ..core.engine import propagate
    from ..errors import InputError
    from ..analyses.inference_memory import inference_peak
    from ..analyses.backward_memory import saved_for_backward, training_step_bytes
    from .build import build_module
    from .counters import flop_counter_layer_flops, fvcore_available, fvcore_layer_macs, FLOP_COUNTER_FLOPS_PER_MAC
    from .measured_memory import activation_bytes_by_layer, cuda_peaks, saved_tensor_bytes

    graph = resolve(model)
    report = propagate(graph, input, batch)
    shape = tuple(report.input.as_list())
    if not all(isinstance(d, int) for d in shape):
        raise InputError(f"{graph.name}: verify needs numeric sizes, got input {report.input}")
    if device == "cuda" and not torch.cuda.is_available():
        raise InputError("--device cuda: no CUDA device is available here")
    entry = _zoo_entry(model, graph)
    result = Verification(graph.name, list(shape), batch, device)
    stats = {s.name: s for s in report.layers}
    macs = _layer_macs(report)
    use_fvcore = use_fvcore and fvcore_available()
    if not use_fvcore:
        result.notes.append("fvcore is not installed: MACs checked with FlopCounterMode only")

    built = build_module(graph, device="meta", input=shape)
    x = torch.zeros((batch, *shape), device="meta")
    shapes = _shapes_by_module(built, built.layer_modules, x)
    flops = flop_counter_layer_flops(built, shape, batch)
    fv = {}
    if use_fvcore and not (entry and entry.torchvision):
        built.return_sinks = True  # a traced forward must keep side heads (aux classifiers) alive
        try:
            fv = fvcore_layer_macs(built, shape, batch)
        finally:
            built.return_sinks = False
    act = activation_bytes_by_layer(built, built.layer_modules, shape, batch)
    nbytes = report.bytes_per_element
    for name, s in stats.items():
        fq = built.module_names[name]
        module = built.layer_modules[name]
        row = {"layer": name, "kind": s.kind, "shape": [str(d) for d in s.out_shape.as_list()],
               "measured_shape": shapes.get(name), "params": s.params, "measured_params": _own(module, "params"),
               "macs": macs[name], "flop_counter_macs": flops.get(fq, 0) // FLOP_COUNTER_FLOPS_PER_MAC,
               "fvcore_macs": fv.get(fq) if fv else None,
               "activation_bytes": s.activation_elems * batch * nbytes, "measured_activation_bytes": act.get(name)}
        result.layers.append(row)
        add = result.checks.append
        add(Check(name, "output shape", s.out_shape.as_list(), shapes.get(name), "built"))
        add(Check(name, "params", s.params, row["measured_params"], "built"))
        add(Check(name, "buffers", s.buffers, _own(module, "buffers"), "built"))
        add(Check(name, "MACs (FlopCounterMode flops / 2)", macs[name], row["flop_counter_macs"], "built"))
        if fv:
            add(Check(name, "MACs (fvcore: 1 per MAC)", macs[name], fv.get(fq, 0), "built"))
        add(Check(name, "activation bytes (forward hooks)", row["activation_bytes"], act.get(name), "built"))
    totals = report.totals
    add(Check("(total)", "params", totals["params"], sum(p.numel() for p in built.parameters()), "built"))
    add(Check("(total)", "MACs (FlopCounterMode flops / 2)", totals["macs"], sum(r["flop_counter_macs"] for r in result.layers), "built"))
    add(Check("(total)", "activation bytes (forward hooks)", totals["activation_bytes"], sum(act.values()), "built"))
    if fv:
        add(Check("(total)", "MACs (fvcore: 1 per MAC)", totals["macs"], fv.get("", 0), "built"))
    estimate = saved_for_backward(graph, report, "cpu")
    saved = saved_tensor_bytes(built, shape, batch)
    add(Check("(total)", "saved for backward bytes (saved_tensors_hooks)", estimate.total_bytes,
              saved.activation_bytes, "built", TOLERANCE["saved for backward bytes (saved_tensors_hooks)"]))

    real = built
    if entry is not None and entry.torchvision:
        real = _check_torchvision(result, entry, report, shape, batch, use_fvcore, estimate.total_bytes)
    if device == "cuda":
        peaks = cuda_peaks(_on(real, "cuda"), shape, batch)
        cuda_estimate = saved_for_backward(graph, report, "cuda")
        add(Check("(total)", "CUDA inference peak bytes", inference_peak(graph, report).peak_bytes,
                  peaks.inference_bytes, "torchvision" if real is not built else "built",
                  TOLERANCE["CUDA inference peak bytes"]))
        add(Check("(total)", "CUDA training step peak bytes", training_step_bytes(cuda_estimate, report),
                  peaks.training_bytes, "torchvision" if real is not built else "built",
                  TOLERANCE["CUDA training step peak bytes"]))
        result.notes.append(f"CUDA device: {peaks.device_name}")
    return result


def _zoo_entry(model, graph):
    """The zoo entry when `model` is a zoo name, else None (a Net, a Graph, a spec file)."""
    from ..sources import zoo
    from ..errors import UnknownModelError

    if not isinstance(model, str) or str(model).lower().endswith((".yaml", ".yml", ".toml", ".json")):
        return None
    try:
        return zoo.get(graph.name)
    except UnknownModelError:
        return None


def _on(built, device):
    """A materialised copy of a meta-device module on `device` (zeroed weights)."""
    from .torchvision_models import materialise

    return materialise(copy.deepcopy(built), device)


def _check_torchvision(result, entry, report, shape, batch, use_fvcore, saved_estimate):
    """Totals and per-layer figures against torchvision's model; returns that model (on meta)."""
    import torch

    from .counters import (FLOP_COUNTER_FLOPS_PER_MAC, flop_counter_layer_flops, fvcore_layer_macs,
                           skips_modules_at_inference)
    from .measured_memory import saved_tensor_bytes
    from .torchvision_models import build_torchvision

    tv = build_torchvision(entry, device="meta")
    training = skips_modules_at_inference(tv, shape)  # GoogLeNet's aux heads run in training mode only
    modules = dict(tv.named_modules())
    stats = {s.name: s for s in report.layers}
    lined = {n: modules[n] for n in stats if n in modules}
    shapes = _shapes_by_module(tv, lined, torch.zeros((batch, *shape), device="meta"))
    flops = flop_counter_layer_flops(tv, shape, batch, training)
    fv = fvcore_layer_macs(tv, shape, batch, training) if use_fvcore else {}
    add = result.checks.append
    for name, module in lined.items():
        s = stats[name]
        if name in shapes:
            add(Check(name, "output shape", s.out_shape.as_list(), shapes[name], "torchvision"))
        if next(module.children(), None) is None:  # a leaf: its own parameters are the layer's
            add(Check(name, "params", s.params, _own(module, "params"), "torchvision"))
            add(Check(name, "buffers", s.buffers, _own(module, "buffers"), "torchvision"))
            if fv:
                add(Check(name, "MACs (fvcore: 1 per MAC)", s.macs * batch, fv.get(name, 0), "torchvision"))
        row = next(r for r in result.layers if r["layer"] == name)
        row["fvcore_macs"] = fv.get(name) if fv else None
        row["torchvision_shape"] = shapes.get(name)
    totals = report.totals
    add(Check("(total)", "params", totals["params"], sum(p.numel() for p in tv.parameters()), "torchvision"))
    add(Check("(total)", "buffers", totals["buffers"], sum(b.numel() for b in tv.buffers()), "torchvision"))
    add(Check("(total)", "MACs (FlopCounterMode flops / 2)", totals["macs"],
              flops.get("", 0) // FLOP_COUNTER_FLOPS_PER_MAC, "torchvision"))
    if fv:
        add(Check("(total)", "MACs (fvcore: 1 per MAC)", totals["macs"], fv.get("", 0), "torchvision"))
    saved = saved_tensor_bytes(tv, shape, batch)
    add(Check("(total)", "saved for backward bytes (saved_tensors_hooks)", saved_estimate, saved.activation_bytes,
              "torchvision", TOLERANCE["saved for backward bytes (saved_tensors_hooks)"]))
    result.notes.append(f"torchvision model: {len(lined)} of {len(stats)} layers line up by name")
    return tv


def lecture_comparison(cuda_results: dict | None = None) -> str:
    """Markdown: the lecture's figures against the real models, every number computed or measured now.

    cuda_results: {"vgg16": {"inference_bytes": ..., "training_bytes": ..., "device": ...}} from
    benchmarks/cuda_verify.py, when a GPU run exists; otherwise the CUDA line says it is still to run.
    """
    from ..sources import analyze
    from ..conventions import MB
    from ..analyses.inference_memory import inference_memory
    from ..analyses.backward_memory import training_memory
    from .measured_memory import saved_tensor_bytes
    from .torchvision_models import build_torchvision

    def count(model):
        return sum(p.numel() for p in model.parameters())

    def mb(value):
        return f"{value / MB:.1f} MB"

    paper, paper_aux = analyze("googlenet-paper").totals["params"], analyze("googlenet-paper-aux").totals["params"]
    tv_google, tv_google_aux = count(build_torchvision("googlenet")), count(build_torchvision("googlenet-aux"))
    two_gpu = analyze("alexnet-paper")
    tower = build_torchvision("alexnet")
    conv1_paper, conv1_tv = two_gpu.layer("conv1"), analyze("alexnet").layer("features.0")
    at224 = analyze("alexnet-paper", input=(3, 224, 224))
    warning = next((d["message"] for d in at224.diagnostics if d["layer"] == "conv1"), "")
    warning = warning.split("; ", 1)[-1]  # the arithmetic is shown already
    vgg = analyze("vgg16")
    every_output = sum(s.out_shape.elements for s in vgg.layers) * vgg.bytes_per_element
    measured_saved = saved_tensor_bytes(build_torchvision("vgg16"), (3, 224, 224)).activation_bytes
    lines = [
        "| the lecture says | the real model | what it means |", "|---|---|---|",
        f"| GoogLeNet: \"5M\" parameters | the paper's network (archcalc `googlenet-paper`): {paper:,}; with its "
        f"two auxiliary classifiers {paper_aux:,}. torchvision's `googlenet` (counted on the torch model): "
        f"{tv_google:,}; with aux heads {tv_google_aux:,} | neither network has 5M; the auxiliary heads, "
        "used only in training, about double the count |",
        f"| AlexNet: two GPUs, CONV1 is 55x55x96 split as 2x48 | `alexnet-paper` (groups=2 on conv2, 4, 5): "
        f"conv1 {conv1_paper.out_shape}, {two_gpu.totals['params']:,} parameters; torchvision's single tower "
        f"(counted on the torch model): conv1 {conv1_tv.out_shape}, {count(tower):,} parameters | the towers "
        "are an artefact of 3 GB GPUs; torchvision follows the later one-tower variant (64 conv1 filters) |",
        f"| AlexNet's input is \"really 227\", not 224 | conv1 at 227: {conv1_paper.derivation}; at 224: "
        f"{at224.layer('conv1').derivation} ({warning}) | torchvision pads conv1 by 2 instead: "
        f"{conv1_tv.derivation} |",
        "| VGG16: about 100 MB of memory per image (forward) | every layer's output (ReLU, flatten, dropout "
        f"included) as its own tensor: "
        f"{mb(every_output)}; archcalc's activation memory (in-place ReLUs add nothing; measured by forward "
        f"hooks, equal): {mb(vgg.totals['activation_bytes'])}; inference peak (tensors alive at once): "
        f"{mb(inference_memory('vgg16').peak_bytes)} | no count of VGG16's forward tensors gives 100 MB "
        "exactly; a real forward pass frees each tensor after its last use and needs far less at once |",
        f"| VGG16: \"more for the backward pass\" | saved for backward, analytic "
        f"{mb(training_memory('vgg16').total_bytes)}, measured with saved_tensors_hooks on torchvision's "
        f"model {mb(measured_saved)} | what autograd keeps until backward: conv inputs, ReLU outputs, "
        "pool inputs and indices, dropout masks |",
    ]
    vgg_cuda = (cuda_results or {}).get("vgg16")
    if vgg_cuda:
        lines.append(f"| VGG16 on a GPU | CUDA peak above the weights: inference {mb(vgg_cuda['inference_bytes'])}, "
                     f"training step {mb(vgg_cuda['training_bytes'])} ({vgg_cuda.get('device', 'CUDA')}) | "
                     "allocator view: includes cuDNN workspaces and weight gradients |")
    else:
        lines.append("| VGG16 on a GPU | CUDA peak: still to run (benchmarks/cuda_verify.py) | |")
    return "\n".join(lines) + "\n"
