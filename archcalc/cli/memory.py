"""archcalc memory MODEL: will it fit? Inference and training memory term by term, and the largest batch."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Optional

import typer

from .base import app, fail, numeric_input, reporting_errors
from .options import MODEL_HELP, BatchOpt, FormatOpt, InputOpt, JsonOpt, KwargsOpt, TableFormat, WideOpt, with_kwargs


class Optimizer(str, Enum):
    sgd = "sgd"
    sgd_momentum = "sgd-momentum"
    adam = "adam"
    adamw = "adamw"


class Sort(str, Enum):
    saved = "saved"
    output = "output"
    gradients = "gradients"
    backward = "backward"


class Device(str, Enum):
    cuda = "cuda"
    cpu = "cpu"


@app.command(short_help="Will it fit: inference and training memory, backward MACs, the largest batch.")
def memory(
    model: Annotated[str, typer.Argument(help=f"The model: {MODEL_HELP}.")],
    input: InputOpt = None,
    kwargs: KwargsOpt = None,
    batch: BatchOpt = 1,
    dtype: Annotated[Optional[str], typer.Option(
        "--dtype", help="float32, float16, bfloat16 or float64 (default float32; float16 with --amp).")] = None,
    amp: Annotated[bool, typer.Option(
        "--amp", help="Mixed precision as torch.autocast: half activations, float32 weights, gradients, state.")] = False,
    optimizer: Annotated[Optimizer, typer.Option(
        "--optimizer", help="Optimizer state: sgd (none), sgd-momentum (1 copy), adam or adamw (2 copies).")]
        = Optimizer.sgd_momentum,
    budget: Annotated[Optional[str], typer.Option(
        "--budget", help="Memory to fit, with its unit: 24GB (10^9 bytes), 80GiB (2^30 bytes); gives the largest "
                         "batch.")] = None,
    device: Annotated[Device, typer.Option(
        "--device", help="Where it runs: cuda or cpu (dropout keeps a bool mask on CUDA, a float one on CPU).")]
        = Device.cuda,
    layers: Annotated[bool, typer.Option("--layers", help="Show the per-layer table.")] = False,
    sort: Annotated[Optional[Sort], typer.Option(
        "--sort", help="Per-layer table, biggest first by: saved, output, gradients or backward (MACs).")] = None,
    top: Annotated[Optional[int], typer.Option("--top", help="Per-layer table: only the first N rows.")] = None,
    json: JsonOpt = False,
    format: FormatOpt = TableFormat.table,
    wide: WideOpt = False,
) -> None:
    """How much memory inference and one training step take at --batch, term by term (weights, gradients,
    optimizer state, what autograd saves, the peak), the backward pass's MACs, and with --budget the largest
    batch that fits. Analytic: no weights, no forward pass."""
    from ..analyses.memory_budget import fit_budget, parse_budget
    from ..analyses.step_memory import Setting, memory_plan
    from ..output.memory import memory_table
    from ..output.tables import Format, emit
    from ..sources import resolve

    if batch < 1:
        fail(f"--batch {batch}: must be a positive integer")
    if top is not None and top < 1:
        fail(f"--top {top}: must be 1 or more")
    with reporting_errors():
        setting = Setting(dtype or ("float16" if amp else "float32"), amp, optimizer.value, device.value)
        limit = parse_budget(budget) if budget is not None else None
        numeric_input(input, "memory")
        graph = resolve(with_kwargs(model, kwargs), input)
        plan = memory_plan(graph, input, batch, setting)
        answer = fit_budget(graph, input, setting, limit) if limit is not None else None
    emit(Format.json if json else format, memory_table(plan, answer, layers, sort and sort.value, top), wide)
