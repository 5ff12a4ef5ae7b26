"""archcalc verify MODEL | --all | --lecture: the analysis checked against real torch models, layer by layer.

Exit codes: 0 every figure agrees within its stated tolerance; 1 a disagreement (the layer is named);
2 bad input. Needs torch (the [torch] extra); imported only when the command runs.
"""

from __future__ import annotations

import time
from enum import Enum
from typing import Annotated, Optional

import typer

from .base import app, fail, numeric_input, reporting_errors
from .options import (MODEL_HELP, BatchOpt, Format, FormatOpt, JsonOpt, KwargsOpt, NumericInputOpt, TableFormat,
                      WideOpt, with_kwargs)

INTERRUPTED = 130  # the shell's code for a job ended by Ctrl-C (128 + SIGINT)


class Device(str, Enum):
    cpu = "cpu"
    cuda = "cuda"


def _torch_or_fail():
    import importlib.util

    if importlib.util.find_spec("torch") is None:  # asks, without importing it here
        fail("verify needs torch and torchvision: pip install 'archcalc[torch]'")


def _pair(a, m) -> str:
    """One figure where analytic and measured agree, else 'analytic | measured'."""
    from ..output.numbers import figure

    return figure(a) if a == m else f"{figure(a)} | {figure(m)}"


def result_table(result):
    """One verified model: a row per layer, then the totals, then the notes."""
    from ..output.numbers import figure
    from ..output.tables import Table

    header = ("layer", "kind", "shape", "params", "MACs", "fvcore", "FlopCounter/2", "act. bytes", "ok")
    failed = {c.layer for c in result.failures()}
    rows = [[r["layer"], r["kind"], _pair([int(d) if d.isdigit() else d for d in r["shape"]], r["measured_shape"]),
             _pair(r["params"], r["measured_params"]), figure(r["macs"]), figure(r["fvcore_macs"]),
             figure(r["flop_counter_macs"]), _pair(r["activation_bytes"], r["measured_activation_bytes"]),
             "FAIL" if r["layer"] in failed else "ok"] for r in result.layers]
    totals = [[c.figure, c.model, figure(c.analytic), figure(c.measured),
               "exact" if c.tolerance == 0 else c.tolerance if isinstance(c.tolerance, str) else f"{c.tolerance:.0%}",
               "ok" if c.ok else "FAIL"] for c in result.totals()]
    return Table(f"verify {result.model} at {figure(result.input)} (batch {result.batch}): analytic | measured "
                 "where they differ", header, rows, right=("params", "MACs", "fvcore", "FlopCounter/2", "act. bytes"),
                 notes=[f"[bold]note[/]: {note}" for note in result.notes], document=result.to_dict,
                 figures=(FIGURES, [_figures(r, failed) for r in result.layers]),
                 then=[Table("totals", ("figure", "torch model", "analytic", "measured", "tolerance", "ok"), totals,
                             right=("analytic", "measured"))])


FIGURES = ("layer", "kind", "shape", "measured_shape", "params", "measured_params", "macs", "fvcore_macs",
           "flop_counter_macs", "activation_bytes", "measured_activation_bytes", "result")  # csv: the JSON's names


def _figures(row: dict, failed) -> list:
    """One layer's raw figures for csv: numbers as numbers, shapes as CxHxW, none as an empty cell."""
    def dims(shape):
        return "" if shape is None else "x".join(str(d) for d in shape)

    return [row["layer"], row["kind"], dims(row["shape"]), dims(row["measured_shape"]),
            *(row[k] for k in FIGURES[4:-1]), "FAIL" if row["layer"] in failed else "ok"]


def _print_failures(result, failures) -> None:
    from ..output.numbers import figure

    for c in failures:
        typer.echo(f"FAIL {result.model}: layer {c.layer}: {c.figure}: analytic {figure(c.analytic)}, "
                   f"measured {figure(c.measured)} ({c.model} model)")


@app.command(short_help="Check every analytic figure against the real PyTorch model.")
def verify(
    model: Annotated[Optional[str], typer.Argument(help=f"The model: {MODEL_HELP}; omit with --all or --lecture.")] = None,
    input: NumericInputOpt = None,
    kwargs: KwargsOpt = None,
    batch: BatchOpt = 1,
    device: Annotated[Device, typer.Option("--device", help="cpu, or cuda to add the CUDA peak-memory checks.")] = Device.cpu,
    json: JsonOpt = False,
    format: FormatOpt = TableFormat.table,
    wide: WideOpt = False,
    all: Annotated[bool, typer.Option("--all", help="Verify every zoo entry at its default input.")] = False,
    lecture: Annotated[bool, typer.Option("--lecture", help="Print the lecture's figures against the real models (Markdown).")] = False,
    cuda_results: Annotated[Optional[str], typer.Option(
        "--cuda-results", help="With --lecture: a cuda_verify.json from benchmarks/cuda_verify.py, for the GPU row.")] = None,
    fvcore: Annotated[bool, typer.Option("--fvcore/--no-fvcore", help="Also count MACs with fvcore (slower: a traced CPU forward).")] = True,
) -> None:
    """Build the real torch model and check every analytic figure: shapes, parameters, MACs (fvcore: 1 per
    MAC; FlopCounterMode: 2 per MAC, halved), activation bytes, bytes saved for backward and, on CUDA, peak
    memory. Exit code 1 names each layer that disagrees beyond its tolerance (shapes, parameters, MACs exact);
    130 after Ctrl-C, which prints the models verified so far (--all)."""
    from ..output.model_progress import steps
    from ..output.tables import emit

    if batch < 1:
        fail(f"--batch {batch}: must be a positive integer")
    if sum(bool(x) for x in (model, all, lecture)) != 1:
        fail("give exactly one of MODEL, --all, --lecture")
    with reporting_errors():
        numeric_input(input, "verify")
    _torch_or_fail()
    from ..pytorch import verify as checking

    if cuda_results and not lecture:
        fail("--cuda-results goes with --lecture")
    if lecture:
        from ..lecture.real_models import lecture_comparison, load_cuda_results

        with reporting_errors():
            typer.echo(lecture_comparison(load_cuda_results(cuda_results) if cuda_results else None), nl=False)
        return
    fmt = Format.json if json else format
    if all:
        raise typer.Exit(_verify_all(checking, batch, device.value, fmt, fvcore, wide))
    with reporting_errors(), steps() as bar:  # the bar stops before an error's line is printed
        model = with_kwargs(model, kwargs)
        bar.now(f"verify {model}: analysis")
        result = checking.verify(model, input=input, batch=batch, device=device.value, use_fvcore=fvcore,
                                 on_stage=lambda what: bar.now(f"verify {model}: {what}"))
    emit(fmt, result_table(result), wide)
    if fmt.name == "table":  # csv, json and markdown stay what they are: the FAIL column says it
        _print_failures(result, result.failures())
    raise typer.Exit(0 if result.ok else 1)


def _verify_all(checking, batch: int, device: str, fmt, fvcore: bool, wide: bool) -> int:
    """Every zoo entry, a progress bar on a terminal; Ctrl-C prints the models verified so far (exit 130)."""
    from ..output.model_progress import steps
    from ..output.tables import emit
    from ..sources import zoo

    entries = list(zoo.entries())
    records, failures, interrupted = [], [], False
    try:
        with steps(len(entries)) as bar:
            for entry in entries:
                bar.now(f"verify {entry.name}")
                start = time.perf_counter()
                with reporting_errors():
                    result = checking.verify(entry.name, batch=batch, device=device, use_fvcore=fvcore,
                                             on_stage=lambda what, name=entry.name: bar.now(f"verify {name}: {what}"))
                failures.extend((result, c) for c in result.failures())
                records.append({"model": entry.name, "ok": result.ok, "checks": len(result.checks),
                                "failures": [f"{c.layer}: {c.figure}" for c in result.failures()],
                                "seconds": round(time.perf_counter() - start, 2)})
                bar.advance()
    except KeyboardInterrupt:  # keep what finished
        interrupted = True
        typer.echo(f"archcalc: interrupted: {len(records)} of {len(entries)} models verified", err=True)
    emit(fmt, all_table(records, interrupted, len(entries)), wide)
    if fmt.name == "table":
        for result, c in failures:
            _print_failures(result, [c])
    return INTERRUPTED if interrupted else 1 if failures else 0


def all_table(records: list, interrupted: bool, total: int):
    """verify --all's table: a row per model verified; csv gets the figures, json the records."""
    from ..output.tables import Table

    rows = [[r["model"], str(r["checks"]), "ok" if r["ok"] else f"FAIL ({len(r['failures'])})", f"{r['seconds']:.1f}"]
            for r in records]
    said = [f"interrupted (Ctrl-C) after {len(records)} of {total} models: the others were not verified"] \
        if interrupted else []
    return Table("verify --all", ("model", "checks", "result", "seconds"), rows, right=("checks", "seconds"),
                 notes=[f"[bold]note[/]: {line}" for line in said], paragraphs=said,
                 document={"schema": 1, "ok": all(r["ok"] for r in records), "interrupted": interrupted,
                           "models": records},
                 figures=(("model", "checks", "result", "failures", "seconds"),
                          [[r["model"], r["checks"], "ok" if r["ok"] else "FAIL", len(r["failures"]), r["seconds"]]
                           for r in records]))
