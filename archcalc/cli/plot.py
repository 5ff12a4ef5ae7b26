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


@app.command(short_help="Charts: accuracy against MACs, memory and parameters, MACs by kind.")
def plot(
    kind: Annotated[PlotKind, typer.Argument(
        help="accuracy: top-1 against GMACs, bubble area = parameters; memory: per-layer activation and "
             "parameter memory of ONE model; macs: MACs by layer kind, stacked, per model.")],
    models: Annotated[List[str], typer.Argument(help=f"Models, each {MODEL_HELP}; e.g. alexnet vgg16 googlenet.")],
    out: Annotated[str, typer.Option("--out", "-o", help="Output file, .png or .svg.")],
    input: InputOpt = None,
    depth: Annotated[Optional[int], typer.Option(
        "--depth", "-d", help="memory plot: fold layers into blocks at this name depth (default: automatic).")] = None,
) -> None:
    """Draw a chart of the comparison and write it to --out (PNG or SVG)."""
    import matplotlib

    matplotlib.use("Agg")
    from ..sources import analyze, resolve
    from ..output import plots
    from ..analyses.comparison import model_row

    with reporting_errors():
        numeric_input(input, "plot")
        if kind == PlotKind.accuracy:
            fig = plots.accuracy_vs_macs([model_row(m, input) for m in models])
        elif kind == PlotKind.memory:
            if len(models) != 1:
                fail(f"the memory plot shows one model, got {len(models)}")
            fig = plots.memory_vs_params(analyze(models[0], input=input), depth)
        else:
            fig = plots.macs_by_kind([analyze(m, input=input) for m in models], [resolve(m, input) for m in models])
        plots.save_figure(fig, out)
    typer.echo(f"wrote {out}")
