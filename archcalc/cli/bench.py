"""archcalc bench MODEL...: forward time with random weights, against the analytic FLOPs and the roofline.

Thin: parse and check every option (before torch is imported, so that bad input fails fast and
`archcalc bench --help` costs nothing), call archcalc.pytorch.bench, emit.
"""

from __future__ import annotations

import os

from pathlib import Path
from typing import Annotated, List, Optional

import typer

from ..conventions import MB
from ..output.numbers import optional
from .base import app, fail, reporting_errors
from .options import MODEL_HELP, Format, FormatOpt, JsonOpt, NumericInputOpt, TableFormat, WideOpt

HEADER = ("model", "batch", "dtype", "median ms", "IQR ms", "min ms", "max ms", "images/s", "TFLOP/s",
          "peak MB", "roofline ms", "ratio")
# csv: (header, key of the result): the raw figures, in milliseconds and bytes
FIGURES = (("model", "model"), ("batch", "batch"), ("dtype", "dtype"), ("median ms", "median_ms"),
           ("IQR ms", "iqr_ms"), ("min ms", "min_ms"), ("max ms", "max_ms"), ("images/s", "images_per_s"),
           ("TFLOP/s", "achieved_tflops"), ("peak bytes", "peak_memory_bytes"), ("roofline ms", "roofline_ms"),
           ("ratio", "roofline_ratio"), ("channels_last", "channels_last"), ("compile", "compile"))
LAYER_HEADER = ("layer", "kind", "MFLOPs", "MB moved", "limiter", "roofline ms", "measured ms", "ratio")


def parse_batches(text: str) -> list:
    """'1,8,64' -> [1, 8, 64]; anything else is an error naming the bad item."""
    batches = []
    for item in text.split(","):
        item = item.strip()
        if not item.isdigit() or int(item) < 1:
            fail(f"--batch {text}: '{item}' is not a positive integer (expected e.g. 1,8,64)")
        batches.append(int(item))
    return batches


def result_rows(doc: dict) -> list:
    """One row of strings per result; memory in MB (10^6 bytes)."""
    rows = []
    for r in doc["results"]:
        memory = None if r["peak_memory_bytes"] is None else r["peak_memory_bytes"] / MB
        rows.append([r["model"], str(r["batch"]), r["dtype"] + (" CL" if r["channels_last"] else "") +
                     (" compiled" if r["compile"] else ""),
                     optional(r["median_ms"], ".3f"), optional(r["iqr_ms"], ".3f"), optional(r["min_ms"], ".3f"),
                     optional(r["max_ms"], ".3f"), optional(r["images_per_s"], ",.1f"),
                     optional(r["achieved_tflops"], ".4g"), optional(memory, ",.1f"), optional(r["roofline_ms"], ".4g"),
                     optional(r["roofline_ratio"], ".2f")])
    return rows


def figures(doc: dict) -> tuple:
    """(header, rows) for csv: the results' raw numbers (milliseconds, bytes), unrounded; empty where not measured."""
    return [h for h, _ in FIGURES], [[r[key] for _, key in FIGURES] for r in doc["results"]]


def layer_rows(result: dict) -> list:
    rows = []
    for layer in result["per_layer"]:
        flops = None if layer["flops"] is None else layer["flops"] / 1e6
        moved = None if layer["bytes_moved"] is None else layer["bytes_moved"] / MB
        rows.append([layer["name"], layer["kind"], optional(flops, ",.2f"), optional(moved, ",.3f"),
                     layer["limiter"] or "-", optional(layer["roofline_ms"], ".4f"),
                     optional(layer["measured_ms"], ".4f"), optional(layer["roofline_ratio"], ".2f")])
    return rows


def title(doc: dict) -> str:
    return f"archcalc bench on {doc['device_name']} ({doc['device']}), torch {doc['torch']}"


def footer(doc: dict, said=()) -> list:
    """Lines after the table: the peaks and where they come from, the conventions, the notes not yet `said`."""
    lines = []
    if doc["peaks"]:
        p = doc["peaks"]
        lines.append(f"peaks: {p['tflops']:.4g} TFLOP/s, {p['bandwidth_gbs']:.4g} GB/s ({p['source']})")
    lines.append("TFLOP/s: analytic FLOPs (2 x conv+linear MACs) / median time; roofline: sum over layers of "
                 "max(FLOPs / peak, bytes moved / bandwidth), bytes = inputs + output + weights; "
                 "ratio = median / roofline; MB = 10^6 bytes")
    lines += [f"note: {n}" for n in doc["notes"] if n not in said]
    return lines


def bench_table(doc: dict, said=()):
    """The results, then each model's per-layer timings where measured, then the footer."""
    from ..output.tables import Table

    per_layer = [Table(f"{r['model']}, batch {r['batch']}, per layer (hooked run: {r['per_layer_total_ms']:.3f} ms)",
                       LAYER_HEADER, layer_rows(r), right=LAYER_HEADER[2:4] + LAYER_HEADER[5:],
                       heading=f"{r['model']}, batch {r['batch']}, per layer")
                 for r in doc["results"] if "per_layer" in r]
    lines = footer(doc, said)
    return Table(title(doc), HEADER, result_rows(doc), right=HEADER[1:2] + HEADER[3:], notes=lines,
                 paragraphs=["\n".join(f"- {line}" for line in lines)], document=doc, then=per_layer,
                 heading=title(doc), figures=figures(doc))


@app.command(short_help="Forward time on the CPU or CUDA, against the roofline bound.")
def bench(
    models: Annotated[List[str], typer.Argument(help=f"Models, each {MODEL_HELP}; e.g. alexnet vgg16.")],
    device: Annotated[Optional[str], typer.Option(
        "--device", help="cuda or cpu; by default the GPU if there is one, else the CPU (said in one line).")] = None,
    batch: Annotated[str, typer.Option("--batch", "-b", help="Batch sizes, comma-separated: 1,8,64.")] = "1",
    dtype: Annotated[str, typer.Option("--dtype", help="float32, float16 or bfloat16.")] = "float32",
    input: NumericInputOpt = None,
    channels_last: Annotated[bool, typer.Option("--channels-last", help="Model and input in channels-last "
                                                "memory format.")] = False,
    compile: Annotated[bool, typer.Option("--compile", help="torch.compile the model (compile time is "
                                          "spent in the warm-up).")] = False,
    repeats: Annotated[int, typer.Option("--repeats", help="Timed forward passes per model and batch.")] = 10,
    warmup: Annotated[int, typer.Option("--warmup", help="Untimed forward passes before timing.")] = 3,
    json: JsonOpt = False,
    format: FormatOpt = TableFormat.table,
    wide: WideOpt = False,
    plot: Annotated[Optional[Path], typer.Option(
        "--plot", help="Write a plot of time and images/s against batch (.png or .svg).")] = None,
    per_layer: Annotated[bool, typer.Option("--per-layer", help="Also time each layer (hooks around modules) "
                                            "beside its roofline bound.")] = False,
    calibrate: Annotated[bool, typer.Option("--calibrate", help="Measure the device's peaks (a large matmul, "
                                            "a device copy) instead of the datasheet table.")] = False,
    peak_tflops: Annotated[Optional[float], typer.Option(
        "--peak-tflops", help="Peak compute in TFLOP/s (10^12 FLOP/s) for the roofline; overrides the table.")] = None,
    bandwidth_gbs: Annotated[Optional[float], typer.Option(
        "--bandwidth-gbs", help="Memory bandwidth in GB/s (10^9 bytes/s) for the roofline.")] = None,
) -> None:
    """Time forward passes (random weights, warm-up, synchronised repeats): median and spread, images/s,
    achieved TFLOP/s from the analytic FLOPs, peak memory, and the ratio to the device's roofline bound.
    Ctrl-C prints the measurements done so far and exits with code 130."""
    batches = parse_batches(batch)
    check_options(device, dtype, repeats, warmup, peak_tflops, bandwidth_gbs, per_layer and compile, plot)
    said: list = []  # notes already printed on stderr
    with reporting_errors():
        check_models(models, input, batches[0], dtype)  # every model checked before any is timed
        from ..output.model_progress import steps
        from ..output.plots import bench_times, save_figure
        from ..output.tables import emit
        from ..pytorch.bench import run_bench

        with steps(len(models) * len(batches)) as bar:
            doc = run_bench(models, device=device, batches=batches, dtype=dtype, channels_last=channels_last,
                            compile=compile, repeats=repeats, warmup=warmup, input=input, calibrated=calibrate,
                            peak_tflops=peak_tflops, bandwidth_gbs=bandwidth_gbs, per_layer=per_layer,
                            on_note=lambda note: (said.append(note), typer.echo(f"archcalc: {note}", err=True)),
                            on_step=lambda name, b, done: bar.now(step_text(name, b), done), keep_on_interrupt=True)
    if doc.get("interrupted"):
        typer.echo(f"archcalc: interrupted: {len(doc['results'])} of {len(models) * len(batches)} measurements "
                   "done", err=True)
    emit(Format.json if json else format, bench_table(doc, said), wide)  # first: a plot that fails loses nothing
    if plot is not None and doc["results"]:
        with reporting_errors():
            save_figure(bench_times(doc["results"], title(doc)), plot)
    if doc.get("interrupted"):
        raise typer.Exit(130)  # the shell's code for Ctrl-C


def step_text(name: str, batch) -> str:
    return f"bench {name}: " + ("build" if batch is None else f"batch {batch}")


def check_options(device, dtype, repeats, warmup, peak_tflops, bandwidth_gbs, hooks_and_compile, plot) -> None:
    """Every option checked before torch is imported: bad input fails fast, with one line."""
    from ..pytorch.bench import DEVICES, DTYPES

    if device is not None and device not in DEVICES:
        fail(f"--device {device}: must be one of {', '.join(DEVICES)}")
    if dtype not in DTYPES:
        fail(f"--dtype {dtype}: must be one of {', '.join(DTYPES)}")
    if repeats < 1:
        fail(f"--repeats {repeats}: must be 1 or more")
    if warmup < 0:
        fail(f"--warmup {warmup}: must be 0 or more")
    for name, value in (("--peak-tflops", peak_tflops), ("--bandwidth-gbs", bandwidth_gbs)):
        if value is not None and not value > 0:
            fail(f"{name} {value}: must be positive")
    if hooks_and_compile:
        fail("--per-layer and --compile: hooks do not see inside a compiled graph; pick one")
    if plot is not None:
        from ..output.plots import SUFFIXES as PLOT_SUFFIXES

        if plot.suffix.lower() not in PLOT_SUFFIXES:
            fail(f"--plot {plot}: the file name must end in {', '.join(PLOT_SUFFIXES)}")
        if not plot.parent.is_dir():
            fail(f"--plot {plot}: folder {plot.parent} does not exist")
        if plot.is_dir() or not os.access(plot.parent, os.W_OK):  # known before minutes of timing, not after
            fail(f"--plot {plot}: {'it is a folder' if plot.is_dir() else f'folder {plot.parent} is not writable'}")


def check_models(models, input, batch: int, dtype: str) -> None:
    """Each model resolves and analyses at a numeric input (no torch imported yet)."""
    from ..sources import analyze

    for name in models:
        report = analyze(name, input=input, batch=batch, dtype=dtype)
        if any(not isinstance(d, int) for d in report.input.as_list()):
            fail(f"--input {input}: bench needs a numeric input size, e.g. 3x224x224")
