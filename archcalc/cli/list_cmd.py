"""archcalc list: the zoo, with sources, default inputs, parameters and MACs."""

from __future__ import annotations

import json as jsonlib

import typer

from .base import app, reporting_errors
from .options import Format, FormatOpt, JsonOpt

HEADER = ("name", "family", "input", "params", "MACs", "depth", "source")


@app.command("list", short_help="The zoo: every entry with its source and default input.")
def list_models(json: JsonOpt = False, format: FormatOpt = Format.table) -> None:
    """List the zoo: every entry with its source and default input, and its figures at that input."""
    from ..sources import zoo
    from ..core.engine import propagate
    from ..output.tables import console as make_console, exact, rich_table, si, to_csv, to_markdown

    records = []
    with reporting_errors():
        for entry in zoo.entries():
            report = propagate(entry.graph())
            records.append({"name": entry.name, "family": entry.family, "description": entry.description,
                            "input": list(entry.input), "params": report.totals["params"],
                            "macs": report.totals["macs"], "depth": report.totals["depth"],
                            "source": entry.source, "torchvision": entry.torchvision})
    if json or format == Format.json:
        typer.echo(jsonlib.dumps({"schema": 1, "models": records}, indent=1))
        return
    rows = [[r["name"], r["family"], "x".join(map(str, r["input"])), exact(r["params"]), si(r["macs"]),
             str(r["depth"]), r["source"]] for r in records]
    if format == Format.markdown:
        typer.echo(to_markdown(HEADER, rows), nl=False)
    elif format == Format.csv:
        typer.echo(to_csv(HEADER, rows), nl=False)
    else:
        make_console().print(rich_table("archcalc zoo", HEADER, rows, right=("params", "MACs", "depth")))
