"""The largest batch that fits a memory budget, found analytically, and budgets read from text.

Every moment of a training step (analyses/step_timeline.py) holds bytes of the form fixed + per_sample x B
for any batch B >= 2: each tensor's size is its elements x bytes x B, and what does not grow with B
(parameter gradients, batch-norm statistics, weights, optimizer state) is fixed. (At B = 1 a few ops keep
a view instead of a copy, so batch 1 is computed on its own.) The moments at B = 2 and B = 3 give both terms
of each; the training step fits at B when every moment does, so the largest batch is the smallest
floor((budget - fixed) / per_sample) over the moments. Inference is the same with the inference peak, which
is per_sample x B exactly, over weights and buffers. No torch here.
"""

from __future__ import annotations

import re
from decimal import Decimal
from dataclasses import dataclass
from typing import Optional

from ..conventions import MB
from ..errors import InputError
from ..limits import MAX_SIZE

UNITS = {"B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
         "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}


def parse_budget(text: str) -> int:
    """Bytes of a budget written with its unit: 24GB (10^9 bytes), 24GiB (2^30), 512MB, 1.5TB."""
    shown = " ".join(str(text).split())  # one line, whatever whitespace it came with
    match = re.fullmatch(r"\s*([0-9]{0,30}\.?[0-9]{1,30}(?:[eE][-+]?[0-9]{1,3})?)\s*([A-Za-z]*)\s*", str(text))
    if not match:
        raise InputError(f"--budget {shown!r}: not a size; write a number and a unit, e.g. 24GB or 80GiB")
    number, unit = Decimal(match.group(1)), match.group(2).upper()
    if not unit:
        raise InputError(f"--budget {shown}: give a unit, e.g. {match.group(1)}GB (10^9 bytes) or "
                         f"{match.group(1)}GiB (2^30 bytes)")
    if unit not in UNITS:
        hint = f"; did you mean {unit}B or {unit[0]}iB?" if unit in ("K", "M", "G", "T") else ""
        raise InputError(f"--budget {shown}: unknown unit '{match.group(2)}' (B, KB, MB, GB, TB, KiB, MiB, GiB, "
                         f"TiB){hint}")
    if number <= 0:
        raise InputError(f"--budget {shown}: must be more than 0")
    nbytes = int(number * UNITS[unit])
    if not 1 <= nbytes <= MAX_SIZE:
        raise InputError(f"--budget {shown}: {'less than one byte' if nbytes < 1 else 'more than 10^18 bytes'}")
    return nbytes


@dataclass(frozen=True)
class Line:
    """bytes = fixed + per_sample x batch, for the batches it holds at (2 and more), and where it binds."""

    fixed: int
    per_sample: int
    where: str  # the moment that binds: "backward of layer4.2.conv3", "inference peak at ..."

    def at(self, batch: int) -> int:
        return self.fixed + self.per_sample * batch


@dataclass(frozen=True)
class Fit:
    """The largest batch that fits (0: not even one sample), and the line that sets it."""

    batch: int
    line: Optional[Line]


def largest_batch(lines: list, budget: int, batch_one: int) -> Fit:
    """The largest B with line.at(B) <= budget for every line (valid for B >= 2); `batch_one` is the
    figure at B = 1, computed directly. Lines that do not grow bind only when they alone exceed the budget."""
    if batch_one > budget:
        return Fit(0, None)
    best, binding = None, None
    for line in lines:
        if line.per_sample <= 0:
            if line.fixed > budget:
                return Fit(1, line)
            continue
        most = (budget - line.fixed) // line.per_sample
        if best is None or most < best:
            best, binding = most, line
    if best is None:  # nothing grows with the batch: any batch fits
        raise InputError("no figure grows with the batch: the budget sets no largest batch")
    return Fit(max(1, best), binding)


def step_lines(plan_two, plan_three) -> list:
    """One Line per moment of the training step, from the MemoryPlans at batch 2 and 3 (same graph)."""
    lines = []
    for m2, m3 in zip(plan_two.moments, plan_three.moments):
        per = (plan_three.resident + m3.total) - (plan_two.resident + m2.total)
        fixed = plan_two.resident + m2.total - 2 * per
        lines.append(Line(int(fixed), int(per), _where(m2)))
    return lines


def inference_line(plan) -> Line:
    """Inference: weights, buffers and the half copy, fixed; the peak of activations, per sample."""
    per = plan.inference.peak_bytes // plan.report.batch
    return Line(int(plan.inference_total - plan.inference.peak_bytes), int(per),
                f"inference peak at {plan.inference.at_layer}")


def _where(moment) -> str:
    if moment.phase == "update":
        return "the optimizer's update"
    return f"{moment.phase} of {moment.layer}"


@dataclass(frozen=True)
class BudgetAnswer:
    """The largest training and inference batches within `budget` bytes, each with its line, and the figures
    computed directly at that batch and the next (the answer's proof)."""

    budget: int
    training: Fit
    inference: Fit
    training_bytes: tuple  # (at training.batch, at training.batch + 1); batch 0: (at 1, at 1)
    inference_bytes: tuple


def fit_budget(graph, input, setting, budget: int) -> BudgetAnswer:
    """The BudgetAnswer of `graph` at `input` under `setting` (a step_memory.Setting)."""
    from .step_memory import memory_plan

    one = memory_plan(graph, input, 1, setting)
    if one.weights + one.buffers > budget:
        raise InputError(f"even batch 1 does not fit in {_text(budget)}: the weights alone take "
                         f"{_text(one.weights + one.buffers)}")
    lines = step_lines(memory_plan(graph, input, 2, setting), memory_plan(graph, input, 3, setting))
    training = largest_batch(lines, budget, one.training_peak)
    inference = largest_batch([inference_line(one)], budget, one.inference_total)

    def around(fit, figure) -> tuple:
        at = max(fit.batch, 1)
        return (figure(memory_plan(graph, input, at, setting)), figure(memory_plan(graph, input, at + 1, setting)))

    return BudgetAnswer(budget, training, inference, around(training, lambda p: p.training_peak),
                        around(inference, lambda p: p.inference_total))


def _text(nbytes: int) -> str:
    """Bytes for an error message: MB (conventions: 10^6 bytes), or bytes when under 0.1 MB."""
    return f"{nbytes / MB:,.1f} MB" if nbytes >= MB // 10 else f"{nbytes:,} B"
