"""Will it fit: the memory of inference and of one training step, term by term, and the largest batch.

Terms (bytes; the batch's share is linear in the batch, analyses/memory_budget.py):
- weights: every parameter (trainable or not) at the parameter dtype; buffers (batch-norm running
  statistics) apart, at the parameter dtype but for the int64 ones (batch norm's step counter).
- gradients: one per parameter that receives one (not frozen, used by the forward), at the parameter dtype.
- optimizer state (torch.optim, single-tensor or foreach): SGD none; SGD with momentum one momentum buffer
  per parameter; Adam and AdamW two (exp_avg, exp_avg_sq) and a float32 step counter per parameter tensor.
- mixed precision (`amp`, as torch.autocast): weights, gradients and state stay float32 (the master copy);
  activations and what autograd saves are half (float16 or bfloat16); autocast casts the weights of the
  layers that multiply (conv, linear, matmul) to half once per forward and keeps the copy for backward.
  Approximate: autocast runs softmax and the normalisations in float32, whose outputs are then twice the
  size counted.
- saved for backward (analyses/backward_memory.py), and the step's peak: the most activations and
  gradients alive at once along forward, backward and update (analyses/step_timeline.py; at the update,
  Adam's temporaries too), above weights, buffers, state and the half copy. The state is the steady
  state's (from the second step on).
- inference: weights, buffers, and the inference peak (analyses/inference_memory.py).
No torch here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..conventions import dtype_bytes
from ..errors import InputError

INDEX_BYTES = 8  # int64 buffers: batch norm's num_batches_tracked, window attention's relative position index


def _index_buffers(attrs, kind: str) -> int:
    """Elements of a layer's buffers that torch stores as int64, whatever the model's dtype."""
    if kind in ("batchnorm", "instancenorm"):
        return 1 if attrs.track_running_stats else 0
    if kind == "window_attention":
        return attrs.window[0] * attrs.window[1] * attrs.window[0] * attrs.window[1]
    return 0


def _buffer_bytes(graph, report, pbytes: int):
    """Bytes of every buffer: floating ones at the parameter dtype, int64 ones at 8 bytes."""
    index = sum(_index_buffers(layer.attrs, layer.kind) for layer in graph.layers)
    shared = set(graph.extras.get("shared", ()))  # a shared layer's buffers are counted once
    index -= sum(_index_buffers(layer.attrs, layer.kind) for layer in graph.layers if layer.name in shared)
    return (report.totals["buffers"] - index) * pbytes + index * INDEX_BYTES


# copies of the parameters each optimizer keeps (torch.optim's state after one step)
OPTIMIZERS = {"sgd": 0, "sgd-momentum": 1, "adam": 2, "adamw": 2}
STEP_COUNTER_BYTES = 4  # Adam's and AdamW's state["step"]: a float32 scalar tensor per parameter tensor
HALF = ("float16", "bfloat16")


@dataclass(frozen=True)
class Setting:
    """How the model runs: activation dtype, mixed precision, optimizer, device ("cuda" or "cpu")."""

    dtype: str = "float32"
    amp: bool = False
    optimizer: str = "sgd-momentum"
    device: str = "cuda"

    def __post_init__(self):
        if self.optimizer not in OPTIMIZERS:
            raise InputError(f"optimizer '{self.optimizer}' is not one of {', '.join(OPTIMIZERS)}")
        dtype_bytes(self.dtype)
        if self.amp and self.dtype not in HALF:
            raise InputError(f"--amp runs activations in float16 or bfloat16, not {self.dtype}: "
                             "leave --dtype out or give one of those")

    @property
    def param_bytes(self) -> int:
        return 4 if self.amp else dtype_bytes(self.dtype)


@dataclass(frozen=True)
class MemoryPlan:
    """Every term of the memory of `report`'s model at its batch, in bytes, with the parts they come from."""

    setting: Setting
    report: object
    weights: object
    buffers: object
    half_weights: object  # autocast's half copy of the multiplying layers' weights (0 without amp)
    gradients: object
    optimizer_state: object
    saved: object  # SavedEstimate
    inference: object  # InferencePeak
    moments: list  # step_timeline Moments
    backward: object  # BackwardMacs

    @property
    def resident(self):
        """What is in memory for the whole step whatever the batch: weights, buffers, half copy, state."""
        return self.weights + self.buffers + self.half_weights + self.optimizer_state

    @property
    def peak_moment(self):
        return max(self.moments, key=lambda m: m.total)

    @property
    def training_peak(self):
        return self.resident + self.peak_moment.total

    @property
    def inference_total(self):
        return self.weights + self.buffers + self.half_weights + self.inference.peak_bytes


def memory_plan(graph, input=None, batch: int = 1, setting: Setting = Setting()) -> MemoryPlan:
    """The MemoryPlan of `graph` (a Graph) at `input` and `batch`."""
    from ..core.engine import propagate

    return plan_of(graph, propagate(graph, input, batch, setting.dtype), setting)


def plan_of(graph, report, setting: Setting) -> MemoryPlan:
    """The MemoryPlan of `graph` as analysed in `report` (its batch and activation dtype)."""
    from .backward_compute import backward_macs
    from .backward_memory import saved_for_backward
    from .inference_memory import inference_peak
    from .step_timeline import step_moments

    _numeric(report)
    saved = saved_for_backward(graph, report, setting.device)
    pbytes = setting.param_bytes
    totals = report.totals
    extras = graph.extras.get("torch_params") or {}
    learning = _learning_params(report, saved, extras)
    copies = OPTIMIZERS[setting.optimizer]
    state = copies * learning * pbytes
    if setting.optimizer.startswith("adam"):
        state += STEP_COUNTER_BYTES * _param_tensors(report, saved, extras)
    moments = step_moments(graph, report, saved, pbytes)
    moments[-1] = replace(moments[-1], temporaries=_update_temporaries(report, saved, setting, learning))
    half = 0
    if setting.amp:
        multiplying = sum(s.params for s in report.layers if s.macs != 0)
        half = multiplying * dtype_bytes(setting.dtype)
    return MemoryPlan(setting, report, totals["params"] * pbytes, _buffer_bytes(graph, report, pbytes), half,
                      learning * pbytes, state, saved, inference_peak(graph, report), moments,
                      backward_macs(graph, report, saved))


def _update_temporaries(report, saved, setting: Setting, learning) -> object:
    """Bytes Adam's update allocates for itself (torch.optim.adam): one tensor at a time on the CPU, where
    (exp_avg_sq.sqrt() / c).add_(eps) makes two temporaries of the largest parameter tensor; all at once
    on CUDA (foreach, torch's default there), where _foreach_sqrt makes one copy of every parameter. SGD,
    with or without momentum, updates in place. Approximate: a layer's weights are taken as one tensor."""
    if not setting.optimizer.startswith("adam"):
        return 0
    if setting.device == "cuda":
        return learning * setting.param_bytes
    largest = max((max(s.weights, s.biases) for s in report.layers if s.name in saved.trainable), default=0)
    return 2 * largest * setting.param_bytes


def _numeric(report) -> None:
    if not isinstance(report.input.elements, int):
        raise InputError(f"memory needs numeric sizes such as 3x224x224, not {report.input}: a peak is a "
                         "maximum, which symbols cannot order")


def _learning_params(report, saved, extras: dict):
    """Parameters that receive a gradient: those of the trainable layers autograd records, less frozen ones
    in layers that learn otherwise (a frozen bias beside a trained weight)."""
    total = sum(s.params for s in report.layers if s.name in saved.trainable)
    frozen_layers = set(extras.get("frozen_layers", ()))
    elsewhere = extras.get("frozen", 0) - sum(s.params for s in report.layers if s.name in frozen_layers)
    return max(0, total - max(0, elsewhere))


def _param_tensors(report, saved, extras: dict) -> int:
    """Parameter tensors that receive a gradient: as the torch model counts them when it was read from one,
    else a weight and (where there is one) a bias per recording layer with parameters."""
    if "tensors" in extras:
        return extras["tensors"]
    return sum((s.weights != 0) + (s.biases != 0) for s in report.layers if s.name in saved.trainable)


def step_peak_above_weights(graph, report, device: str = "cuda"):
    """The most activations and gradients alive at once in a forward and backward pass (no optimizer state),
    above weights and buffers: what torch.cuda.max_memory_allocated shows above them for such a step."""
    return plan_of(graph, report, Setting(report.dtype, False, "sgd", device)).peak_moment.total
