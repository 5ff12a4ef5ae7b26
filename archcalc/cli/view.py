"""archcalc view MODEL... --out FILE.html: the network drawn, its figures on it, as one self-contained web page.

Thin: check the options (one line and exit 2 for bad input, before any model is read), analyse each model,
build the data document (output/view_data.py), render it (output/view_page.py), write it atomically.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, List, Optional

import typer

from .base import app, fail, numeric_input, reporting_errors
from .options import MODEL_HELP, BatchOpt, DtypeOpt, NumericInputOpt

SUFFIXES = (".html", ".htm")


@app.command(short_help="The network drawn as a web page, coloured by MACs, parameters, memory, field or time.")
def view(
    models: Annotated[List[str], typer.Argument(
        help=f"Models, each {MODEL_HELP}; several are drawn side by side on one colour scale, e.g. alexnet vgg16 "
             "googlenet.")],
    out: Annotated[str, typer.Option("--out", "-o", help="The page to write, .html or .htm.")],
    input: NumericInputOpt = None,
    batch: BatchOpt = 1,
    dtype: DtypeOpt = "float32",
    color: Annotated[Optional[str], typer.Option(
        "--color", help="What colours the nodes: macs, params, activation (output memory), rf (receptive field) "
                        "or time (measured, needs --bench). Default: time with --bench, else macs.")] = None,
    depth: Annotated[Optional[int], typer.Option(
        "--depth", "-d", help="Fold layers into blocks at this depth of their dotted names (1: top level), each "
                              "expandable by a click; 0: every layer. Default: every layer when they make at "
                              "most 250 nodes and 400 edges, else the deepest folding that does.")] = None,
    bench: Annotated[Optional[str], typer.Option(
        "--bench", help="Per-layer forward times from `archcalc bench MODEL --per-layer --json > FILE`.")] = None,
) -> None:
    """Write one self-contained HTML page (inline SVG, CSS and script; no network) that draws each model's
    layer graph, top to bottom, with its figures: click a node for its full row, search a layer by name."""
    from ..output.view_data import COLORS

    color = color if color is not None else ("time" if bench else "macs")
    if color not in COLORS:
        fail(f"--color {color}: must be one of {', '.join(COLORS)}")
    if color == "time" and not bench:
        fail("--color time needs --bench FILE, the output of `archcalc bench MODEL --per-layer --json`")
    if depth is not None and depth < 0:
        fail(f"--depth {depth}: must be 0 (every layer) or more")
    if batch < 1:
        fail(f"--batch {batch}: must be a positive integer")
    target = Path(out)
    if target.suffix.lower() not in SUFFIXES:
        fail(f"--out {out}: the page's name must end in {' or '.join(SUFFIXES)}")
    if not target.parent.is_dir():
        fail(f"--out {out}: folder {target.parent} does not exist")
    with reporting_errors():
        numeric_input(input, "view")
        bench_doc = _read_bench(bench) if bench else None
        page = page_document(models, input, batch, dtype, color, depth, bench_doc)
        from ..output.files import write_atomic
        from ..output.view_page import render_page

        write_atomic(out, render_page(page))
    typer.echo(f"wrote {out}")


def page_document(models, input, batch: int, dtype: str, color: str, depth, bench_doc=None) -> dict:
    """The page's data document for `models` (output/view_data.py's schema)."""
    from ..core.engine import propagate
    from ..output.view_data import bench_times, view_document, view_page_document
    from ..sources import resolve

    docs = []
    for model in models:
        graph = resolve(model, input)
        report = propagate(graph, input, batch, dtype)
        times, note = (None, None)
        if bench_doc is not None:
            times, note = bench_times(bench_doc, model, (report.model, graph.name), batch)
        doc = view_document(report, graph, times, depth)
        if note:
            doc["notes"].append(note)
        docs.append(doc)
    return view_page_document(docs, color, depth)


def _read_bench(path: str):
    """The parsed bench JSON, read as every user file is (a regular file, 10 MB at most; one line otherwise)."""
    from ..errors import InputError
    from ..sources.files import read_json_file

    return read_json_file(path, "--bench", InputError)
