"""archcalc summary MODEL: per-layer shapes, arithmetic, parameters, MACs, memory and receptive field."""

from __future__ import annotations

from typing import Optional

import typer
from typing import Annotated

from .base import app, fail, reporting_errors
from .options import BatchOpt, DtypeOpt, Format, FormatOpt, InputOpt, JsonOpt


@app.command(short_help="Per layer: shape and its arithmetic, parameters, MACs, memory, field.")
def summary(
    model: Annotated[str, typer.Argument(help="A zoo name (archcalc list), e.g. vgg16, alexnet-paper, or a spec file (.yaml, .yml, .toml, .json).")],
    input: InputOpt = None,
    batch: BatchOpt = 1,
    dtype: DtypeOpt = "float32",
    json: JsonOpt = False,
    format: FormatOpt = Format.table,
    depth: Annotated[Optional[int], typer.Option(
        "--depth", "-d", help="Fold layers into blocks at this depth of their dotted names (1: top level).")] = None,
) -> None:
    """Analyse one model layer by layer, analytically (no weights, no forward pass)."""
    from ..sources import resolve
    from ..core.engine import propagate
    from ..output.tables import console as make_console, COLUMNS, rich_table, summary_rows, to_csv, to_markdown, totals_lines

    if batch < 1:
        fail(f"--batch {batch}: must be a positive integer")
    if depth is not None and depth < 1:
        fail(f"--depth {depth}: must be 1 or more")
    with reporting_errors():
        graph = resolve(model)
        report = propagate(graph, input, batch, dtype)
    if json or format == Format.json:
        typer.echo(report.to_json())
        return
    rows = summary_rows(report, depth)
    if format == Format.markdown:
        typer.echo(to_markdown(COLUMNS, rows), nl=False)
        return
    if format == Format.csv:
        typer.echo(to_csv(COLUMNS, rows), nl=False)
        return
    console = make_console()
    title = f"{report.model} at {report.input} (batch {report.batch}, {report.dtype})"
    console.print(rich_table(title, COLUMNS, rows, right=("params", "MACs", "act. MB", "RF")))
    for label, value in totals_lines(report):
        console.print(f"[bold]{label}[/]: {value}", highlight=False)
    if report.source:
        console.print(f"[bold]source[/]: {report.source}", highlight=False)
    for note in report.notes:
        console.print(f"[bold]note[/]: {note}", highlight=False)
    if graph.extras.get("drop_path"):
        from ..analyses.drop_path import expected_cost
        from ..output.tables import si

        with reporting_errors():
            cost = expected_cost(graph, report.input)
        console.print(f"[bold]training (expected)[/]: {si(cost.expected_macs)} MACs at batch 1 "
                      f"({cost.macs_ratio:.3f}x test time), depth {cost.expected_depth:.2f}; {cost.scheme}",
                      highlight=False)
    for d in report.diagnostics:
        style = "yellow" if d["level"] == "warning" else "dim"
        console.print(f"[{style}]{d['level']}[/] {d['layer']}: {d['message']}", highlight=False)
