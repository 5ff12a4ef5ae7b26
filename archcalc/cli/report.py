"""archcalc report [FOLDER]: regenerate the comparison of the lecture's architectures (tables and plots)."""

from __future__ import annotations

from typing import Optional

import typer
from typing import Annotated

from .base import app, reporting_errors


@app.command(short_help="Regenerate reports/: comparison tables and plots.")
def report(
    folder: Annotated[str, typer.Argument(help="Where to write (created if missing).")] = "reports",
    bench: Annotated[Optional[str], typer.Option(
        "--bench", help="A bench JSON for forward times; default: one found in FOLDER/bench/, if any.")] = None,
) -> None:
    """Regenerate FOLDER/ (default reports/): comparison and lecture tables (Markdown, CSV, JSON) and the
    plots (PNG, SVG) of the lecture's architectures. Deterministic: a re-run changes nothing.
    FOLDER/verify/ and FOLDER/bench/ are left alone."""
    import matplotlib

    matplotlib.use("Agg")
    from ..docgen.reports import write_reports

    with reporting_errors():
        written = write_reports(folder, bench)
    for path in written:
        typer.echo(f"wrote {path}")
