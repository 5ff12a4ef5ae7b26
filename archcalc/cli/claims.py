"""archcalc claims: the lecture's quoted figures against the figures archcalc computes."""

from __future__ import annotations

import json as jsonlib

import typer
from typing import Annotated

from .base import app, reporting_errors
from .options import Format, FormatOpt, JsonOpt

HEADER = ("claim", "quoted", "computed", "ratio", "verdict", "source")


def _figure(value, unit: str) -> str:
    """A computed figure in the unit of its claim."""
    from ..output.tables import exact, si

    if unit == "x":
        return f"{value:.2f}x"
    if unit == "bytes":
        return f"{value / 1e6:.2f} MB"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.2f}"
    large = unit in ("params", "MACs") and abs(value) >= 1e6
    return si(int(value)) if large else exact(int(value))


@app.command(short_help="The lecture's quoted figures against the computed ones.")
def claims(
    json: JsonOpt = False,
    format: FormatOpt = Format.table,
    derivations: Annotated[bool, typer.Option(
        "--derivations/--no-derivations", "-d", help="Show how each computed figure was obtained.")] = True,
) -> None:
    """Check the lecture's figures (138M, 60M, 5M, 12x, 50x, 854M, 358M, 22 and 152 layers, ...) against
    archcalc's own analysis of the zoo. MACs count conv + linear multiply-accumulates; MB = 10^6 bytes."""
    from ..lecture.claims import all_claims

    with reporting_errors():
        checks = all_claims()
    if json or format == Format.json:
        typer.echo(jsonlib.dumps({"schema": 1, "claims": [c.to_dict() for c in checks]}, indent=1,
                                 ensure_ascii=False))
        return
    rows = [[c.claim, c.quoted, _figure(c.computed, c.unit), f"{c.ratio:.3f}" if c.ratio is not None else "",
             c.verdict, c.source] for c in checks]
    if format == Format.csv:
        from ..output.tables import to_csv

        typer.echo(to_csv(HEADER, rows), nl=False)
        return
    if format == Format.markdown:
        from ..output.tables import to_markdown

        typer.echo(to_markdown(HEADER, rows), nl=False)
        if derivations:
            for c in checks:
                typer.echo(f"\n**{c.claim}** ({c.verdict}): " + "; ".join(c.derivation))
        return
    from ..output.tables import console as make_console, rich_table

    console = make_console()
    console.print(rich_table("the lecture's claims, computed", HEADER, rows, right=("quoted", "computed", "ratio")))
    if derivations:
        for c in checks:
            console.print(f"[bold]{c.key}[/] ({c.verdict}; seed: {c.quote})", highlight=False)
            for line in c.derivation:
                console.print(f"  {line}", highlight=False)
