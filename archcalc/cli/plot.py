"""archcalc plot KIND MODEL... --out FILE: the comparison's charts as PNG or SVG (matplotlib, Agg)."""

from __future__ import annotations

from enum import Enum
from typing import List, Optional

import typer
from typing import Annotated

from .base import app, fail, numeric_input, reporting_errors
from .options import MODEL_HELP, NumericInputOpt


class PlotKind(str, Enum):
    accuracy = "accuracy"  # top-1 against GMACs, bubble = params
    memory = "memory"  # per-layer activation vs parameter memory, one model
    macs = "macs"  # MACs by layer kind, stacked per model
    memory_timeline = "memory-timeline"  # memory alive along one training step, one model


@app.command(short_help="Charts: accuracy against MACs, memory per layer, MACs by kind, a training step's memory.")
def plot(
    kind: Annotated[PlotKind, typer.Argument(
        help="accuracy: top-1 against GMACs, bubble area = parameters; memory: per-layer activation and "
             "parameter memory of ONE model; macs: MACs by layer kind, stacked, per model; memory-timeline: "
             "memory alive along one training step of ONE model, the peak marked.")],
    models: Annotated[List[str], typer.Argument(help=f"Models, each {MODEL_HELP}; e.g. alexnet vgg16 googlenet.")],
    out: Annotated[str, typer.Option("--out", "-o", help="Output file, .png or .svg.")],
    input: NumericInputOpt = None,
    accuracy: Annotated[Optional[List[str]], typer.Option(
        "--accuracy", help="accuracy plot: NAME=TOP1 gives a model's top-1 in percent, e.g. resnet50=76.1 or "
                           "my_net.yaml=71.3 (NAME as given, or the model's name); repeatable; replaces a "
                           "published figure.")] = None,
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
        given = parse_accuracy(accuracy or [])
        if given and kind != PlotKind.accuracy:
            fail(f"--accuracy is for the accuracy plot, not {kind.value}")
        if kind == PlotKind.accuracy:
            fig = plots.accuracy_vs_macs(with_accuracy(models, [model_row(m, input) for m in models], given))
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


def parse_accuracy(items: list) -> dict:
    """{NAME: top-1 in percent} of the --accuracy NAME=VALUE options; a malformed one exits 2 with one line."""
    given = {}
    for item in items:
        name, sep, value = item.rpartition("=")  # the last '=': a PyTorch model's name may hold '?key=value'
        try:
            top1 = float(value)
        except ValueError:
            top1 = None
        if not sep or not name or top1 is None or not 0 < top1 <= 100:
            fail(f"--accuracy {item}: give NAME=TOP1 with TOP1 a percentage in (0, 100], e.g. resnet50=76.1")
        given[name] = top1
    return given


def with_accuracy(models: list, rows: list, given: dict) -> list:
    """The rows with the given top-1s (top1_source '--accuracy'); a NAME matching no plotted model exits 2."""
    from ..output.plots import GIVEN

    for name, top1 in given.items():
        hits = [r for m, r in zip(models, rows) if name in (m, r["model"])]
        if not hits:
            fail(f"--accuracy {name}=...: '{name}' is not one of the plotted models "
                 f"({', '.join(dict.fromkeys(r['model'] for r in rows))})")
        for r in hits:
            r.update(top1=top1, top1_source=GIVEN)
    return rows
