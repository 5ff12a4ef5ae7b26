"""archcalc plot KIND MODEL... --out FILE: the comparison's charts as PNG or SVG (matplotlib, Agg)."""

from __future__ import annotations

from enum import Enum
from typing import List, Optional

import typer
from typing import Annotated

from .base import app, fail, numeric_input, reporting_errors
from .options import MODEL_HELP, InputOpt


class PlotKind(str, Enum):
    accuracy = "accuracy"  # top-1 against GMACs, bubble = params
    memory = "memory"  # per-layer activation vs parameter memory, one model
    macs = "macs"  # MACs by layer kind, stacked per model
    memory_timeline = "memory-timeline"  # memory alive along one training step, one model


@app.command(short_help="Charts: accuracy against MACs, memory and parameters, MACs by kind.")
def plot(
    kind: Annotated[PlotKind, typer.Argument(
        help="accuracy: top-1 against GMACs, bubble area = parameters; memory: per-layer activation and "
             "parameter memory of ONE model; macs: MACs by layer kind, stacked, per model; memory-timeline: "
             "memory alive along one training step of ONE model, the peak marked.")],
    models: Annotated[List[str], typer.Argument(help=f"Models, each {MODEL_HELP}; e.g. alexnet vgg16 googlenet.")],
    out: Annotated[str, typer.Option("--out", "-o", help="Output file, .png or .svg.")],
    input: InputOpt = None,
    depth: Annotated[Optional[int], typer.Option(
        "--depth", "-d", help="memory plot: fold layers into blocks at this name depth (default: automatic).")] = None,
    batch: Annotated[int, typer.Option("--batch", "-b", help="memory-timeline: batch size.")] = 1,
    optimizer: Annotated[str, typer.Option(
        "--optimizer", help="memory-timeline: sgd, sgd-momentum, adam or adamw (its state).")] = "sgd-momentum",
    budget: Annotated[Optional[str], typer.Option(
        "--budget", help="memory-timeline: draw this budget as a line, e.g. 24GB.")] = None,
) -> None:
    """Draw a chart of the comparison and write it to --out (PNG or SVG)."""
    import matplotlib

    matplotlib.use("Agg")
    from ..sources import analyze, resolve
    from ..output import plots
    from ..analyses.comparison import model_row

    with reporting_errors():
        numeric_input(input, "plot")
        if batch < 1:
            fail(f"--batch {batch}: must be a positive integer")
        if kind in (PlotKind.memory, PlotKind.memory_timeline) and len(models) != 1:
            fail(f"the {kind.value} plot shows one model, got {len(models)}")
        if kind == PlotKind.accuracy:
            fig = plots.accuracy_vs_macs([model_row(m, input) for m in models])
        elif kind == PlotKind.memory_timeline:
            fig = _timeline(models[0], input, batch, optimizer, budget)
        elif kind == PlotKind.memory:
            fig = plots.memory_vs_params(analyze(models[0], input=input), depth)
        else:
            fig = plots.macs_by_kind([analyze(m, input=input) for m in models], [resolve(m, input) for m in models])
        plots.save_figure(fig, out)
    typer.echo(f"wrote {out}")


def _timeline(model: str, input, batch: int, optimizer: str, budget):
    from ..analyses.memory_budget import parse_budget
    from ..analyses.step_memory import Setting, memory_plan
    from ..output.timeline_plot import memory_timeline
    from ..sources import resolve

    setting = Setting(optimizer=optimizer)
    limit = parse_budget(budget) if budget is not None else None
    return memory_timeline(memory_plan(resolve(model, input), input, batch, setting), limit)
