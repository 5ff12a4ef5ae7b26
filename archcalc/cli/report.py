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
    force: Annotated[bool, typer.Option(
        "--force", help="Write into a folder of files that archcalc report did not write.")] = False,
) -> None:
    """Regenerate FOLDER/ (default reports/): comparison and lecture tables (Markdown, CSV, JSON) and the
    plots (PNG, SVG) of the lecture's architectures. Deterministic: a re-run changes nothing.
    FOLDER/verify/ and FOLDER/bench/ are left alone. Writes only into a new or empty folder, or one it wrote
    before (it leaves a .archcalc-report file there), unless --force."""
    import matplotlib

    matplotlib.use("Agg")
    from ..docgen import write_reports

    with reporting_errors():
        written = write_reports(folder, bench, force)
    for path in written:
        typer.echo(f"wrote {path}")
