"""archcalc compare MODEL...: one row of figures per model; --lecture: the lecture's conclusion, with figures.

Without --bench nothing here imports torch: the figures are analytic, the accuracies quoted facts.
"""

from __future__ import annotations

from typing import Annotated, List, Optional

import typer

from .base import app, fail, reporting_errors
from .options import MODEL_HELP, BatchOpt, DtypeOpt, Format, InputOpt, JsonOpt, WideOpt, offer

# html: a self-contained page (units, notes, sortable columns), as summary's
CompareFormat = offer("CompareFormat", Format.table, Format.markdown, Format.csv, Format.json, Format.html,
                      Format.latex)


@app.command(short_help="Models side by side: parameters, MACs, memory, depth, top-1.")
def compare(
    models: Annotated[Optional[List[str]], typer.Argument(
        help=f"Models, each {MODEL_HELP}; e.g. alexnet vgg16 torchvision:resnet50 timm:efficientnet_b0.",
        show_default=False)] = None,
    input: InputOpt = None,
    batch: BatchOpt = 1,
    dtype: DtypeOpt = "float32",
    table: Annotated[bool, typer.Option("--table", help="A Markdown table ready to paste; same as --format markdown.")] = False,
    format: Annotated[CompareFormat, typer.Option(
        "--format", "-f", help="table (rich), markdown, csv, json, html or latex. csv and json carry raw "
                               "figures in base units (parameters, MACs, bytes, ms, percent).")] = CompareFormat.table,
    json: JsonOpt = False,
    wide: WideOpt = False,
    columns: Annotated[Optional[str], typer.Option(
        "--columns", "-c", help="Comma-separated column keys: model, input, params, macs, flops, "
                                "activation_bytes, param_bytes, depth, rf, forward_ms, images_per_s (these two "
                                "with --bench), top1, top1_per_gmac, params_per_top1, top1_source. Default: "
                                "every column with a figure for some model.")] = None,
    sort: Annotated[Optional[str], typer.Option("--sort", "-s", help="Sort rows by this column key (missing values last).")] = None,
    descending: Annotated[bool, typer.Option("--descending", "-r", help="Sort from the largest value.")] = False,
    bench: Annotated[Optional[str], typer.Option(
        "--bench", help="JSON from 'archcalc bench --json': adds forward time and images/s.")] = None,
    bench_batch: Annotated[Optional[int], typer.Option(
        "--bench-batch", help="Which measured batch size to show; default: --batch.", show_default=False)] = None,
    bench_dtype: Annotated[Optional[str], typer.Option(
        "--bench-dtype", help="Which measured dtype to show; default: --dtype.", show_default=False)] = None,
    seed: Annotated[bool, typer.Option(
        "--seed", help="Every architecture of the lecture note, one entry per family, in the note's order "
                       "(lenet5 ... squeezenet1_0).")] = False,
    lecture: Annotated[bool, typer.Option(
        "--lecture", help="The lecture's conclusion table (AlexNet, VGG-16, GoogLeNet, ResNet-152): its words, "
                          "the figures behind them and each network's rank.")] = False,
) -> None:
    """Compare models side by side: parameters, MACs, memory, depth, receptive field, published top-1."""
    from ..analyses import comparison as cmp
    from ..output.tables import emit

    fmt = Format.json if json else Format.markdown if table else format
    if batch < 1:
        fail(f"--batch {batch}: must be a positive integer")
    bench_batch, bench_dtype = bench_batch or batch, bench_dtype or dtype
    with reporting_errors():
        measured = cmp.load_bench(bench) if bench else None
        if lecture:
            if models or (batch, dtype) != (1, "float32"):
                fail("--lecture compares the lecture's four networks per image in float32; give no model "
                     "names, --batch or --dtype with it")
            return _lecture(fmt, measured, bench_batch, bench_dtype, wide)
        if seed:
            from ..lecture.words import LECTURE_ARCHITECTURES

            models = [*LECTURE_ARCHITECTURES, *(models or [])]
        if not models:
            fail("give at least one model (archcalc list shows the zoo), --seed or --lecture")
        keys = [k.strip() for k in columns.split(",") if k.strip()] if columns else None
        cmp.require_bench([*(keys or []), *([sort] if sort else [])], measured)
        rows = [cmp.model_row(m, input, measured, bench_batch, bench_dtype, batch, dtype) for m in models]
        keys, shown = cmp.select(rows, keys or cmp.default_columns(rows, measured), sort, descending)
        notes = cmp.notes(rows, measured, bench_batch, bench_dtype, keys, batch, dtype)
        emit(fmt, _comparison_table(keys, shown, notes, batch, dtype), wide)


def _lecture(fmt, measured, bench_batch: int, bench_dtype: str, wide: bool) -> None:
    """--lecture: the lecture's conclusion table, with forward times from `measured` where given."""
    from ..lecture import conclusion
    from ..output.tables import choices_text, emit

    if Format[fmt.name] not in conclusion.FORMATS:
        fail(f"--lecture prints {choices_text(conclusion.FORMATS)}, not {fmt.value}")
    emit(fmt, conclusion.conclusion_table(measured, bench_batch, bench_dtype), wide)


def cell(column, value) -> str:
    """A figure as people read it, in its column's display unit; '' when it does not exist."""
    from ..output.numbers import fixed

    if value is None:
        return ""
    if column.decimals is None:
        return str(value)
    return fixed(value / column.scale, column.decimals, widen=column.widen)


def _comparison_table(keys: list, rows: list, notes: list, batch: int = 1, dtype: str = "float32"):
    from ..analyses.comparison import COLUMNS, header, to_records
    from ..output.tables import Table

    records = to_records(keys, rows, batch, dtype)
    return Table("archcalc compare", [header(k, batch) for k in keys],
                 [[cell(COLUMNS[k], r[k]) for k in keys] for r in rows],
                 right=[header(k, batch) for k in keys if not COLUMNS[k].text],
                 notes=[f"[dim]{n}[/]" for n in notes], paragraphs=["\n".join(f"- {n}" for n in notes)],
                 document={**records, "notes": notes},
                 figures=(keys, [[m[k] for k in keys] for m in records["models"]]))
