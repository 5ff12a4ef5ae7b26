"""What autograd saves for backward during a training forward pass: an analytic estimate, by layer kind.

Each kind's `saved` rule (core/rules/, beside its other rules) says, as a `Saved`, which tensors its
backward formula keeps (from PyTorch's autograd formulas, tools/autograd/derivatives.yaml):
- which of its inputs and whether its output (a conv keeps its input, a ReLU its output, a GELU its input);
- extra tensors it makes for backward (a max pool's int64 indices, a batch norm's per-channel mean and
  inverse std, dropout's boolean mask, the intermediates of local response normalisation);
- whether its output reuses an input's storage (in-place ops, views).
This module walks the graph with those rules and adds up the bytes.

The estimate counts every storage once, however many layers save it (the output of a ReLU saved by the
ReLU and by the next conv is one tensor), as the measurement does (pytorch/measured_memory.py). Parameters
and buffers that backward keeps (a conv's weight) are not counted: they are in memory anyway. An op records
nothing when none of its inputs requires grad and it has no trainable parameters (layers before the first
conv see the input only; so do the layers of a frozen stem, whose parameters do not require grad,
graph.extras["torch_params"]["frozen_layers"]). What an MLP run on parameters alone keeps (a relative
position MLP, once per forward: in no layer) is added once, whatever the batch (graph.extras["torch_params"]["param_saved"]).
The model is in training mode (dropout active, batch norm on batch statistics).
Bytes: the activation dtype for saved activations; 8 for int64 indices, 1 for bool masks, 4 for batch-norm
statistics (float32). No torch here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..conventions import dtype_bytes
from ..core.ir import INPUT, Graph
from ..core.rules import rules_for

PARAM_SAVED = "(modules on parameters alone, once per forward)"  # the storage name of their tensors


@dataclass(frozen=True)
class SavedEstimate:
    """Bytes autograd keeps for backward, for the whole batch: total and per layer (storages first saved by
    that layer), and the storages by name."""

    total_bytes: object
    by_layer: dict = field(default_factory=dict)
    storages: dict = field(default_factory=dict)  # storage name -> bytes
    # for the step's timeline (analyses/step_timeline.py): storage name -> the layers that keep it; node ->
    # the storage holding it; node -> whether its tensor requires grad (autograd records its layer)
    savers: dict = field(default_factory=dict)
    storage_of: dict = field(default_factory=dict)
    requires_grad: dict = field(default_factory=dict)
    trainable: frozenset = frozenset()  # layers with parameters that require grad (not frozen)


def saved_for_backward(graph: Graph, report, device: str = "cpu") -> SavedEstimate:
    """Estimate of the bytes autograd saves in one training forward pass of `graph` (analysed in `report`),
    on `device` ("cpu" or "cuda")."""
    nbytes, batch = report.bytes_per_element, report.batch
    stats = {s.name: s for s in report.layers}
    storage = {INPUT: INPUT}  # node -> name of the storage that holds it
    size = {INPUT: report.input.elements * nbytes * batch}
    grad = {INPUT: False}  # does the node's tensor require grad?
    kept: dict = {}
    savers: dict = {}
    by_layer: dict = {}
    frozen = set((graph.extras.get("torch_params") or {}).get("frozen_layers", ()))
    trainable = set()
    for layer in graph.layers:
        s = stats[layer.name]
        rule = rules_for(layer.kind)["saved"](layer.attrs, list(s.in_shapes), s.out_shape, device)
        if rule.alias is not None:
            storage[layer.name] = storage[layer.inputs[rule.alias]]
        else:
            storage[layer.name] = layer.name
            size[layer.name] = s.out_shape.elements * nbytes * batch
        learns = rule.trainable and layer.name not in frozen
        if learns:
            trainable.add(layer.name)
        records = learns or any(grad[i] for i in layer.inputs)
        grad[layer.name] = records
        if not records:  # autograd records no node, saves nothing
            continue
        def needed(i, rule=rule, layer=layer):
            return not rule.cross or grad[layer.inputs[1 - i]]

        kept_inputs = [i for i in rule.inputs if needed(i)]
        kept_inputs += [i for i in rule.batch_one_inputs if batch == 1 and needed(i)]
        names = [storage[layer.inputs[i]] for i in kept_inputs]
        if rule.output:
            names.append(storage[layer.name])
        first = 0
        for name in names:
            savers.setdefault(name, []).append(layer.name)
            if name not in kept:
                kept[name] = size[name]
                first = first + size[name]
        for extra in rule.extras:
            if extra.batch_one is not None and extra.batch_one != (batch == 1):
                continue
            if extra.of_input is not None and not needed(extra.of_input):
                continue
            b = extra.bytes_per_element or nbytes
            value = extra.elements * b * (batch if extra.per_sample else 1)
            kept[f"{layer.name}:{extra.what}"] = value
            savers[f"{layer.name}:{extra.what}"] = [layer.name]
            first = first + value
        by_layer[layer.name] = first
    once = (graph.extras.get("torch_params") or {}).get("param_saved", 0)
    if once:  # an MLP on parameters alone, run once per forward at any batch (sources/torch_param_saved.py)
        kept[PARAM_SAVED] = once * nbytes
    total = 0
    for value in kept.values():
        total = total + value
    return SavedEstimate(total, by_layer, kept, savers, storage, grad, frozenset(trainable))


def training_memory(model, input=None, batch: int = 1, dtype: str = "float32", device: str = "cpu") -> SavedEstimate:
    """saved_for_backward of a zoo name, Net, Graph or spec file at `input` (its default when None)."""
    from ..sources import resolve
    from ..core.engine import propagate

    graph = resolve(model, input)
    dtype_bytes(dtype)
    return saved_for_backward(graph, propagate(graph, input, batch, dtype), device)
