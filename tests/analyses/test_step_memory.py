"""The memory of a training step, term by term (analyses/step_memory.py, step_timeline.py, backward_compute.py,
memory_budget.py), on a network small enough to write every figure as arithmetic.

The network: input 3x8x8 -> conv 4 filters 3x3 (4x6x6) -> ReLU -> flatten (a view) -> linear 144 -> 10, float32,
batch 2. Parameters: conv 4*3*3*3 + 4 = 112, linear 144*10 + 10 = 1,450; 1,562 in all, in 4 tensors.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archcalc import Net
from archcalc.analyses.memory_budget import fit_budget, parse_budget
from archcalc.analyses.step_memory import Setting, memory_plan
from archcalc.errors import InputError

F32, B = 4, 2
PARAMS = (4 * 3 * 3 * 3 + 4) + (144 * 10 + 10)
INPUT, CONV_OUT, LOGITS = 3 * 8 * 8, 4 * 6 * 6, 10  # elements of one sample


def _graph():
    net = Net("tiny", input=(3, 8, 8))
    net.linear(net.flatten(net.relu(net.conv(net.input, 4, 3))), 10)
    return net.graph()


def _plan(optimizer="sgd-momentum", batch=B, **kw):
    return memory_plan(_graph(), None, batch, Setting(optimizer=optimizer, **kw))


def test_weights_gradients_and_each_optimizers_state():
    assert _plan("sgd").weights == PARAMS * F32
    assert _plan("sgd").gradients == PARAMS * F32
    assert _plan("sgd").optimizer_state == 0
    assert _plan("sgd-momentum").optimizer_state == PARAMS * F32  # one momentum buffer
    # exp_avg and exp_avg_sq, and a float32 step counter for each of the 4 parameter tensors
    assert _plan("adam").optimizer_state == 2 * PARAMS * F32 + 4 * 4
    assert _plan("adamw").optimizer_state == _plan("adam").optimizer_state


def test_saved_for_backward_and_the_inference_peak():
    plan = _plan()
    # the conv keeps the input; the ReLU its output, which the linear keeps too (through the flatten view)
    assert plan.saved.total_bytes == (INPUT + CONV_OUT) * B * F32
    # inference: the input and the conv's output while the conv runs (the input is freed after it: at the
    # ReLU only two conv-sized tensors are alive, fewer bytes)
    assert (plan.inference.peak_bytes, plan.inference.at_layer) == ((INPUT + CONV_OUT) * B * F32, "conv1")
    assert plan.inference_total == PARAMS * F32 + plan.inference.peak_bytes


def test_the_peak_is_in_the_relus_backward():
    plan = _plan()
    m = plan.peak_moment
    assert (m.phase, m.layer) == ("backward", "relu1")
    # alive: the input and the ReLU's output (both kept); in flight: the gradient of the ReLU's output and the
    # one it makes for the conv's output; parameter gradients so far: the linear layer's only
    assert m.activations == (INPUT + CONV_OUT) * B * F32
    assert m.gradients == 2 * CONV_OUT * B * F32 + (144 * 10 + 10) * F32
    assert plan.training_peak == PARAMS * F32 + PARAMS * F32 + m.activations + m.gradients  # + weights + momentum


def test_the_update_holds_every_parameter_gradient_and_nothing_else():
    last = _plan().moments[-1]
    assert (last.phase, last.activations, last.gradients) == ("update", 0, PARAMS * F32)


def test_backward_macs_skip_the_first_layers_data_gradient():
    back = _plan().backward
    conv, linear = CONV_OUT * 27 * B, 144 * 10 * B  # forward MACs of the batch
    assert back.weight == {"conv1": conv, "linear1": linear}
    assert back.data == {"linear1": linear}  # the input needs no gradient: the conv computes none for it
    assert back.total == conv + 2 * linear


def test_mixed_precision_halves_activations_and_keeps_float32_weights():
    plan = _plan(amp=True, dtype="float16")
    assert plan.weights == PARAMS * F32 and plan.gradients == PARAMS * F32
    assert plan.half_weights == PARAMS * 2  # both layers multiply: autocast casts their weights and biases
    assert plan.saved.total_bytes == (INPUT + CONV_OUT) * B * 2


def test_largest_batch_from_the_two_terms():
    budget = 10**6
    answer = fit_budget(_graph(), None, Setting(optimizer="sgd-momentum"), budget)
    # the ReLU's backward binds: per sample input + ReLU output kept, two gradients of the conv's size in
    # flight; fixed: weights, momentum, the linear layer's gradients
    per_sample = (INPUT + CONV_OUT + 2 * CONV_OUT) * F32
    fixed = 2 * PARAMS * F32 + (144 * 10 + 10) * F32
    assert answer.training.batch == (budget - fixed) // per_sample
    assert (answer.training.line.fixed, answer.training.line.per_sample) == (fixed, per_sample)
    setting = Setting(optimizer="sgd-momentum")
    at = answer.training.batch
    assert memory_plan(_graph(), None, at, setting).training_peak <= budget
    assert memory_plan(_graph(), None, at + 1, setting).training_peak > budget
    # inference: weights, then the input and the conv's output per sample
    assert answer.inference.batch == (budget - PARAMS * F32) // ((INPUT + CONV_OUT) * F32)


def test_a_budget_below_the_weights_fits_nothing():
    with pytest.raises(InputError, match="even batch 1 does not fit in .*: the weights alone take"):
        fit_budget(_graph(), None, Setting(), PARAMS * F32 - 1)


@pytest.mark.parametrize("text, expected", [("24GB", 24 * 10**9), ("80GiB", 80 * 2**30), ("512 MB", 512 * 10**6),
                                            ("1.5TB", 1.5 * 10**12), ("100kb", 100 * 10**3)])
def test_budgets_are_read_with_their_unit(text, expected):
    assert parse_budget(text) == expected


@pytest.mark.parametrize("text, message", [("24", "give a unit"), ("24G", "did you mean GB or GiB"),
                                           ("0GB", "more than 0"), ("lots", "not a size"), ("3 parsecs", "unknown unit")])
def test_bad_budgets_say_what_is_wrong(text, message):
    with pytest.raises(InputError, match=message):
        parse_budget(text)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_any_budget_text_is_a_size_or_one_clear_error(text):
    try:
        nbytes = parse_budget(text)
    except InputError as err:
        assert "\n" not in str(err) and str(err).startswith("--budget")
    else:
        assert isinstance(nbytes, int) and 1 <= nbytes <= 10**18


def test_unknown_optimizer_and_amp_in_float32_are_refused():
    with pytest.raises(InputError, match="optimizer 'rmsprop' is not one of sgd, sgd-momentum, adam, adamw"):
        Setting(optimizer="rmsprop")
    with pytest.raises(InputError, match="--amp runs activations in float16 or bfloat16"):
        Setting(amp=True, dtype="float32")
