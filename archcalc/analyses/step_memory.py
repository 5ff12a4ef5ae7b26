"""Will it fit: the memory of inference and of one training step, term by term, and the largest batch.

Terms (bytes; the batch's share is linear in the batch, analyses/memory_budget.py):
- weights: every parameter (trainable or not) at the parameter dtype; buffers (batch-norm running
  statistics) apart.
- gradients: one per parameter that receives one (not frozen, used by the forward), at the parameter dtype.
- optimizer state (torch.optim, single-tensor or foreach): SGD none; SGD with momentum one momentum buffer
  per parameter; Adam and AdamW two (exp_avg, exp_avg_sq) and a float32 step counter per parameter tensor.
- mixed precision (`amp`, as torch.autocast): weights, gradients and state stay float32 (the master copy);
  activations and what autograd saves are half (float16 or bfloat16); autocast casts the weights of the
  layers that multiply (conv, linear, matmul) to half once per forward and keeps the copy for backward.
  Approximate: autocast runs softmax and the normalisations in float32, whose outputs are then twice the
  size counted.
- saved for backward (analyses/backward_memory.py), and the step's peak: the most activations and
  gradients alive at once along forward, backward and update (analyses/step_timeline.py), above weights,
  buffers, state and the half copy. The state is the steady state's (from the second step on).
- inference: weights, buffers, and the inference peak (analyses/inference_memory.py).
No torch here.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..conventions import dtype_bytes
from ..errors import InputError

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
    half = 0
    if setting.amp:
        multiplying = sum(s.params for s in report.layers if s.macs != 0)
        half = multiplying * dtype_bytes(setting.dtype)
    return MemoryPlan(setting, report, totals["params"] * pbytes, totals["buffers"] * pbytes, half,
                      learning * pbytes, state, saved, inference_peak(graph, report),
                      step_moments(graph, report, saved, pbytes), backward_macs(graph, report, saved))


def _numeric(report) -> None:
    if not isinstance(report.input.elements, int):
        raise InputError(f"memory needs numeric sizes such as 3x224x224, not {report.input}: a peak is a "
                         "maximum, which symbols cannot order")


def _learning_params(report, saved, extras: dict):
    """Parameters that receive a gradient: those of the layers autograd records, less frozen ones."""
    total = sum(s.params for s in report.layers if saved.requires_grad.get(s.name))
    return max(0, total - extras.get("frozen", 0))


def _param_tensors(report, saved, extras: dict) -> int:
    """Parameter tensors that receive a gradient: as the torch model counts them when it was read from one,
    else a weight and (where there is one) a bias per recording layer with parameters."""
    if "tensors" in extras:
        return extras["tensors"]
    return sum((s.weights != 0) + (s.biases != 0) for s in report.layers if saved.requires_grad.get(s.name))


def step_peak_above_weights(graph, report, device: str = "cuda"):
    """The most activations and gradients alive at once in a forward and backward pass (no optimizer state),
    above weights and buffers: what torch.cuda.max_memory_allocated shows above them for such a step."""
    return plan_of(graph, report, Setting(report.dtype, False, "sgd", device)).peak_moment.total
