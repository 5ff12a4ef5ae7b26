"""One training step of a real torch model, measured: the optimizer's state and the step's peak on CUDA
(compared with archcalc.analyses.step_memory's MemoryPlan).

The optimizers are those `archcalc memory --optimizer` names, with torch.optim's defaults (single-tensor or
foreach, as torch picks: foreach on CUDA). A step is: gradients set to None, a train-mode forward, the sum of
the output as the loss, backward, the optimizer's update. The peak is measured on the second step, when the
optimizer's state exists (the steady state the analysis describes).
"""

from __future__ import annotations

from dataclasses import dataclass


def make_optimizer(model, name: str):
    """The torch.optim optimizer `archcalc memory --optimizer NAME` describes, over the model's parameters."""
    import torch

    params = [p for p in model.parameters() if p.requires_grad]
    makers = {"sgd": lambda: torch.optim.SGD(params, lr=0.01),
              "sgd-momentum": lambda: torch.optim.SGD(params, lr=0.01, momentum=0.9),
              "adam": lambda: torch.optim.Adam(params), "adamw": lambda: torch.optim.AdamW(params)}
    return makers[name]()


def train_step(model, optimizer, x) -> None:
    """One step: gradients to None, forward, loss = sum of the output, backward, update."""
    optimizer.zero_grad(set_to_none=True)
    y = model.train()(x)
    y = y.logits if hasattr(y, "logits") else y
    y.float().sum().backward()
    del y
    optimizer.step()


@dataclass(frozen=True)
class StepState:
    """Bytes after one step: parameters, buffers, gradients, the optimizer's state, and its tensor count."""

    weights: int
    buffers: int
    gradients: int
    state: int
    state_tensors: int


def state_after_one_step(model, optimizer: str, x) -> StepState:
    """Run one step of `model` on `x` with `optimizer` (a name) and count what is held afterwards."""
    import torch

    opt = make_optimizer(model, optimizer)
    train_step(model, opt, x)
    tensors = [t for s in opt.state.values() for t in s.values() if isinstance(t, torch.Tensor)]

    def nbytes(ts):
        return sum(t.numel() * t.element_size() for t in ts)

    return StepState(nbytes(model.parameters()), nbytes(b for b in model.buffers() if b.is_floating_point()),
                     nbytes(p.grad for p in model.parameters() if p.grad is not None), nbytes(tensors), len(tensors))


def cuda_step_peak(model, input_shape, batch: int, optimizer: str, device="cuda") -> int:
    """torch.cuda.max_memory_allocated during the second training step of `model` (moved to `device`), from
    zero: weights, buffers, optimizer state, gradients and activations, workspaces included."""
    import torch

    model = model.to(device)
    for p in model.parameters():
        p.requires_grad_(True)
    x = torch.zeros((batch, *input_shape), device=device)
    opt = make_optimizer(model, optimizer)
    train_step(model, opt, x)  # the first step makes the state and warms cuDNN and the allocator
    opt.zero_grad(set_to_none=True)
    torch.cuda.synchronize(device)
    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats(device)
    train_step(model, opt, x)
    torch.cuda.synchronize(device)
    peak = torch.cuda.max_memory_allocated(device)
    opt.zero_grad(set_to_none=True)
    return peak
