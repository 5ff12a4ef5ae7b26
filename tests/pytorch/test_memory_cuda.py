"""The training step's analytic peak against torch.cuda.max_memory_allocated, on a GPU (skipped without one).

Measured: the second step (forward, backward, SGD with momentum), everything allocated from zero: weights,
buffers, momentum, gradients, activations, and what the analysis leaves out (cuDNN and cuBLAS workspaces,
the allocator's 512-byte rounding). The analysis counts tensors only, so it is checked as nearly a lower
bound: at most 2% over the measurement (rounding the other way), and at least 60% of it (the workspaces of
a small model weigh more; forward and backward alone ran from 0.79x to 0.98x on an H200,
reports/verify/cuda/). The CPU's checks are in tests/pytorch/test_memory_measured.py.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch", reason="measuring CUDA memory needs torch")

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU on this machine")


@needs_cuda
@pytest.mark.parametrize("name, batch", [("resnet18", 16), ("vgg11", 8), ("googlenet", 8)])
def test_training_step_peak_against_the_cuda_allocator(name, batch):
    import archcalc
    from archcalc.pytorch.step_measurement import cuda_step_peak
    from archcalc.pytorch.torchvision_models import build_torchvision

    plan = archcalc.memory(name, batch=batch, optimizer="sgd-momentum", device="cuda")
    shape = tuple(plan.report.input.as_list())
    measured = cuda_step_peak(build_torchvision(name, device="cuda"), shape, batch, "sgd-momentum")
    assert 0.6 * measured <= plan.training_peak <= 1.02 * measured, (plan.training_peak, measured)


@needs_cuda
def test_optimizer_state_on_cuda_is_what_the_plan_says():
    import archcalc
    from archcalc.pytorch.step_measurement import state_after_one_step
    from archcalc.pytorch.torchvision_models import build_torchvision

    model = build_torchvision("resnet18", device="cuda")
    held = state_after_one_step(model, "adam", torch.zeros((2, 3, 64, 64), device="cuda"))
    plan = archcalc.memory("resnet18", input="3x64x64", batch=2, optimizer="adam")
    assert (held.weights, held.gradients, held.state) == (plan.weights, plan.gradients, plan.optimizer_state)
