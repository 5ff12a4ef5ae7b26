"""Memory alive along one training step: the forward pass, the backward pass, the optimizer's update.

Model (an estimate; each rule names what it counts):
- Forward, in graph order: a layer's output is allocated while its inputs are alive; a tensor nobody saves
  is freed after its last consumer (as at inference, analyses/inference_memory.py); a tensor that autograd
  saves (analyses/backward_memory.py) and the extras a layer makes for backward (pooling indices, dropout
  masks) stay until backward has passed every layer that keeps them.
- Backward, in reverse order, over the layers autograd records: the gradient of a layer's output is alive
  until its backward has run; the layer allocates one gradient per input that requires grad (a view or an
  in-place op passes its gradient on without a new tensor) and the gradients of its parameters, which stay
  until the optimizer's update. Gradients arriving at one tensor from several consumers share one buffer.
- The update: every parameter gradient alive with the optimizer's state; its own temporaries are not counted.
The moments count activations and gradients only; weights, buffers and optimizer state sit under them for
the whole step (analyses/step_memory.py adds them). Autograd's bookkeeping, op workspaces (cuDNN, im2col)
and allocator rounding are not counted. Bytes for the whole batch. No torch here.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core.ir import INPUT


@dataclass(frozen=True)
class Moment:
    """Bytes alive while one layer's forward or backward runs (phase "forward", "backward" or "update")."""

    phase: str
    layer: str
    activations: object  # outputs alive, and what autograd keeps
    gradients: object  # gradients of activations in flight, and of parameters so far

    @property
    def total(self):
        return self.activations + self.gradients


def step_moments(graph, report, saved, param_bytes: int) -> list:
    """The Moments of one training step of `graph` analysed in `report`, `saved` its SavedEstimate;
    `param_bytes` bytes per element of a parameter gradient."""
    nbytes, batch = report.bytes_per_element, report.batch
    stats = {s.name: s for s in report.layers}
    out_bytes = {INPUT: report.input.elements * nbytes * batch}
    for s in report.layers:
        out_bytes[s.name] = s.out_shape.elements * nbytes * batch
    moments, alive = _forward(graph, report, saved, out_bytes)
    moments += _backward(graph, stats, saved, out_bytes, alive, param_bytes)
    return moments


def _forward(graph, report, saved, out_bytes) -> tuple:
    """The forward moments, and the storages alive when backward starts (what autograd keeps)."""
    storage = saved.storage_of
    last_use: dict = {}
    for i, layer in enumerate(graph.layers):
        for src in layer.inputs:
            last_use[storage[src]] = i
    kept = saved.storages
    extras: dict = {}  # layer -> the tensors it makes only for backward
    tensors = set(storage.values())
    for name in kept:
        if name not in tensors and saved.savers.get(name):
            extras.setdefault(saved.savers[name][0], []).append(name)
    alive = {INPUT: out_bytes[INPUT]}
    for name in kept:  # kept by no layer: what an MLP on parameters alone keeps, from the start
        if name not in tensors and not saved.savers.get(name):
            alive[name] = kept[name]
    moments = []
    for i, layer in enumerate(graph.layers):
        name = storage[layer.name]
        if name not in alive:
            alive[name] = out_bytes[name]
        for extra in extras.get(layer.name, ()):
            alive[extra] = kept[extra]
        moments.append(Moment("forward", layer.name, _sum(alive.values()), 0))
        for done in [n for n in alive if last_use.get(n, -1) <= i and n not in kept and n != name]:
            del alive[done]
    final = storage[graph.output]
    return moments, {n: v for n, v in alive.items() if n in kept or n == final}


def _backward(graph, stats, saved, out_bytes, alive, param_bytes) -> list:
    """Backward moments, then the update's: walking the recording layers last to first."""
    storage, grad = saved.storage_of, saved.requires_grad
    first_saver = {}  # storage -> the earliest layer keeping it: backward frees it there
    order = {layer.name: i for i, layer in enumerate(graph.layers)}
    for name, layers in saved.savers.items():
        first_saver[name] = min(layers, key=order.__getitem__)
    final = storage[graph.output]
    if final not in saved.savers:  # the loss has read it: nothing keeps it
        alive.pop(final, None)
    grads = {graph.output: out_bytes[graph.output]}  # the loss's gradient
    params = 0
    moments = []
    for layer in reversed(graph.layers):
        if not grad[layer.name] or layer.name not in grads:
            continue
        s = stats[layer.name]
        # a view or an in-place op passes the same gradient on to its first input, without a new tensor
        passed = layer.inputs[0] if s.activation_elems == 0 and layer.inputs and layer.inputs[0] not in grads \
            and grad[layer.inputs[0]] else None
        for src in layer.inputs:
            if grad[src] and src not in grads and src != passed:  # else it adds into the buffer there
                grads[src] = out_bytes[src]
        params = params + s.params * param_bytes
        moments.append(Moment("backward", layer.name, _sum(alive.values()), _sum(grads.values()) + params))
        flowing = grads.pop(layer.name)
        if passed is not None:
            grads[passed] = flowing
        for name in [n for n, first in first_saver.items() if first == layer.name]:
            alive.pop(name, None)
    moments.append(Moment("update", "optimizer", _sum(alive.values()), params))
    return moments


def _sum(values):
    total = 0
    for value in values:
        total = total + value
    return total
