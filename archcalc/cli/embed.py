"""archcalc embed FILE...: refresh the regions of documents that show archcalc output (see archcalc.docgen.embed)."""

from __future__ import annotations

from typing import List

import typer
from typing import Annotated

from .base import app, reporting_errors


@app.command(short_help="Refresh archcalc output between markers in Markdown/reST files.")
def embed(
    files: Annotated[List[str], typer.Argument(help="Markdown or reST files with archcalc markers.")],
    check: Annotated[bool, typer.Option(
        "--check", help="Change nothing; exit 1 and list the stale regions if any region is not fresh.")] = False,
) -> None:
    """Rewrite every region between '<!-- archcalc ARGS -->' and '<!-- /archcalc -->' with the output of
    'archcalc ARGS' (reST: '.. archcalc ARGS' and '.. /archcalc'). Markdown output (--table,
    --format markdown) goes in raw; any other output as a ```text block. A command runs in its document's
    folder: its relative paths (spec files, bench files) are relative to the document. Files are written
    atomically."""
    from ..docgen import embed_documents as refresh

    with reporting_errors():
        stale = refresh(files, check=check)
    if check:
        for region in stale:
            typer.echo(f"{region.path}:{region.open_line}: stale: {region.command}")
        if stale:
            typer.echo(f"{len(stale)} stale region(s); run 'archcalc embed {' '.join(files)}' to refresh",
                       err=True)
            raise typer.Exit(1)
        return
    for region in stale:
        typer.echo(f"{region.path}:{region.open_line}: refreshed: {region.command}")
