"""Models side by side: one row of figures per model, published accuracy beside them.

Every figure is per image (batch 1) at the model's default input (or the one asked for), float32:
- params: trainable weights + biases; macs: conv, linear and matrix-product multiply-accumulates; flops = 2 x macs;
- activation_bytes: every layer output once (the input apart); param_bytes: params x 4 bytes;
- depth: conv + linear layers on the longest path; rf: receptive field, in input pixels, of the deepest
  layer whose field is not yet the whole image (the last feature map before global pooling or an FC
  layer), largest over the axes;
- forward_ms / images_per_s: only from a bench JSON (`archcalc bench --json`), never estimated;
- top1: published ImageNet-1K top-1 in percent, with its source (archcalc.analyses.accuracy); efficiency columns
  derive from it: top1_per_gmac (top-1 points per GMAC) and params_per_top1 (parameters per top-1 point).
A figure that does not exist for a model is None: an empty cell in every format, never a zero.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from ..conventions import MB
from ..core.report import last_local_layer
from ..core.shape import is_symbolic
from ..sources.files import read_json_file
from ..errors import ArchcalcError, InputError
from .accuracy import accuracy


class BenchFileError(ArchcalcError):
    """A bench JSON that cannot be read, or that is not what `archcalc bench --json` writes."""


@dataclass(frozen=True)
class Column:
    """A column of the comparison: key (machine formats, --columns, --sort), header for people, unit; and how
    people read it: the figure over `scale` (the header's unit: M, G, MB) with `decimals` decimals, more for
    small values where `widen` (archcalc.output.numbers.fixed); decimals None: the value as it is."""

    key: str
    header: str
    unit: str
    higher_is_better: Optional[bool] = None  # for ranks; None: not a merit
    scale: float = 1
    decimals: Optional[int] = None
    widen: bool = True
    text: bool = False  # a label, not a figure: left-aligned


COLUMNS = {c.key: c for c in (
    Column("model", "model", "", text=True),
    Column("input", "input", "CxHxW", text=True),
    Column("params", "params (M)", "parameters", None, 1e6, 2),
    Column("macs", "GMACs", "multiply-accumulates", False, 1e9, 2),
    Column("flops", "GFLOPs", "floating-point operations (2 x MACs)", False, 1e9, 2),
    Column("activation_bytes", "act. MB/img", "bytes", False, MB, 1),
    Column("param_bytes", "param MB", "bytes", False, MB, 1),
    Column("depth", "depth", "weighted layers"),
    Column("rf", "RF px", "input pixels"),
    Column("forward_ms", "fwd ms", "milliseconds", False, 1, 2),
    Column("images_per_s", "img/s", "images per second", True, 1, 1, widen=False),
    Column("top1", "top-1 %", "percent", True, 1, 3, widen=False),
    Column("top1_per_gmac", "top-1 %/GMAC", "percent per GMAC", True, 1, 2),
    Column("params_per_top1", "M params/top-1 pt", "parameters per percent", False, 1e6, 2),
    Column("top1_source", "top-1 source", "", text=True),
)}
DEFAULT_COLUMNS = tuple(COLUMNS)


@dataclass(frozen=True)
class BenchResult:
    """One measured forward pass from a bench JSON."""

    model: str
    batch: int
    dtype: str
    median_ms: float
    images_per_s: Optional[float]


@dataclass(frozen=True)
class Bench:
    """The results of one `archcalc bench --json` file, and the device they were measured on."""

    path: str
    device: str
    device_name: str
    results: tuple

    def find(self, model: str, batch: int, dtype: str) -> Optional[BenchResult]:
        """The first result for this model, batch and dtype (file order), or None."""
        return next((r for r in self.results if (r.model, r.batch, r.dtype) == (model, batch, dtype)), None)


def load_bench(path) -> Bench:
    """Read a bench JSON defensively: every problem is one BenchFileError naming the file and the entry."""
    where = f"bench file {path}"
    data = read_json_file(path, "bench file", BenchFileError)
    if not isinstance(data, dict) or data.get("kind") != "bench" or not isinstance(data.get("results"), list):
        raise BenchFileError(f"{where}: not the JSON of 'archcalc bench --json' "
                             "(expected an object with \"kind\": \"bench\" and a \"results\" list)")
    results = []
    for i, item in enumerate(data["results"]):
        entry = f"{where}: results[{i}]"
        if not isinstance(item, dict):
            raise BenchFileError(f"{entry} is not an object")
        for key, kind in (("model", str), ("batch", int), ("dtype", str), ("median_ms", (int, float))):
            value = item.get(key)
            if not isinstance(value, kind) or isinstance(value, bool):
                raise BenchFileError(f"{entry}: '{key}' missing or not a {getattr(kind, '__name__', 'number')}")
        if not item["median_ms"] > 0 or item["batch"] < 1:
            raise BenchFileError(f"{entry}: median_ms and batch must be positive")
        ips = item.get("images_per_s")
        ips = float(ips) if isinstance(ips, (int, float)) and not isinstance(ips, bool) else None
        results.append(BenchResult(item["model"], item["batch"], item["dtype"], float(item["median_ms"]), ips))
    return Bench(str(path), str(data.get("device", "")), str(data.get("device_name", "")), tuple(results))


def deepest_local_rf(report) -> Optional[int]:
    """Largest per-axis size of the last feature map's receptive field (input pixels); None when there is none."""
    last = last_local_layer(report.layers)
    return max(int(s) for s in last.rf.size) if last is not None else None


def model_row(model: str, input=None, bench: Optional[Bench] = None, bench_batch: int = 1,
              bench_dtype: str = "float32") -> dict:
    """The figures of one model, keyed by column; None where a figure does not exist."""
    from ..sources import analyze

    report = analyze(model, input=input)
    t = report.totals
    if is_symbolic(t["macs"]) or is_symbolic(t["params"]):
        raise InputError(f"{model}: compare needs a numeric input size, got {report.input}")
    fact = accuracy(report.model)
    measured = bench.find(report.model, bench_batch, bench_dtype) if bench else None
    top1 = fact.top1 if fact else None
    images_per_s = None
    if measured:
        images_per_s = measured.images_per_s or measured.batch * 1000.0 / measured.median_ms
    return {
        "model": report.model,
        "input": "x".join(str(d) for d in report.input.as_list()),
        "params": t["params"], "macs": t["macs"], "flops": t["flops"],
        "activation_bytes": t["activation_bytes"], "param_bytes": t["param_bytes"],
        "depth": t["depth"], "rf": deepest_local_rf(report),
        "forward_ms": measured.median_ms if measured else None,
        "images_per_s": images_per_s,
        "top1": top1,
        "top1_per_gmac": top1 / (t["macs"] / 1e9) if top1 is not None and t["macs"] else None,
        "params_per_top1": t["params"] / top1 if top1 else None,
        "top1_source": fact.citation if fact else None,
    }


def select(rows: list, columns=None, sort: Optional[str] = None, descending: bool = False) -> tuple:
    """(columns, rows) with only the asked columns (model first), sorted by `sort`; missing values last."""
    columns = list(columns or DEFAULT_COLUMNS)
    for key in [*columns, *([sort] if sort else [])]:
        if key not in COLUMNS:
            import difflib

            close = difflib.get_close_matches(key, COLUMNS, n=1)
            hint = f"; did you mean {close[0]}?" if close else f"; columns: {', '.join(COLUMNS)}"
            raise InputError(f"unknown column '{key}'{hint}")
    if "model" not in columns:
        columns.insert(0, "model")
    if sort:
        present = [r for r in rows if r[sort] is not None]
        present.sort(key=lambda r: r[sort], reverse=descending)
        rows = present + [r for r in rows if r[sort] is None]
    return columns, [{k: r[k] for k in columns} for r in rows]


CONVENTIONS_NOTE = ("Per image (batch 1), float32. MACs: conv, linear and matrix-product multiply-accumulates; "
                    "FLOPs = 2 x MACs; "
                    "MB = 10^6 bytes; act. MB: every layer output once, input apart; depth: weighted "
                    "layers on the longest path; RF: receptive field of the last feature map before global "
                    "pooling or FC.")


def accuracy_notes(rows: list) -> list:
    """Where the accuracies come from, and a warning when a model is analysed at another input."""
    if not any(r["top1"] is not None for r in rows):
        return []
    lines = ["top-1: ImageNet-1K val, single 224 crop, torchvision IMAGENET1K_V1 weights, as torchvision "
             "documents them (https://docs.pytorch.org/vision/stable/models.html); an empty cell: no "
             "published figure for that entry."]
    off = sorted({r["model"] for r in rows if r["top1"] is not None and r["input"] != "3x224x224"})
    if off:
        lines.append(f"top-1 was measured at 224x224; {', '.join(off)} are analysed at another input here.")
    return lines


def bench_note(bench: Optional[Bench], bench_batch: int, bench_dtype: str) -> str:
    if bench is None:
        return "fwd ms: not measured here (give --bench FILE, from 'archcalc bench --json')."
    return (f"fwd ms: median forward time on {bench.device_name or 'an unnamed device'} ({bench.device}), "
            f"batch {bench_batch}, {bench_dtype}, from {Path(bench.path).name}; empty where the file has no "
            "such result.")


def notes(rows: list, bench: Optional[Bench], bench_batch: int, bench_dtype: str) -> list:
    """The conventions and sources a reader needs beside the table, one sentence each."""
    return [CONVENTIONS_NOTE, *accuracy_notes(rows), bench_note(bench, bench_batch, bench_dtype)]


def to_records(columns: list, rows: list) -> dict:
    """The JSON document of a comparison (schema 1): raw figures in base units, null where missing."""
    return {"schema": 1, "kind": "compare",
            "columns": {k: {"header": COLUMNS[k].header, "unit": COLUMNS[k].unit} for k in columns},
            "models": [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()}
                       for r in rows]}
