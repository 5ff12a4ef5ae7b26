"""archcalc compare MODEL...: one row of figures per model; --lecture: the lecture's conclusion, with figures.

Without --bench nothing here imports torch: the figures are analytic, the accuracies quoted facts.
"""

from __future__ import annotations

import json as jsonlib
from enum import Enum
from typing import List, Optional

import typer
from typing import Annotated

from .base import app, fail, reporting_errors
from .options import InputOpt, JsonOpt


class CompareFormat(str, Enum):
    table = "table"
    markdown = "markdown"
    csv = "csv"
    json = "json"
    html = "html"
    latex = "latex"


LECTURE_RANK_NOTE = ("rank 1 = best on that criterion: most efficient, least memory, least compute, most "
                     "accurate, fastest.")


@app.command(short_help="Models side by side: parameters, MACs, memory, depth, top-1.")
def compare(
    models: Annotated[Optional[List[str]], typer.Argument(
        help="Zoo names (archcalc list), e.g. alexnet vgg16 googlenet resnet152.", show_default=False)] = None,
    input: InputOpt = None,
    table: Annotated[bool, typer.Option("--table", help="A Markdown table ready to paste; same as --format markdown.")] = False,
    format: Annotated[CompareFormat, typer.Option(
        "--format", "-f", help="table (rich), markdown, csv, json, html or latex. csv and json carry raw "
                               "figures in base units (parameters, MACs, bytes, ms, percent).")] = CompareFormat.table,
    json: JsonOpt = False,
    columns: Annotated[Optional[str], typer.Option(
        "--columns", "-c", help="Comma-separated column keys: model, input, params, macs, flops, "
                                "activation_bytes, param_bytes, depth, rf, forward_ms, images_per_s, top1, "
                                "top1_per_gmac, params_per_top1, top1_source.")] = None,
    sort: Annotated[Optional[str], typer.Option("--sort", "-s", help="Sort rows by this column key (missing values last).")] = None,
    descending: Annotated[bool, typer.Option("--descending", "-r", help="Sort from the largest value.")] = False,
    bench: Annotated[Optional[str], typer.Option(
        "--bench", help="JSON from 'archcalc bench --json': adds forward time and images/s.")] = None,
    bench_batch: Annotated[int, typer.Option("--bench-batch", help="Which measured batch size to show.")] = 1,
    bench_dtype: Annotated[str, typer.Option("--bench-dtype", help="Which measured dtype to show.")] = "float32",
    seed: Annotated[bool, typer.Option(
        "--seed", help="Every architecture of the lecture note, one entry per family, in the note's order "
                       "(lenet5 ... squeezenet1_0).")] = False,
    lecture: Annotated[bool, typer.Option(
        "--lecture", help="The lecture's conclusion table (AlexNet, VGG-16, GoogLeNet, ResNet-152): its words, "
                          "the figures behind them and each network's rank.")] = False,
) -> None:
    """Compare models side by side: parameters, MACs, memory, depth, receptive field, published top-1."""
    from ..analyses import comparison as cmp

    fmt = CompareFormat.json if json else CompareFormat.markdown if table else format
    with reporting_errors():
        measured = cmp.load_bench(bench) if bench else None
        if lecture:
            if models:
                fail("--lecture compares the lecture's four networks; give no model names with it")
            _lecture(fmt, measured, bench_batch, bench_dtype)
            return
        if seed:
            from ..analyses.accuracy import SEED_ARCHITECTURES

            models = [*SEED_ARCHITECTURES, *(models or [])]
        if not models:
            fail("give at least one model (archcalc list shows the zoo), --seed or --lecture")
        rows = [cmp.model_row(m, input, measured, bench_batch, bench_dtype) for m in models]
        keys = [k.strip() for k in columns.split(",") if k.strip()] if columns else None
        keys, shown = cmp.select(rows, keys, sort, descending)
        notes = cmp.notes(rows, measured, bench_batch, bench_dtype)
    _print_comparison(fmt, keys, shown, notes)


def _print_comparison(fmt: CompareFormat, keys: list, rows: list, notes: list) -> None:
    from ..analyses import comparison as cmp
    from ..output.tables import console, rich_table, to_markdown

    if fmt == CompareFormat.json:
        typer.echo(jsonlib.dumps({**cmp.to_records(keys, rows), "notes": notes}, indent=1, ensure_ascii=False))
    elif fmt == CompareFormat.csv:
        typer.echo(cmp.to_csv(keys, rows), nl=False)
    elif fmt == CompareFormat.html:
        typer.echo(cmp.to_html(keys, rows))
    elif fmt == CompareFormat.latex:
        with reporting_errors():
            typer.echo(cmp.to_latex(keys, rows), nl=False)
    else:
        header = [cmp.COLUMNS[k].header for k in keys]
        cells = [[cmp.cell(k, r[k]) for k in keys] for r in rows]
        if fmt == CompareFormat.markdown:
            typer.echo(to_markdown(header, cells) + "\n" + "".join(f"- {n}\n" for n in notes), nl=False)
            return
        right = [cmp.COLUMNS[k].header for k in keys if k not in ("model", "input", "top1_source")]
        out = console()
        out.print(rich_table("archcalc compare", header, cells, right=right))
        for n in notes:
            out.print(f"[dim]{n}[/]", highlight=False)


def _lecture(fmt: CompareFormat, measured, bench_batch: int, bench_dtype: str) -> None:
    from ..analyses import comparison as cmp
    from ..analyses.accuracy import LECTURE_CRITERIA, LECTURE_HEADINGS, LECTURE_MODELS, LECTURE_SOURCE
    from ..output.tables import console, rich_table, to_csv, to_markdown

    rows = cmp.lecture_rows(measured, bench_batch, bench_dtype)
    cells = cmp.lecture_cells(rows)
    notes = [f"The lecture's words are from the {LECTURE_SOURCE}. It names no depth; its own figures "
             "(138M parameters for VGG, 152 layers for ResNet) are those of vgg16 and resnet152.",
             LECTURE_RANK_NOTE, *cmp.lecture_checks(rows), cmp.CONVENTIONS_NOTE,
             *cmp.accuracy_notes(list(rows.values()))]
    if measured:
        notes.append(cmp.bench_note(measured, bench_batch, bench_dtype))
    if fmt in (CompareFormat.json, CompareFormat.csv):
        records = [{"network": c.network, "model": c.model, "criterion": c.criterion, "word": c.word,
                    "gloss": c.gloss, "value": c.value, "unit": c.unit, "rank": c.rank} for c in cells]
        if fmt == CompareFormat.json:
            typer.echo(jsonlib.dumps({"schema": 1, "kind": "lecture", "cells": records, "notes": notes},
                                     indent=1, ensure_ascii=False))
        else:
            header = list(records[0])
            typer.echo(to_csv(header, [["" if r[k] is None else r[k] for k in header] for r in records]), nl=False)
        return
    if fmt in (CompareFormat.html, CompareFormat.latex):
        fail(f"--lecture prints table, markdown, csv or json, not {fmt.value}")
    header = ["network", "model", *(f"{LECTURE_HEADINGS[c]} {c}" for c in LECTURE_CRITERIA)]
    table = [[net, model, *(c.text() for c in cells if c.network == net)] for net, model in LECTURE_MODELS.items()]
    if fmt == CompareFormat.markdown:
        typer.echo(to_markdown(header, table) + "\n" + "".join(f"- {n}\n" for n in notes), nl=False)
        return
    out = console()
    out.print(rich_table("The lecture's conclusion, with figures (word · figure · rank)", header, table))
    for n in notes:
        out.print(f"[dim]{n}[/]", highlight=False)
