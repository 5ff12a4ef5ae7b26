"""archcalc verify MODEL | --all | --lecture: the analysis checked against real torch models, layer by layer.

Exit codes: 0 every figure agrees within its stated tolerance; 1 a disagreement (the layer is named);
2 bad input. Needs torch (the [torch] extra); imported only when the command runs.
"""

from __future__ import annotations

import json as jsonlib
import time
from enum import Enum
from typing import Optional

import typer
from typing import Annotated

from .base import app, fail, reporting_errors
from .options import BatchOpt, InputOpt, JsonOpt


class Device(str, Enum):
    cpu = "cpu"
    cuda = "cuda"


def _torch_or_fail():
    import importlib.util

    if importlib.util.find_spec("torch") is None:  # asks, without importing it here
        fail("verify needs torch and torchvision: pip install 'archcalc[torch]'")


def _fmt(value) -> str:
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, list):
        return "x".join(str(v) for v in value)
    return "-" if value is None else str(value)


def _pair(a, m) -> str:
    return _fmt(a) if a == m else f"{_fmt(a)} | {_fmt(m)}"


def _print_one(result) -> None:
    from ..output.tables import console as make_console, rich_table

    console = make_console()
    header = ("layer", "kind", "shape", "params", "MACs", "fvcore", "FlopCounter/2", "act. bytes", "ok")
    failed = {c.layer for c in result.failures()}
    rows = [[r["layer"], r["kind"], _pair([int(d) if d.isdigit() else d for d in r["shape"]], r["measured_shape"]),
             _pair(r["params"], r["measured_params"]), _fmt(r["macs"]), _fmt(r["fvcore_macs"]),
             _fmt(r["flop_counter_macs"]), _pair(r["activation_bytes"], r["measured_activation_bytes"]),
             "FAIL" if r["layer"] in failed else "ok"] for r in result.layers]
    console.print(rich_table(f"verify {result.model} at {_fmt(result.input)} (batch {result.batch}): "
                             "analytic | measured where they differ", header, rows,
                             right=("params", "MACs", "fvcore", "FlopCounter/2", "act. bytes")))
    totals = [[c.figure, c.model, _fmt(c.analytic), _fmt(c.measured),
               "exact" if c.tolerance == 0 else c.tolerance if isinstance(c.tolerance, str) else f"{c.tolerance:.0%}", "ok" if c.ok else "FAIL"]
              for c in result.totals()]
    console.print(rich_table("totals", ("figure", "torch model", "analytic", "measured", "tolerance", "ok"),
                             totals, right=("analytic", "measured")))
    for note in result.notes:
        console.print(f"[bold]note[/]: {note}", highlight=False)


def _print_failures(result) -> None:
    for c in result.failures():
        typer.echo(f"FAIL {result.model}: layer {c.layer}: {c.figure}: analytic {_fmt(c.analytic)}, "
                   f"measured {_fmt(c.measured)} ({c.model} model)")


@app.command(short_help="Check every analytic figure against the real PyTorch model.")
def verify(
    model: Annotated[Optional[str], typer.Argument(help="A zoo name or a spec file; omit with --all or --lecture.")] = None,
    input: InputOpt = None,
    batch: BatchOpt = 1,
    device: Annotated[Device, typer.Option("--device", help="cpu, or cuda to add the CUDA peak-memory checks.")] = Device.cpu,
    json: JsonOpt = False,
    all: Annotated[bool, typer.Option("--all", help="Verify every zoo entry at its default input.")] = False,
    lecture: Annotated[bool, typer.Option("--lecture", help="Print the lecture's figures against the real models (Markdown).")] = False,
    fvcore: Annotated[bool, typer.Option("--fvcore/--no-fvcore", help="Also count MACs with fvcore (slower: a traced CPU forward).")] = True,
) -> None:
    """Build the real torch model and check every analytic figure: shapes, parameters, MACs (fvcore: 1 per
    MAC; FlopCounterMode: 2 per MAC, halved), activation bytes, bytes saved for backward and, on CUDA, peak
    memory. Exit code 1 names each layer that disagrees beyond its tolerance (shapes, parameters, MACs exact)."""
    if batch < 1:
        fail(f"--batch {batch}: must be a positive integer")
    if sum(bool(x) for x in (model, all, lecture)) != 1:
        fail("give exactly one of MODEL, --all, --lecture")
    _torch_or_fail()
    from ..pytorch import verify as checking

    if lecture:
        with reporting_errors():
            typer.echo(checking.lecture_comparison(_cuda_results()), nl=False)
        return
    if all:
        raise typer.Exit(_verify_all(checking, batch, device.value, json, fvcore))
    with reporting_errors():
        result = checking.verify(model, input=input, batch=batch, device=device.value, use_fvcore=fvcore)
    if json:
        typer.echo(jsonlib.dumps(result.to_dict(), indent=1, default=str))
    else:
        _print_one(result)
        _print_failures(result)
    raise typer.Exit(0 if result.ok else 1)


def _verify_all(checking, batch: int, device: str, json: bool, fvcore: bool) -> int:
    from ..sources import zoo
    from ..output.tables import console as make_console, rich_table

    records, failures = [], []
    for entry in zoo.entries():
        start = time.perf_counter()
        with reporting_errors():
            result = checking.verify(entry.name, batch=batch, device=device, use_fvcore=fvcore)
        seconds = time.perf_counter() - start
        failures.extend(result.failures() and [(result, c) for c in result.failures()])
        records.append({"model": entry.name, "ok": result.ok, "checks": len(result.checks),
                        "failures": [f"{c.layer}: {c.figure}" for c in result.failures()],
                        "seconds": round(seconds, 2)})
    if json:
        typer.echo(jsonlib.dumps({"schema": 1, "ok": not failures, "models": records}, indent=1))
    else:
        rows = [[r["model"], str(r["checks"]), "ok" if r["ok"] else f"FAIL ({len(r['failures'])})",
                 f"{r['seconds']:.1f}"] for r in records]
        make_console().print(rich_table("verify --all", ("model", "checks", "result", "seconds"), rows,
                                        right=("checks", "seconds")))
        for result, c in failures:
            typer.echo(f"FAIL {result.model}: layer {c.layer}: {c.figure}: analytic {_fmt(c.analytic)}, "
                       f"measured {_fmt(c.measured)} ({c.model} model)")
    return 1 if failures else 0


def _cuda_results() -> dict:
    """{model: figures} from reports/verify/cuda/cuda_verify.json when the GPU run has been committed."""
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "reports" / "verify" / "cuda" / "cuda_verify.json"
    if not path.exists():
        return {}
    data = jsonlib.loads(path.read_text())
    return {r["model"]: r for r in data.get("models", [])}
