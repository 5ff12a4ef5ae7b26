"""Models side by side: one row of figures per model, published accuracy beside them.

Every figure is per image (batch 1) at the model's default input (or the one asked for), float32, unless
another batch or dtype is asked for (MACs, FLOPs and activation memory scale with the batch, memory with the
dtype's bytes per element):
- params: trainable weights + biases; macs: conv, linear and matrix-product multiply-accumulates; flops = 2 x macs;
- activation_bytes: every layer output once (the input apart); param_bytes: params x bytes per element;
- depth: conv + linear layers on the longest path; rf: receptive field, in input pixels, of the deepest
  layer whose field is not yet the whole image (the last feature map before global pooling or an FC
  layer), largest over the axes;
- forward_ms / images_per_s: only from a bench JSON (`archcalc bench --json`), never estimated; without one
  compare leaves both columns out;
- top1: published ImageNet-1K top-1 in percent, with its source (archcalc.analyses.accuracy); efficiency columns
  derive from it: top1_per_gmac (top-1 points per GMAC of one image, whatever the batch) and params_per_top1
  (parameters per top-1 point).
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
MEASURED = ("forward_ms", "images_per_s")  # columns only a bench JSON fills


def header(key: str, batch: int = 1) -> str:
    """The column's header for people; activation memory is per image only at batch 1."""
    if key == "activation_bytes" and batch != 1:
        return f"act. MB/{batch} img"
    return COLUMNS[key].header


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
              bench_dtype: str = "float32", batch: int = 1, dtype: str = "float32") -> dict:
    """The figures of one model at `batch` and `dtype`, keyed by column; None where a figure does not exist."""
    from ..sources import analyze

    report = analyze(model, input, batch, dtype)
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
        # per image: the efficiency of the network, not of the batch
        "top1_per_gmac": top1 / (t["macs"] / batch / 1e9) if top1 is not None and t["macs"] else None,
        "params_per_top1": t["params"] / top1 if top1 else None,
        "top1_source": fact.citation if fact else None,
    }


def default_columns(rows: list, bench: Optional[Bench] = None) -> list:
    """The columns shown when none are asked for: every one with a figure for some model (the measured ones
    only with a bench file); the model's name always."""
    return [k for k in DEFAULT_COLUMNS if k == "model" or (
        (bench is not None or k not in MEASURED) and any(r[k] is not None for r in rows))]


def require_bench(keys: list, bench: Optional[Bench]) -> None:
    """A measured column (forward_ms, images_per_s) asked for by name needs a bench file."""
    unmeasured = [k for k in keys if k in MEASURED]
    if unmeasured and bench is None:
        raise InputError(f"{unmeasured[0]} is measured, not computed: give --bench FILE (from 'archcalc bench --json')")


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


# (the columns a sentence is about, the sentence): the conventions note says only what the shown columns need
CONVENTIONS = (
    (("macs", "flops", "top1_per_gmac"), "MACs: conv, linear and matrix-product multiply-accumulates"),
    (("flops",), "FLOPs = 2 x MACs"),
    (("activation_bytes", "param_bytes"), "MB = 10^6 bytes"),
    (("activation_bytes",), "act. MB: every layer output once, input apart"),
    (("depth",), "depth: weighted layers on the longest path"),
    (("rf",), "RF: receptive field of the last feature map before global pooling or FC"),
)
FIGURES = ("params", "macs", "flops", "activation_bytes", "param_bytes", "depth", "rf")  # analytic
ACCURACY = ("top1", "top1_per_gmac", "params_per_top1", "top1_source")


def conventions_note(columns=DEFAULT_COLUMNS, batch: int = 1, dtype: str = "float32") -> Optional[str]:
    """What the analytic figures of `columns` count, one sentence; None when no analytic figure is shown."""
    if not any(k in FIGURES for k in columns):
        return None
    scope = "Per image (batch 1)" if batch == 1 else f"Per batch of {batch} images (MACs, FLOPs, act. MB)"
    parts = [text for keys, text in CONVENTIONS if any(k in columns for k in keys)]
    return f"{scope}, {dtype}. " + "; ".join(parts) + ("." if parts else "")


CONVENTIONS_NOTE = conventions_note()


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


def shown_path(path) -> str:
    """A bench file as notes name it: its folder and name (h200/bench.json), the same wherever the tree is."""
    path = Path(path)
    return f"{path.parent.name}/{path.name}" if path.parent.name else path.name


def bench_note(bench: Optional[Bench], bench_batch: int, bench_dtype: str) -> str:
    if bench is None:
        return "fwd ms: not measured here (give --bench FILE, from 'archcalc bench --json')."
    return (f"fwd ms: median forward time of a batch of {bench_batch}, {bench_dtype}, measured on "
            f"{bench.device_name or 'an unnamed device'} ({bench.device}), from {shown_path(bench.path)}; "
            "img/s: images per second at that batch; empty where the file has no such result.")


def notes(rows: list, bench: Optional[Bench], bench_batch: int, bench_dtype: str, columns=DEFAULT_COLUMNS,
          batch: int = 1, dtype: str = "float32") -> list:
    """The conventions and sources a reader needs beside the table, one sentence each, for the shown
    `columns` only."""
    lines = [conventions_note(columns, batch, dtype)]
    if any(k in ACCURACY for k in columns):
        lines += accuracy_notes(rows)
    if any(k in MEASURED for k in columns):
        lines.append(bench_note(bench, bench_batch, bench_dtype))
    return [line for line in lines if line]


def to_records(columns: list, rows: list, batch: int = 1, dtype: str = "float32") -> dict:
    """The JSON document of a comparison (schema 1): raw figures in base units, null where missing."""
    return {"schema": 1, "kind": "compare", "batch": batch, "dtype": dtype,
            "columns": {k: {"header": header(k, batch), "unit": COLUMNS[k].unit} for k in columns},
            "models": [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()}
                       for r in rows]}
