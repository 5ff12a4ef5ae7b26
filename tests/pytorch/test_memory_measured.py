"""The memory plan (analyses/step_memory.py) against what torch does on the CPU with the real model.

1. Saved for backward: plan.saved.total_bytes against torch.autograd.graph.saved_tensors_hooks (one model of
   every zoo family, built by archcalc.pytorch.build, and torchvision/timm models read by the importer).
2. Weights, gradients and optimizer state: against the parameters, their .grad and every tensor in
   torch.optim's state after one real step, for each optimizer the plan knows.
3. Backward MACs: 2 x plan.backward.total against torch.utils.flop_counter.FlopCounterMode around
   loss.backward() alone.
4. The training peak: against the CPU allocations torch.profiler records during a second training step.

Batch 2, small inputs, setting device="cpu" (a CPU dropout mask is float, not bool).
"""

from __future__ import annotations

import math

import pytest
import torch
from torch.nn.attention import SDPBackend, sdpa_kernel
from torch.profiler import ProfilerActivity, profile
from torch.utils.flop_counter import FlopCounterMode

import archcalc
from archcalc.analyses.step_memory import OPTIMIZERS, Setting, memory_plan
from archcalc.pytorch.build import build_module
from archcalc.pytorch.measured_memory import saved_tensor_bytes
from archcalc.pytorch.step_measurement import make_optimizer
from archcalc.sources import zoo

pytestmark = pytest.mark.torch

BATCH = 2
SMALL = (3, 64, 64)

# the cheapest entry of each zoo family, at a smaller input where the entry accepts one (None: its default)
FAMILIES = {
    "LeNet": ("lenet5", None),
    "AlexNet": ("alexnet", SMALL),
    "ZFNet": ("zfnet", SMALL),  # fc6 is sized from the flattened map, so any size that survives the pools
    "VGG": ("vgg11_bn", (3, 32, 32)),
    "GoogLeNet": ("inception-bottleneck", (256, 8, 8)),
    "ResNet": ("residual-basic", (64, 8, 8)),
    "NiN": ("mlpconv", (96, 9, 9)),
    "Pre-act ResNet": ("preact-resnet-110", None),
    "Wide ResNet": ("wrn-16-8", (3, 16, 16)),
    "ResNeXt": ("resnext-block", (256, 8, 8)),
    "Stochastic depth": ("stochastic-depth-110", None),
    "FractalNet": ("fractal-block", (64, 8, 8)),
    "DenseNet": ("dense-block", (64, 8, 8)),
    "SqueezeNet": ("fire", (96, 9, 9)),
}


def _torchvision(name, **kwargs):
    from archcalc.sources.torchvision_import import models

    return getattr(models(), name)(**kwargs)


def _timm(name, **kwargs):
    from archcalc.sources.torchvision_import import import_torchvision

    import_torchvision()  # timm imports torchvision: archcalc's workaround first
    import timm

    return timm.create_model(name, pretrained=False, **kwargs)


def _frozen_stem_resnet18():
    """torchvision's resnet18 with conv1 and bn1 frozen: fewer gradients, no data gradient into layer1."""
    model = _torchvision("resnet18")
    for p in list(model.conv1.parameters()) + list(model.bn1.parameters()):
        p.requires_grad_(False)
    return model


TORCH_MODELS = {
    "torchvision:resnet18": lambda: _torchvision("resnet18"),
    "torchvision:mobilenet_v3_small": lambda: _torchvision("mobilenet_v3_small"),
    "torchvision:squeezenet1_1": lambda: _torchvision("squeezenet1_1"),
    "torchvision:efficientnet_b0": lambda: _torchvision("efficientnet_b0"),
    "torchvision:shufflenet_v2_x0_5": lambda: _torchvision("shufflenet_v2_x0_5"),
    "torchvision:swin_t": lambda: _torchvision("swin_t"),
    "timm:vit_tiny_patch16_224?img_size=64": lambda: _timm("vit_tiny_patch16_224", img_size=64),
    "timm:convnext_atto": lambda: _timm("convnext_atto"),
}
FROZEN = "resnet18, frozen stem"


def _factory(name):
    return _frozen_stem_resnet18 if name == FROZEN else TORCH_MODELS[name]


def _model(name, shape=None, optimizer="sgd-momentum"):
    """(real CPU module, its MemoryPlan at batch 2, input shape): a TORCH_MODELS key (at SMALL) or a zoo name."""
    setting = Setting(optimizer=optimizer, device="cpu")
    if name in TORCH_MODELS or name == FROZEN:
        module = _factory(name)()
        graph = archcalc.resolve(module, input=SMALL)
        return module, memory_plan(graph, SMALL, BATCH, setting), SMALL
    graph = archcalc.resolve(name)
    shape = shape or graph.default_input
    module = build_module(graph, device="cpu", input=shape, init=False)  # zeros: sizes and counts only
    return module, memory_plan(graph, shape, BATCH, setting), shape


def _nbytes(tensors) -> int:
    return sum(t.numel() * t.element_size() for t in tensors)


def _output(module, shape):
    out = module(torch.randn(BATCH, *shape))
    return out.logits if hasattr(out, "logits") else out


def test_every_zoo_family_has_a_case():
    """A family added to the zoo gets a saved-for-backward case here too."""
    assert set(FAMILIES) == {entry.family for entry in zoo.entries()}


@pytest.mark.parametrize("name, shape", FAMILIES.values(), ids=list(FAMILIES))
def test_saved_equals_saved_tensors_hooks_per_family(name, shape):
    """plan.saved is every storage autograd keeps, as saved_tensors_hooks sees it on the built module."""
    module, plan, shape = _model(name, shape)
    assert plan.saved.total_bytes == saved_tensor_bytes(module, shape, BATCH).activation_bytes


@pytest.mark.parametrize("name", list(TORCH_MODELS))
def test_saved_equals_saved_tensors_hooks_imported(name):
    """The same on torchvision and timm modules themselves (SiLU, SE blocks, layer norms, attention,
    channel shuffles, shifted windows), read by the fx importer."""
    module, plan, shape = _model(name)
    assert plan.saved.total_bytes == saved_tensor_bytes(module, shape, BATCH).activation_bytes


def _saved_as_is(module, shape) -> int:
    """Bytes of the non-parameter storages autograd saves in one training forward, each once, with the
    parameters' requires_grad left as the model has them (saved_tensor_bytes turns every one on)."""
    params = {p.untyped_storage()._cdata for p in list(module.parameters()) + list(module.buffers())}
    seen, held = {}, []

    def pack(t):
        key = t.untyped_storage()._cdata
        held.append(t)  # alive to the end: no storage address is reused within the pass
        if key not in params:
            seen[key] = t.untyped_storage().nbytes()
        return t

    module.train()
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        _output(module, shape)
    return sum(seen.values())


def test_saved_with_a_frozen_stem():
    """Frozen conv1 and bn1: conv1 keeps nothing (its input and weight need no gradient), nor does bn1;
    the first recording op is layer1's conv, which keeps its input. The plan must follow requires_grad."""
    module, plan, shape = _model(FROZEN)
    assert plan.saved.total_bytes == _saved_as_is(module, shape)


def _one_step(module, shape, optimizer):
    """A real training step: forward, loss = sum of the output, backward, optimizer.step()."""
    module.train()
    optimizer.zero_grad(set_to_none=True)
    _output(module, shape).sum().backward()
    optimizer.step()


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
@pytest.mark.parametrize("name, shape", [("lenet5", None), ("residual-basic", (64, 8, 8)),
                                         ("squeezenet1_1", SMALL), (FROZEN, None)])
def test_weights_gradients_and_state_equal_torch_optim(name, shape, optimizer):
    """Bytes of the parameters, of the gradients one backward leaves, and of every tensor torch.optim keeps
    after one step; the state holds `copies` tensors per learning parameter, Adam's also a step counter."""
    module, plan, shape = _model(name, shape, optimizer)
    opt = make_optimizer(module, optimizer)  # the optimizer `--optimizer` names
    _one_step(module, shape, opt)
    learning = [p for p in module.parameters() if p.grad is not None]
    state = [t for per_param in opt.state.values() for t in per_param.values() if torch.is_tensor(t)]
    counters = len(learning) if optimizer.startswith("adam") else 0
    assert plan.weights == _nbytes(module.parameters())
    assert plan.gradients == _nbytes(p.grad for p in learning)
    assert len(learning) == sum(p.requires_grad for p in module.parameters())  # every trainable one learns
    assert len(state) == OPTIMIZERS[optimizer] * len(learning) + counters
    assert plan.optimizer_state == _nbytes(state)


@pytest.mark.parametrize("name, shape", [("residual-basic", (64, 8, 8)), ("torchvision:resnet18", None)])
def test_buffers_equal_the_module_buffers(name, shape):
    """plan.buffers: the bytes of every buffer, batch norm's int64 num_batches_tracked (8 bytes) included."""
    module, plan, _ = _model(name, shape)
    assert plan.buffers == _nbytes(module.buffers())


def _conv_backward_flops(grad_out, x, w, bias, stride, padding, dilation, transposed, output_padding, groups,
                         output_mask, out_shape=None, **kwargs):
    """FLOPs of aten.convolution_backward: 2 x the forward's multiplies per gradient asked for (input,
    weight). FlopCounterMode's own formula (torch 2.13) ignores `groups` in the weight gradient, counting a
    depthwise conv's as if dense; the weight's shape (C_out, C_in / groups, *k) already carries the groups."""
    spatial = (x if transposed else grad_out)[2:]  # a transposed conv multiplies per input position
    forward = 2 * x[0] * math.prod(spatial) * math.prod(w)
    return forward * (bool(output_mask[0]) + bool(output_mask[1]))


def test_conv_backward_formula_is_torchs_for_dense_convs():
    """The replacement formula agrees with FlopCounterMode's where that one is right (groups = 1), for a
    conv whose input needs a gradient and one whose input does not."""
    conv = torch.nn.Conv2d(6, 8, 3, stride=2)
    for needs in (True, False):
        counts = []
        for mapping in ({}, {torch.ops.aten.convolution_backward: _conv_backward_flops}):
            x = torch.randn(2, 6, 11, 11, requires_grad=needs)
            loss = conv(x).sum()
            with FlopCounterMode(display=False, custom_mapping=mapping) as counter:
                loss.backward()
            counts.append(counter.get_total_flops())
        assert counts[0] == counts[1] == 2 * 2 * 8 * 5 * 5 * 6 * 9 * (1 + needs)


def _measured_flops(module, shape) -> tuple:
    """(forward FLOPs, backward FLOPs) counted by FlopCounterMode in a training step. The math backend of
    scaled_dot_product_attention: FlopCounterMode has no formula for the CPU flash kernel (it counts 0)."""
    module.train()
    with sdpa_kernel(SDPBackend.MATH):
        with FlopCounterMode(display=False) as forward:
            out = _output(module, shape)
        loss = out.sum()
        mapping = {torch.ops.aten.convolution_backward: _conv_backward_flops}
        with FlopCounterMode(display=False, custom_mapping=mapping) as backward:
            loss.backward()
    return forward.get_total_flops(), backward.get_total_flops()


@pytest.mark.parametrize("name, shape", [
    ("lenet5", None), ("alexnet", SMALL), ("resnet18", SMALL), ("squeezenet1_1", SMALL), ("googlenet", SMALL),
    ("resnext-block", (256, 8, 8)), ("torchvision:mobilenet_v3_small", None), (FROZEN, None),
    ("timm:vit_tiny_patch16_224?img_size=64", None), ("timm:convnext_atto", None)])
def test_backward_macs_equal_flop_counter(name, shape):
    """FlopCounterMode around loss.backward() counts 2 FLOPs per MAC of plan.backward: data and weight
    gradients of convs, linears and matmuls (grouped, depthwise, attention's q k^T and a v, a frozen stem
    that needs no data gradient). Its forward count is 2 x the report's MACs (sanity)."""
    module, plan, shape = _model(name, shape)
    forward, backward = _measured_flops(module, shape)
    assert forward == 2 * plan.report.totals["macs"]
    assert backward == 2 * plan.backward.total


def _resident(module, optimizer) -> int:
    state = (t for per_param in optimizer.state.values() for t in per_param.values() if torch.is_tensor(t))
    return _nbytes(module.parameters()) + _nbytes(module.buffers()) + _nbytes(state)


def measured_training_peak(module, shape, optimizer) -> tuple:
    """(resident bytes, peak bytes above them) of a second training step on the CPU, from the allocations
    and frees torch.profiler records (in time order, the input's included). The first step makes the
    optimizer's state, so the second is the steady state the plan describes."""
    _one_step(module, shape, optimizer)
    optimizer.zero_grad(set_to_none=True)
    resident = _resident(module, optimizer)
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        _one_step(module, shape, optimizer)
    # the raw events: prof.events() folds the allocations made inside an op into that op's total
    events = [e for e in prof.profiler.kineto_results.events()
              if e.name() == "[memory]" and e.device_type() == torch._C._autograd.DeviceType.CPU]
    current = peak = 0
    for event in sorted(events, key=lambda e: e.start_ns()):
        current += event.nbytes()
        peak = max(peak, current)
    return resident, peak


# the share of the step's part (the peak above the resident bytes) that the CPU's op temporaries may add
STEP_TOLERANCE = 0.05


@pytest.mark.parametrize("name, shape, optimizer", [
    ("resnet18", SMALL, "sgd-momentum"), ("squeezenet1_1", SMALL, "sgd-momentum"), ("googlenet", SMALL, "sgd-momentum"),
    ("preact-resnet-110", None, "sgd-momentum"), ("densenet-bc-100-12", None, "sgd-momentum"),
    ("torchvision:mobilenet_v3_small", None, "sgd-momentum"),
    # Adam's peak is its update: the gradients and two temporaries of the largest parameter tensor
    ("resnet18", SMALL, "adam"), ("squeezenet1_1", SMALL, "adamw"), ("torchvision:mobilenet_v3_small", None, "adam")])
def test_training_peak_within_tolerance_of_cpu_allocations(name, shape, optimizer):
    """plan.training_peak against the resident bytes plus the profiler's peak of a second step (SGD with
    momentum). The CPU allocator shows every tensor torch allocates, temporaries inside an op included:
    convolution_backward's weight-sized and input-sized copies and im2col columns, layout reorders. The
    plan counts no op workspace (step_timeline.py), so it is a lower bound, and for models whose
    activations are large beside their convs' workspaces it is within STEP_TOLERANCE of the step's part.
    What the CPU figures cannot show: memory oneDNN (mkldnn) takes through its own scratchpad allocator, and
    the caching and rounding of a CUDA allocator (the CPU allocator frees at once)."""
    module, plan, shape = _model(name, shape, optimizer)
    resident, peak = measured_training_peak(module, shape, make_optimizer(module, optimizer))
    measured = resident + peak
    assert plan.training_peak <= measured <= plan.training_peak + STEP_TOLERANCE * plan.peak_moment.total


@pytest.mark.parametrize("name, shape, optimizer", [
    ("lenet5", None, "sgd-momentum"), ("residual-basic", (64, 8, 8), "sgd-momentum"),
    ("timm:vit_tiny_patch16_224?img_size=64", None, "sgd-momentum")])
def test_training_peak_is_a_lower_bound_where_temporaries_dominate(name, shape, optimizer):
    """Where an op's temporaries are large beside the activations the plan is only a lower bound: lenet5's
    c5 and residual-basic's convs (conv backward copies as large as the weights), ViT's 16 x 16 patch conv
    (im2col columns of about 5 MB at 64 x 64)."""
    module, plan, shape = _model(name, shape, optimizer)
    resident, peak = measured_training_peak(module, shape, make_optimizer(module, optimizer))
    assert plan.training_peak <= resident + peak
