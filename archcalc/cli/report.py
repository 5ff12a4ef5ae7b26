"""archcalc report [FOLDER] | report MODEL... --out DIR: comparison tables and plots, written into a folder."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, List, Optional

import typer

from .base import app, fail, reporting_errors
from .options import MODEL_HELP


@app.command(short_help="Write a report folder: comparison tables and plots (default: reports/, the lecture's).")
def report(
    args: Annotated[Optional[List[str]], typer.Argument(
        help=f"With --out: the models to compare, each {MODEL_HELP}. Without it: the folder of the lecture's "
             "report (default reports).", show_default=False)] = None,
    out: Annotated[Optional[str], typer.Option(
        "--out", "-o", help="The folder to write the report of the given models into (created if missing).",
        show_default=False)] = None,
    bench: Annotated[Optional[str], typer.Option(
        "--bench", help="A bench JSON for forward times; default: one found under FOLDER/bench/, if any.")] = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Write into a folder of files that archcalc report did not write.")] = False,
) -> None:
    """Write the comparison (Markdown, CSV, JSON), the plots (PNG, SVG) and a README.md into a folder:
    'archcalc report reports/' regenerates the lecture's architectures with the lecture's conclusion table;
    'archcalc report alexnet vgg16 --out DIR' compares any models. Deterministic: a re-run changes nothing.
    FOLDER/verify/ and FOLDER/bench/ are left alone. Writes only into a new or empty folder, or one it wrote
    before (it leaves a .archcalc-report file there), unless --force."""
    import matplotlib

    matplotlib.use("Agg")
    from ..docgen import write_reports

    folder, models = _target(args or [], out)
    started: list = []  # the files begun, in order: all but the last are written
    try:
        with reporting_errors(), _progress(started) as progress:
            written = write_reports(folder, bench, force, models, progress)
    except KeyboardInterrupt:
        # what finished stays written (each file is replaced atomically) and is named; 130: interrupted
        for name in started[:-1]:
            typer.echo(f"wrote {Path(folder) / name}")
        typer.echo(f"archcalc report: interrupted; {max(len(started) - 1, 0)} files written, "
                   f"{started[-1] if started else 'nothing'} unfinished", err=True)
        raise typer.Exit(130) from None
    for path in written:
        typer.echo(f"wrote {path}")


def _target(args: list, out: Optional[str]) -> tuple:
    """(folder, models) from the arguments: models with --out, else one folder for the lecture's report."""
    if out is not None:
        return out, args or None
    if len(args) > 1:
        fail(f"{len(args)} arguments without --out: to compare models, give the folder with --out, e.g. "
             f"archcalc report {' '.join(args)} --out my-report/")
    folder = args[0] if args else "reports"
    from ..sources import is_spec_path, zoo_entry

    if not Path(folder).is_dir() and (zoo_entry(folder) is not None or ":" in folder or is_spec_path(folder)):
        fail(f"'{folder}' is a model, not a folder: give the folder with --out, e.g. "
             f"archcalc report {folder} --out my-report/")
    return folder, None


@contextmanager
def _progress(started: list):
    """A progress(name, done, total) callback that records the files begun in `started`; on a terminal the
    shared progress bar (output/model_progress.py) shows the file being made."""
    from ..output.model_progress import steps

    with steps() as bar:
        def progress(name: str, done: int, total: int) -> None:
            started.append(name)
            bar.now(f"report: {name} ({done + 1} of {total})")

        yield progress
