"""Memory, measured on a real torch model three ways (compared with archcalc.analyses.inference_memory and archcalc.analyses.backward_memory).

1. Activation bytes per layer, from forward hooks: the bytes of each layer's output storage that no earlier
   tensor (the input, an earlier output) already held; an in-place op or a view adds nothing.
2. Bytes autograd saves for backward, from torch.autograd.graph.saved_tensors_hooks during one training
   forward pass: each storage counted once however many ops save it; parameter and buffer storages apart.
3. On CUDA, the peak allocated bytes of an inference pass and of a training step (forward and backward),
   above what was allocated before (the parameters).

Storages are told apart by their StorageImpl (`untyped_storage()._cdata`), which also works on the meta
device, where 1 and 2 cost no memory and no arithmetic; references are held for the whole pass so that a
freed storage's address is never reused within one measurement.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field


def _storage_key(t) -> int:
    return t.untyped_storage()._cdata


def _tensors(value):
    """The tensors in a module output (a tensor, or a tuple/list/namedtuple of them)."""
    import torch

    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in _tensors(v)]
    return []


def _model_storages(model) -> set:
    return {_storage_key(t) for t in list(model.parameters()) + list(model.buffers())}


def _input(model, input_shape, batch: int, device=None):
    import torch

    params = list(model.parameters()) + [b for b in model.buffers() if b.is_floating_point()]
    device = device or (params[0].device if params else "cpu")
    dtype = params[0].dtype if params else torch.float32
    return torch.zeros((batch, *input_shape), device=device, dtype=dtype)


def activation_bytes_by_layer(model, layer_modules: dict, input_shape, batch: int = 1) -> dict:
    """{layer name: new bytes of its output} for an inference pass (eval mode, no grad), by forward hooks.

    layer_modules: layer name -> module (BuiltNet.layer_modules). A module called more than once reports
    its last call.
    """
    import torch

    seen = _model_storages(model)
    held, result = [], {}
    x = _input(model, input_shape, batch)
    seen.add(_storage_key(x))

    def hook_for(name):
        def hook(module, args, output):
            new = 0
            for t in _tensors(output):
                key = _storage_key(t)
                if key not in seen:
                    seen.add(key)
                    new += t.untyped_storage().nbytes()
                held.append(t)
            result[name] = new
        return hook

    handles = [m.register_forward_hook(hook_for(n)) for n, m in layer_modules.items()]
    was_training = model.training
    try:
        model.eval()
        with torch.no_grad():
            model(x)
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    return result


@dataclass
class SavedMeasurement:
    """Bytes autograd saved (each storage once): activations, and parameters/buffers apart; per layer the
    storages first saved while that layer's module ran (None: outside any named module)."""

    activation_bytes: int = 0
    parameter_bytes: int = 0
    tensors: int = 0
    storages: int = 0
    by_layer: dict = field(default_factory=dict)


def saved_tensor_bytes(model, input_shape, batch: int = 1, layer_modules: dict | None = None) -> SavedMeasurement:
    """What autograd keeps for backward in one training forward pass (train mode, parameters requiring grad).

    Runs wherever the model lives (meta included); restores the model's mode and requires_grad flags.
    """
    import torch

    params = _model_storages(model)
    seen: dict = {}
    out = SavedMeasurement()
    current: list = [None]

    def pack(t):
        out.tensors += 1
        key = _storage_key(t)
        if key not in seen:
            seen[key] = t.untyped_storage().nbytes()
            if key in params:
                out.parameter_bytes += seen[key]
            else:
                out.activation_bytes += seen[key]
                out.by_layer[current[0]] = out.by_layer.get(current[0], 0) + seen[key]
        return t

    handles = []
    for name, module in (layer_modules or {}).items():
        handles.append(module.register_forward_pre_hook(lambda m, a, n=name: current.__setitem__(0, n)))
        handles.append(module.register_forward_hook(lambda m, a, o: current.__setitem__(0, None)))
    flags = [(p, p.requires_grad) for p in model.parameters()]
    was_training = model.training
    x = _input(model, input_shape, batch)
    try:
        model.train()
        for p, _ in flags:
            p.requires_grad_(True)
        with torch.enable_grad(), torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            y = model(x)
        out.storages = len(seen)
        del y
    finally:
        for h in handles:
            h.remove()
        for p, flag in flags:
            p.requires_grad_(flag)
        model.train(was_training)
    return out


@dataclass(frozen=True)
class CudaPeaks:
    """Peak CUDA bytes above the parameters: inference (no grad) and a training step (forward, backward)."""

    inference_bytes: int
    training_bytes: int
    parameter_bytes: int
    device_name: str


@contextmanager
def _peak(device):
    import torch

    torch.cuda.synchronize(device)
    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats(device)
    base = torch.cuda.memory_allocated(device)
    box = {}
    yield box
    torch.cuda.synchronize(device)
    box["peak"] = torch.cuda.max_memory_allocated(device) - base


def cuda_peaks(model, input_shape, batch: int = 1, device="cuda") -> CudaPeaks:
    """Measured peaks on a CUDA device (the model is moved there); the input is inside both figures."""
    import torch

    model = model.to(device)
    param_bytes = sum(t.numel() * t.element_size() for t in list(model.parameters()) + list(model.buffers()))
    with torch.no_grad():  # warm-up: cuDNN picks its algorithms, the caching allocator fills
        model.eval()(_input(model, input_shape, batch, device))
    with _peak(device) as inference:
        with torch.no_grad():
            y = model.eval()(_input(model, input_shape, batch, device))
            del y
    for p in model.parameters():
        p.requires_grad_(True)
        p.grad = None
    with _peak(device) as training:
        y = model.train()(_input(model, input_shape, batch, device))
        y = y.logits if hasattr(y, "logits") else y
        y.float().sum().backward()
        del y
    for p in model.parameters():
        p.grad = None
    model.eval()
    return CudaPeaks(inference["peak"], training["peak"], param_bytes, torch.cuda.get_device_name(device))
