"""archcalc list: the zoo, with sources, default inputs, parameters and MACs."""

from __future__ import annotations

from .base import app, reporting_errors
from .options import Format, FormatOpt, JsonOpt, TableFormat, WideOpt

HEADER = ("name", "family", "input", "params", "MACs", "depth", "source")
FIGURES = ("name", "family", "input", "params", "macs", "depth", "source")  # csv: MACs in units, not 416.52K
KEEP = ("name", "params", "MACs", "input", "depth", "family")  # what a narrow terminal keeps, the source goes first


@app.command("list", short_help="The zoo: every entry with its source and default input.")
def list_models(json: JsonOpt = False, format: FormatOpt = TableFormat.table, wide: WideOpt = False) -> None:
    """List the zoo: every entry with its source and default input, and its figures at that input."""
    from ..core.engine import propagate
    from ..output.numbers import exact, si
    from ..output.tables import Table, emit
    from ..sources import zoo

    records = []
    with reporting_errors():
        for entry in zoo.entries():
            report = propagate(entry.graph())
            records.append({"name": entry.name, "family": entry.family, "description": entry.description,
                            "input": list(entry.input), "params": report.totals["params"],
                            "macs": report.totals["macs"], "depth": report.totals["depth"],
                            "source": entry.source, "torchvision": entry.torchvision})
    rows = [[r["name"], r["family"], "x".join(map(str, r["input"])), exact(r["params"]), si(r["macs"]),
             str(r["depth"]), r["source"]] for r in records]
    figures = [[r["name"], r["family"], "x".join(map(str, r["input"])), r["params"], r["macs"], r["depth"], r["source"]]
               for r in records]
    emit(Format.json if json else format, Table("archcalc zoo", HEADER, rows, right=("params", "MACs", "depth"),
                                               document={"schema": 1, "models": records}, figures=(FIGURES, figures),
                                               keep=KEEP), wide)
