"""archcalc kinds: every layer kind a spec file (or Net) can use, with its fields and defaults."""

from __future__ import annotations

from .base import app
from .options import Format, FormatOpt, JsonOpt, TableFormat, WideOpt

HEADER = ("kind", "fields (default after =)", "what it is")


@app.command(short_help="Every layer kind, with its fields and defaults.")
def kinds(json: JsonOpt = False, format: FormatOpt = TableFormat.table, wide: WideOpt = False) -> None:
    """List the layer kinds of spec files and of the Python builder: each kind's fields (a default after =,
    none when the field is required) and one line on what it computes."""
    from ..output.tables import Table, emit
    from ..sources.specs.kinds import kind_rows

    rows = kind_rows()
    document = {"schema": 1, "kinds": [{"kind": k, "fields": f, "description": d} for k, f, d in rows]}
    # the fields and the description wrap at spaces in a narrow terminal rather than hide
    emit(Format.json if json else format, Table("archcalc kinds", HEADER, rows, document=document, wrap=HEADER[1:]),
         wide)
