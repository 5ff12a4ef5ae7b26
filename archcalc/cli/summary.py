"""archcalc summary MODEL: per-layer shapes, arithmetic, parameters, MACs, memory and receptive field."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from .base import app, fail, reporting_errors
from .options import (MODEL_HELP, BatchOpt, DtypeOpt, Format, InputOpt, JsonOpt, KwargsOpt, WideOpt, format_option,
                      offer, with_kwargs)

# every format there is (a new one appears here with its writer), but compare's bare pandas table
SUMMARY_FORMATS = tuple(f for f in Format if f is not Format.html_table)
SummaryFormat = offer("SummaryFormat", *SUMMARY_FORMATS)


@app.command(short_help="Per layer: shape and its arithmetic, parameters, MACs, memory, field.")
def summary(
    model: Annotated[str, typer.Argument(help=f"The model: {MODEL_HELP}. E.g. vgg16, my_net.yaml, "
                                              "torchvision:resnet50, timm:vit_tiny_patch16_224, mynet.py:Net.")],
    input: InputOpt = None,
    kwargs: KwargsOpt = None,
    batch: BatchOpt = 1,
    dtype: DtypeOpt = "float32",
    json: JsonOpt = False,
    format: Annotated[SummaryFormat, format_option(SUMMARY_FORMATS)] = SummaryFormat.table,
    depth: Annotated[Optional[int], typer.Option(
        "--depth", "-d", help="Fold layers into blocks at this depth of their dotted names (1: top level).")] = None,
    columns: Annotated[Optional[str], typer.Option(
        "--columns", "-c", help="Comma-separated column keys, in order: layer, kind, output, kernel (k3 s2 d2 g32: "
                                "kernel, stride, dilation, groups), params, macs, flops, other_ops, "
                                "activation_bytes, rf, arithmetic. Default: all but flops and other_ops.")] = None,
    wide: WideOpt = False,
) -> None:
    """Analyse one model layer by layer, analytically (no weights, no forward pass)."""
    from ..core.engine import propagate
    from ..output.summary import column_keys, summary_table
    from ..output.tables import emit
    from ..sources import resolve

    if batch < 1:
        fail(f"--batch {batch}: must be a positive integer")
    if depth is not None and depth < 1:
        fail(f"--depth {depth}: must be 1 or more")
    with reporting_errors():
        keys = column_keys(columns)
        model = with_kwargs(model, kwargs)
        graph = resolve(model, input)
        report = propagate(graph, input, batch, dtype)
    emit(Format.json if json else format,
         summary_table(report, depth, lambda: _training(graph, report), graph=graph, keys=keys), wide)


def _training(graph, report) -> list:
    """The expected training cost of a network that drops paths at random (stochastic depth, FractalNet)."""
    if not graph.extras.get("drop_path"):
        return []
    from ..analyses.drop_path import expected_cost
    from ..output.numbers import si

    cost = expected_cost(graph, report.input)
    # at a symbolic input the ratio is a quotient of formulas: the expected MACs say it better alone
    ratio = f" ({cost.macs_ratio:.3f}x test time)" if isinstance(cost.macs_ratio, (int, float)) else ""
    return [f"[bold]training (expected)[/]: {si(cost.expected_macs)} MACs at batch 1{ratio}, "
            f"depth {cost.expected_depth:.2f}; {cost.scheme}"]
