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
- The update: every parameter gradient alive with the optimizer's state, and the update's temporaries
  (analyses/step_memory.py: Adam's).
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
    temporaries: object = 0  # the update's own (Adam's square roots): analyses/step_memory.py sets them

    @property
    def total(self):
        return self.activations + self.gradients + self.temporaries


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


class _Alive(dict):
    """Storages alive, name -> bytes, with their running total (a sum per moment would be quadratic)."""

    total = 0

    def add(self, name, nbytes) -> None:
        if name not in self:
            self[name] = nbytes
            self.total = self.total + nbytes

    def drop(self, name) -> None:
        if name in self:
            self.total = self.total - self.pop(name)


def _forward(graph, report, saved, out_bytes) -> tuple:
    """The forward moments, and the storages alive when backward starts (what autograd keeps)."""
    storage, kept = saved.storage_of, saved.storages
    final = storage[graph.output]
    frees: dict = {}  # layer index -> storages nobody keeps, freed after it: at their last use, or made unused
    last_use = {INPUT: -1}
    for i, layer in enumerate(graph.layers):
        last_use.setdefault(storage[layer.name], i)
        for src in layer.inputs:
            last_use[storage[src]] = i
    for name, i in last_use.items():
        if name not in kept and name != final:
            frees.setdefault(max(i, 0), []).append(name)
    extras: dict = {}  # layer -> the tensors it makes only for backward
    tensors = set(storage.values())
    alive = _Alive()
    alive.add(INPUT, out_bytes[INPUT])
    for name in kept:
        if name not in tensors:
            if saved.savers.get(name):
                extras.setdefault(saved.savers[name][0], []).append(name)
            else:  # kept by no layer: what an MLP on parameters alone keeps, from the start
                alive.add(name, kept[name])
    moments = []
    for i, layer in enumerate(graph.layers):
        name = storage[layer.name]
        alive.add(name, out_bytes[name])
        for extra in extras.get(layer.name, ()):
            alive.add(extra, kept[extra])
        moments.append(Moment("forward", layer.name, alive.total, 0))
        for done in frees.get(i, ()):
            alive.drop(done)
    if final not in saved.savers:  # the loss has read the output: nothing keeps it
        alive.drop(final)
    return moments, alive


def _backward(graph, stats, saved, out_bytes, alive, param_bytes) -> list:
    """Backward moments, then the update's: walking the recording layers last to first."""
    storage, grad = saved.storage_of, saved.requires_grad
    order = {layer.name: i for i, layer in enumerate(graph.layers)}
    release: dict = {}  # layer -> the storages freed once its backward has run (it is their earliest keeper)
    for name, layers in saved.savers.items():
        release.setdefault(min(layers, key=order.__getitem__), []).append(name)
    grads = _Alive()
    grads.add(graph.output, out_bytes[graph.output])  # the loss's gradient
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
            if grad[src] and src != passed:  # a second gradient for src adds into the buffer there
                grads.add(src, out_bytes[src])
        if layer.name in saved.trainable:
            params = params + s.params * param_bytes
        moments.append(Moment("backward", layer.name, alive.total, grads.total + params))
        flowing = grads[layer.name]
        grads.drop(layer.name)
        if passed is not None:
            grads.add(passed, flowing)
        for name in release.get(layer.name, ()):
            alive.drop(name)
    moments.append(Moment("update", "optimizer", alive.total, params))
    return moments
