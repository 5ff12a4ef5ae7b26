"""archcalc bench MODEL...: forward time with random weights, against the analytic FLOPs and the roofline.

Thin: parse and check every option (before torch is imported, so that bad input fails fast and
`archcalc bench --help` costs nothing), call archcalc.pytorch.bench, render.
"""

from __future__ import annotations

import json as jsonlib
from pathlib import Path
from typing import List, Optional

import typer
from typing import Annotated

from .base import app, fail, reporting_errors
from .options import Format, FormatOpt, InputOpt, JsonOpt

HEADER = ("model", "batch", "dtype", "median ms", "IQR ms", "min ms", "max ms", "images/s", "TFLOP/s",
          "peak MB", "roofline ms", "ratio")
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


def _num(value, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def result_rows(doc: dict) -> list:
    """One row of strings per result; memory in MB (10^6 bytes)."""
    rows = []
    for r in doc["results"]:
        memory = None if r["peak_memory_bytes"] is None else r["peak_memory_bytes"] / 1e6
        rows.append([r["model"], str(r["batch"]), r["dtype"] + (" CL" if r["channels_last"] else "") +
                     (" compiled" if r["compile"] else ""),
                     _num(r["median_ms"], ".3f"), _num(r["iqr_ms"], ".3f"), _num(r["min_ms"], ".3f"),
                     _num(r["max_ms"], ".3f"), _num(r["images_per_s"], ",.1f"), _num(r["achieved_tflops"], ".4g"),
                     _num(memory, ",.1f"), _num(r["roofline_ms"], ".4g"), _num(r["roofline_ratio"], ".2f")])
    return rows


def layer_rows(result: dict) -> list:
    rows = []
    for layer in result["per_layer"]:
        flops = None if layer["flops"] is None else layer["flops"] / 1e6
        moved = None if layer["bytes_moved"] is None else layer["bytes_moved"] / 1e6
        rows.append([layer["name"], layer["kind"], _num(flops, ",.2f"), _num(moved, ",.3f"), layer["limiter"] or "-",
                     _num(layer["roofline_ms"], ".4f"), _num(layer["measured_ms"], ".4f"),
                     _num(layer["roofline_ratio"], ".2f")])
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


def render(doc: dict, format: Format, said=()) -> None:
    from ..output.tables import console as make_console, rich_table, to_csv, to_markdown

    rows = result_rows(doc)
    if format == Format.csv:
        typer.echo(to_csv(HEADER, rows), nl=False)
        return
    if format == Format.markdown:
        typer.echo(f"**{title(doc)}**\n")
        typer.echo(to_markdown(HEADER, rows))
        for r in doc["results"]:
            if "per_layer" in r:
                typer.echo(f"**{r['model']}, batch {r['batch']}, per layer**\n")
                typer.echo(to_markdown(LAYER_HEADER, layer_rows(r)))
        typer.echo("\n".join(f"- {line}" for line in footer(doc, said)))
        return
    console = make_console()
    console.print(rich_table(title(doc), HEADER, rows, right=HEADER[1:2] + HEADER[3:]))
    for r in doc["results"]:
        if "per_layer" in r:
            console.print(rich_table(f"{r['model']}, batch {r['batch']}, per layer (hooked run: "
                                     f"{r['per_layer_total_ms']:.3f} ms)", LAYER_HEADER, layer_rows(r),
                                     right=LAYER_HEADER[2:4] + LAYER_HEADER[5:]))
    for line in footer(doc, said):
        console.print(line, highlight=False)


@app.command(short_help="Forward time on the CPU or CUDA, against the roofline bound.")
def bench(
    models: Annotated[List[str], typer.Argument(help="Zoo names (archcalc list), e.g. alexnet vgg16.")],
    device: Annotated[Optional[str], typer.Option(
        "--device", help="cuda or cpu; by default the GPU if there is one, else the CPU (said in one line).")] = None,
    batch: Annotated[str, typer.Option("--batch", "-b", help="Batch sizes, comma-separated: 1,8,64.")] = "1",
    dtype: Annotated[str, typer.Option("--dtype", help="float32, float16 or bfloat16.")] = "float32",
    input: InputOpt = None,
    channels_last: Annotated[bool, typer.Option("--channels-last", help="Model and input in channels-last "
                                                "memory format.")] = False,
    compile: Annotated[bool, typer.Option("--compile", help="torch.compile the model (compile time is "
                                          "spent in the warm-up).")] = False,
    repeats: Annotated[int, typer.Option("--repeats", help="Timed forward passes per model and batch.")] = 10,
    warmup: Annotated[int, typer.Option("--warmup", help="Untimed forward passes before timing.")] = 3,
    json: JsonOpt = False,
    format: FormatOpt = Format.table,
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
    achieved TFLOP/s from the analytic FLOPs, peak memory, and the ratio to the device's roofline bound."""
    from ..sources import analyze
    from ..pytorch.bench import DEVICES, DTYPES, check_buildable

    batches = parse_batches(batch)
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
    if per_layer and compile:
        fail("--per-layer and --compile: hooks do not see inside a compiled graph; pick one")
    if plot is not None:
        from ..output.plots import SUFFIXES as PLOT_SUFFIXES

        if plot.suffix.lower() not in PLOT_SUFFIXES:
            fail(f"--plot {plot}: the file name must end in {', '.join(PLOT_SUFFIXES)}")
        if not plot.parent.is_dir():
            fail(f"--plot {plot}: folder {plot.parent} does not exist")
    with reporting_errors():
        for name in models:  # every model checked before any is timed
            check_buildable(name)
            report = analyze(name, input=input, batch=batches[0], dtype=dtype)
            if any(not isinstance(d, int) for d in report.input.as_list()):
                fail(f"--input {input}: bench needs a numeric input size, e.g. 3x224x224")
        from ..pytorch.bench import run_bench
        from ..output.plots import bench_times, save_figure

        said: list = []  # notes already printed on stderr

        doc = run_bench(models, device=device, batches=batches, dtype=dtype, channels_last=channels_last,
                        compile=compile, repeats=repeats, warmup=warmup, input=input, calibrated=calibrate,
                        peak_tflops=peak_tflops, bandwidth_gbs=bandwidth_gbs, per_layer=per_layer,
                        on_note=lambda note: (said.append(note), typer.echo(f"archcalc: {note}", err=True)))
    if plot is not None:
        save_figure(bench_times(doc["results"], title(doc)), plot)
    if json or format == Format.json:
        typer.echo(jsonlib.dumps(doc, indent=1))
        return
    render(doc, format, said)
