"""What autograd saves for backward during a training forward pass: an analytic estimate, by layer kind.

Each kind registers, with `@saved(kinds)`, a function `(attrs, ins, out) -> Saved` saying which tensors
its backward formula keeps (from PyTorch's autograd formulas, tools/autograd/derivatives.yaml):
- which of its inputs and whether its output (a conv keeps its input, a ReLU its output, a GELU its input);
- extra tensors it makes for backward (a max pool's int64 indices, a batch norm's per-channel mean and
  inverse std, dropout's boolean mask, the intermediates of local response normalisation);
- whether its output reuses an input's storage (in-place ops, views).

The estimate counts every storage once, however many layers save it (the output of a ReLU saved by the
ReLU and by the next conv is one tensor), as the measurement does (measure/memory.py). Parameters and
buffers that backward keeps (a conv's weight) are not counted: they are in memory anyway. An op records
nothing when none of its inputs requires grad and it has no trainable parameters (layers before the first
conv see the input only). The model is in training mode (dropout active, batch norm on batch statistics).
Bytes: the activation dtype for saved activations; 8 for int64 indices, 1 for bool masks, 4 for batch-norm
statistics (float32). No torch here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional

from ..conventions import dtype_bytes
from ..errors import GraphError
from ..core.ir import INPUT, Graph
from ..core.shape import product

INDEX_BYTES = 8  # int64 indices of max pooling
MASK_BYTES = 1  # dropout's mask is a bool tensor
STAT_BYTES = 4  # batch norm's saved mean and inverse std are float32


@dataclass(frozen=True)
class Extra:
    """A tensor an op makes only to keep for backward: elements of one sample, bytes per element
    (None: the activation dtype)."""

    what: str
    elements: object
    bytes_per_element: Optional[int] = None
    per_sample: bool = True  # False: one tensor for the whole batch (batch-norm statistics)


@dataclass(frozen=True)
class Saved:
    """What one layer keeps for backward, and whether its output reuses an input's storage."""

    inputs: tuple = ()  # indices of inputs whose tensors are saved
    output: bool = False  # the output tensor is saved
    extras: tuple = ()  # Extra tensors
    alias: Optional[int] = None  # index of the input whose storage the output is (in place, view)
    trainable: bool = False  # the layer has parameters that require grad


_SAVED: dict = {}


def saved(kinds) -> Callable:
    """Register the decorated `(attrs, ins, out, device) -> Saved` for each kind in `kinds`.

    device: "cpu" or "cuda" (the meta device behaves as the CPU), for the few ops torch runs differently.
    """
    kinds = (kinds,) if isinstance(kinds, str) else tuple(kinds)

    def register(fn: Callable) -> Callable:
        for kind in kinds:
            if kind in _SAVED:
                raise ValueError(f"saved-for-backward rule registered twice for kind {kind!r}")
            _SAVED[kind] = fn
        return fn

    return register


def estimated_kinds() -> list:
    """Kinds this table covers (a conformance test compares it with the engine's kinds)."""
    return sorted(_SAVED)


def _inplace(a) -> Optional[int]:
    return 0 if getattr(a, "inplace", False) else None


@saved("conv")
def conv_saved(a, ins, out, device):
    """convolution: its input (for the weight's grad) and its weight (a parameter, not counted)."""
    return Saved(inputs=(0,), trainable=True)


@saved("linear")
def linear_saved(a, ins, out, device):
    """addmm / mm: the input matrix and the weight (a parameter, not counted)."""
    return Saved(inputs=(0,), trainable=True)


@saved(("maxpool", "adaptive_maxpool"))
def maxpool_saved(a, ins, out, device):
    """max_pool2d_with_indices: its input and the int64 index of each output's maximum."""
    return Saved(inputs=(0,), extras=(Extra("indices", out.elements, INDEX_BYTES),))


@saved("avgpool")
def avgpool_saved(a, ins, out, device):
    """avg_pool2d: its input (the backward formula takes `self`)."""
    return Saved(inputs=(0,))


@saved("adaptive_avgpool")
def adaptive_avgpool_saved(a, ins, out, device):
    """Its input; to a 1x1 output torch computes a mean instead, whose backward keeps only sizes."""
    if all(o == 1 for o in a.output):
        return Saved()
    return Saved(inputs=(0,))


@saved("lrn")
def lrn_saved(a, ins, out, device):
    """F.local_response_norm as torch writes it: x*x, pad, avg_pool3d, *alpha, +k, **beta, x / div.

    avg_pool3d keeps the padded squares (C + size - 1 channels); pow keeps its base (the +k result);
    the division keeps x and the pow result; x*x keeps x (the same storage).
    """
    (x,) = ins
    plane = product(x.spatial)
    padded = (x.channels + a.size - 1) * plane
    return Saved(inputs=(0,), extras=(Extra("padded squares", padded), Extra("k + alpha*avg", out.elements),
                                      Extra("(k + alpha*avg)^beta", out.elements)))


@saved("batchnorm")
def batchnorm_saved(a, ins, out, device):
    """Training batch norm: its input, and the batch mean and inverse std per channel (float32)."""
    c = ins[0].channels
    stats = tuple(Extra(what, c, STAT_BYTES, per_sample=False) for what in ("batch mean", "batch inverse std"))
    return Saved(inputs=(0,), extras=stats, trainable=a.affine)


# activations whose backward formula uses the result (relu, sigmoid, tanh: d/dx from y) keep the output;
# the others keep the input. For an in-place op both are the same storage.
@saved(("relu", "sigmoid", "tanh"))
def result_saved(a, ins, out, device):
    """threshold_backward / sigmoid_backward / tanh_backward take the result."""
    return Saved(output=True, alias=_inplace(a))


@saved(("leaky_relu", "elu"))
def input_or_result_saved(a, ins, out, device):
    """leaky_relu / elu backward take the input; their in-place forms take the result, the same storage."""
    return Saved(inputs=(0,), alias=_inplace(a))


@saved(("relu6", "gelu", "silu", "hardswish", "hardsigmoid"))
def input_saved(a, ins, out, device):
    """hardtanh / gelu / silu / hardswish / hardsigmoid backward take the input. In place, the op would
    overwrite it, so autograd keeps a copy of the original input (seen with saved_tensors_hooks: a storage
    apart from the output's)."""
    if getattr(a, "inplace", False):
        return Saved(extras=(Extra("copy of the input", out.elements),), alias=0)
    return Saved(inputs=(0,))


@saved("softmax")
def softmax_saved(a, ins, out, device):
    """_softmax_backward_data takes the result."""
    return Saved(output=True)


@saved("dropout")
def dropout_saved(a, ins, out, device):
    """A mask of the output's size; the output is a new tensor (training mode).

    On CUDA torch fuses dropout (native_dropout) and keeps a bool mask; elsewhere at::dropout multiplies by
    a scaled noise tensor of the activation dtype, and the multiply keeps that noise.
    """
    if a.p == 0:
        return Saved()
    return Saved(extras=(Extra("mask", out.elements, MASK_BYTES if device == "cuda" else None),))


@saved("flatten")
def flatten_saved(a, ins, out, device):
    """A view: nothing saved (its backward needs only sizes)."""
    return Saved(alias=0)


@saved(("concat", "mean", "pad_channels"))
def concat_saved(a, ins, out, device):
    """cat (backward splits by sizes), a mean of inputs (adds, a divide by a number) and a zero pad
    (backward slices): nothing saved; each writes a new output."""
    return Saved()


@saved("add")
def add_saved(a, ins, out, device):
    """An add keeps nothing; in place it writes into its first input."""
    return Saved(alias=_inplace(a))


@dataclass(frozen=True)
class SavedEstimate:
    """Bytes autograd keeps for backward, for the whole batch: total and per layer (storages first saved by
    that layer), and the storages by name."""

    total_bytes: object
    by_layer: dict = field(default_factory=dict)
    storages: dict = field(default_factory=dict)  # storage name -> bytes


def saved_rule(kind: str) -> Callable:
    try:
        return _SAVED[kind]
    except KeyError:
        raise GraphError(f"kind '{kind}' has no saved-for-backward rule "
                         f"(known: {', '.join(estimated_kinds())})") from None


def saved_for_backward(graph: Graph, report, device: str = "cpu") -> SavedEstimate:
    """Estimate of the bytes autograd saves in one training forward pass of `graph` (analysed in `report`),
    on `device` ("cpu" or "cuda")."""
    nbytes, batch = report.bytes_per_element, report.batch
    stats = {s.name: s for s in report.layers}
    storage = {INPUT: INPUT}  # node -> name of the storage that holds it
    size = {INPUT: report.input.elements * nbytes * batch}
    grad = {INPUT: False}  # does the node's tensor require grad?
    kept: dict = {}
    by_layer: dict = {}
    for layer in graph.layers:
        s = stats[layer.name]
        rule = saved_rule(layer.kind)(layer.attrs, list(s.in_shapes), s.out_shape, device)
        if rule.alias is not None:
            storage[layer.name] = storage[layer.inputs[rule.alias]]
        else:
            storage[layer.name] = layer.name
            size[layer.name] = s.out_shape.elements * nbytes * batch
        records = rule.trainable or any(grad[i] for i in layer.inputs)
        grad[layer.name] = records
        if not records:  # autograd records no node, saves nothing
            continue
        names = [storage[layer.inputs[i]] for i in rule.inputs]
        if rule.output:
            names.append(storage[layer.name])
        first = 0
        for name in names:
            if name not in kept:
                kept[name] = size[name]
                first = first + size[name]
        for extra in rule.extras:
            b = extra.bytes_per_element or nbytes
            value = extra.elements * b * (batch if extra.per_sample else 1)
            kept[f"{layer.name}:{extra.what}"] = value
            first = first + value
        by_layer[layer.name] = first
    total = 0
    for value in kept.values():
        total = total + value
    return SavedEstimate(total, by_layer, kept)


def training_memory(model, input=None, batch: int = 1, dtype: str = "float32", device: str = "cpu") -> SavedEstimate:
    """saved_for_backward of a zoo name, Net, Graph or spec file at `input` (its default when None)."""
    from ..sources import resolve
    from ..core.engine import propagate

    graph = resolve(model)
    dtype_bytes(dtype)
    return saved_for_backward(graph, propagate(graph, input, batch, dtype), device)


def training_step_bytes(estimate: SavedEstimate, report):
    """Approximate peak of one training step above the parameters (forward, then backward; no optimizer).

    = saved-for-backward bytes (alive when backward starts)
    + one gradient per trainable parameter (allocated as backward reaches each layer; the last layers'
      come first, while almost everything saved is still alive: counted whole, an upper bound)
    + twice the largest layer output (the gradient flowing into a layer and the one flowing out of it).
    Op workspaces and allocator rounding are not counted. Bytes.
    """
    nbytes, batch = report.bytes_per_element, report.batch
    largest = 0
    for s in report.layers:
        size = s.out_shape.elements
        try:
            if size > largest:
                largest = size
        except TypeError:  # symbolic sizes cannot be ordered: no peak
            return None
    grads = report.totals["trainable_params"] * nbytes
    return estimate.total_bytes + grads + 2 * largest * nbytes * batch
