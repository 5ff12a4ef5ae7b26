"""archcalc claims: the lecture's quoted figures against the figures archcalc computes."""

from __future__ import annotations

from typing import Annotated

import typer

from .base import app, reporting_errors
from .options import Format, FormatOpt, JsonOpt, TableFormat, WideOpt

HEADER = ("claim", "quoted", "computed", "ratio", "verdict", "source")


@app.command(short_help="The lecture's quoted figures against the computed ones.")
def claims(
    json: JsonOpt = False,
    format: FormatOpt = TableFormat.table,
    derivations: Annotated[bool, typer.Option(
        "--derivations/--no-derivations", "-d", help="Show how each computed figure was obtained.")] = True,
    wide: WideOpt = False,
) -> None:
    """Check the lecture's figures (138M, 60M, 5M, 12x, 50x, 854M, 358M, 22 and 152 layers, ...) against
    archcalc's own analysis of the zoo. MACs count conv, linear and matrix-product multiply-accumulates; MB = 10^6 bytes."""
    from ..lecture.claims import all_claims, claims_table
    from ..output.tables import emit

    with reporting_errors():
        checks = all_claims()
    emit(Format.json if json else format, claims_table(checks, derivations), wide)
