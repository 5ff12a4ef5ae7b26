"""Models side by side: one row of figures per model, published accuracy beside them, writers for documents.

Every figure is per image (batch 1) at the model's default input (or the one asked for), float32:
- params: trainable weights + biases; macs: conv + linear multiply-accumulates; flops = 2 x macs;
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

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from ..conventions import MB
from ..errors import ArchcalcError, InputError
from .accuracy import accuracy
from ..core.shape import is_symbolic


class BenchFileError(ArchcalcError):
    """A bench JSON that cannot be read, or that is not what `archcalc bench --json` writes."""


@dataclass(frozen=True)
class Column:
    """A column of the comparison: key (machine formats, --columns, --sort), header for people, unit."""

    key: str
    header: str
    unit: str
    higher_is_better: Optional[bool] = None  # for ranks; None: not a merit


COLUMNS = {c.key: c for c in (
    Column("model", "model", ""),
    Column("input", "input", "CxHxW"),
    Column("params", "params (M)", "parameters"),
    Column("macs", "GMACs", "multiply-accumulates", False),
    Column("flops", "GFLOPs", "floating-point operations (2 x MACs)", False),
    Column("activation_bytes", "act. MB/img", "bytes", False),
    Column("param_bytes", "param MB", "bytes", False),
    Column("depth", "depth", "weighted layers"),
    Column("rf", "RF px", "input pixels"),
    Column("forward_ms", "fwd ms", "milliseconds", False),
    Column("images_per_s", "img/s", "images per second", True),
    Column("top1", "top-1 %", "percent", True),
    Column("top1_per_gmac", "top-1 %/GMAC", "percent per GMAC", True),
    Column("params_per_top1", "M params/top-1 pt", "parameters per percent", False),
    Column("top1_source", "top-1 source", ""),
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
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BenchFileError(f"{where}: no such file") from None
    except (OSError, UnicodeDecodeError) as err:
        raise BenchFileError(f"{where}: cannot be read ({err})") from None
    except json.JSONDecodeError as err:
        raise BenchFileError(f"{where}: not valid JSON (line {err.lineno}, column {err.colno})") from None
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
    """Largest per-axis size of the last receptive field that is not yet global (input pixels)."""
    for layer in reversed(report.layers):
        if layer.rf is not None and not layer.rf.is_global:
            return max(int(s) for s in layer.rf.size)
    return None


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


def fixed(value: float, decimals: int = 2) -> str:
    """A number with `decimals` decimals, more for small values so that two significant digits show."""
    if value and abs(value) < 10 ** (1 - decimals):
        decimals = min(6, 1 - math.floor(math.log10(abs(value))))
    return f"{value:,.{decimals}f}"


def cell(key: str, value) -> str:
    """A figure as people read it, in the column's display unit; '' when it does not exist."""
    if value is None:
        return ""
    scale = {"params": 1e6, "macs": 1e9, "flops": 1e9, "params_per_top1": 1e6,
             "activation_bytes": MB, "param_bytes": MB}
    if key in scale:
        return fixed(value / scale[key], 1 if key.endswith("bytes") else 2)
    if key in ("forward_ms", "top1_per_gmac"):
        return fixed(value, 2)
    if key == "images_per_s":
        return f"{value:,.1f}"
    if key == "top1":
        return f"{value:.3f}"
    return str(value)


CONVENTIONS_NOTE = ("Per image (batch 1), float32. MACs: conv + linear multiply-accumulates; FLOPs = 2 x MACs; "
                    "MB = 10^6 bytes; act. MB: every layer output once, input apart; depth: conv + linear "
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


def frame(columns: list, rows: list, human: bool):
    """A pandas DataFrame: raw figures under their keys, or display cells under their headers."""
    import pandas as pd

    if not human:
        return pd.DataFrame([[r[k] for k in columns] for r in rows], columns=columns, dtype=object)
    return pd.DataFrame([[cell(k, r[k]) for k in columns] for r in rows],
                        columns=[COLUMNS[k].header for k in columns])


def to_latex(columns: list, rows: list) -> str:
    """A LaTeX tabular (booktabs rules) through pandas, which needs jinja2."""
    try:
        import jinja2  # noqa: F401  (pandas' LaTeX writer needs it; say so plainly)
    except ImportError:
        raise InputError("--format latex needs jinja2: pip install jinja2") from None
    return frame(columns, rows, human=True).to_latex(index=False, escape=True)


def to_html(columns: list, rows: list) -> str:
    return frame(columns, rows, human=True).to_html(index=False, na_rep="", border=0)


def to_csv(columns: list, rows: list) -> str:
    """Raw figures in base units (parameters, MACs, bytes, ms, percent), empty cells where missing."""
    return frame(columns, rows, human=False).to_csv(index=False, lineterminator="\n")


# --- the lecture's conclusion table, with the figures behind its words -----------------------------------
# criterion -> (what the figure is, unit, the row's value, higher is better)
LECTURE_METRICS = {
    "efficiency": ("top-1 points per million parameters", "%/M params",
                   lambda r: r["top1"] / (r["params"] / 1e6) if r["top1"] is not None else None, True),
    "memory": ("parameters + activations of one image, float32", "MB",
               lambda r: (r["param_bytes"] + r["activation_bytes"]) / MB, False),
    "parameter memory": ("parameters alone, float32", "MB", lambda r: r["param_bytes"] / MB, False),
    "compute": ("conv + linear multiply-accumulates per image", "GMACs", lambda r: r["macs"] / 1e9, False),
    "accuracy": ("ImageNet-1K top-1, torchvision V1 weights", "%", lambda r: r["top1"], True),
    "forward time": ("median forward time per batch, from the bench JSON", "ms", lambda r: r["forward_ms"], False),
}


@dataclass(frozen=True)
class LectureCell:
    """One network on one criterion: the lecture's word, the figure behind it and its rank (1 = best)."""

    network: str
    model: str
    criterion: str
    word: Optional[str]
    gloss: Optional[str]
    value: Optional[float]
    unit: str
    rank: Optional[int]

    def text(self) -> str:
        """'word (gloss) · figure unit · #rank', leaving out what does not exist."""
        parts = [f"{self.word} ({self.gloss})"] if self.word else []
        if self.value is not None:
            parts += [f"{fixed(self.value)} {self.unit}", f"#{self.rank}"]
        return " · ".join(parts)


def ranks(values: dict, higher_is_better: bool) -> dict:
    """Rank 1 = best; equal values share a rank; a missing value gets no rank."""
    known = sorted({v for v in values.values() if v is not None}, reverse=higher_is_better)
    return {k: (1 + sum(1 for u in known if (u > v if higher_is_better else u < v)) if v is not None else None)
            for k, v in values.items()}


def lecture_rows(bench: Optional[Bench] = None, bench_batch: int = 1, bench_dtype: str = "float32") -> dict:
    """The comparison row of each network the lecture rates, keyed by the lecture's name for it."""
    from .accuracy import LECTURE_MODELS

    return {net: model_row(m, bench=bench, bench_batch=bench_batch, bench_dtype=bench_dtype)
            for net, m in LECTURE_MODELS.items()}


def lecture_cells(rows: dict) -> list:
    """Every (network, criterion) of the lecture's conclusion, in the note's order, from lecture_rows()."""
    from .accuracy import LECTURE_CRITERIA, LECTURE_MODELS, LECTURE_WORDS, WORD_LEVELS

    cells = []
    for i, criterion in enumerate(LECTURE_CRITERIA):
        _, unit, figure, higher = LECTURE_METRICS[criterion]
        values = {net: figure(row) for net, row in rows.items()}
        ranked = ranks(values, higher)
        for net, model in LECTURE_MODELS.items():
            word = LECTURE_WORDS[net][i]
            gloss = WORD_LEVELS[word][0] if word else None
            cells.append(LectureCell(net, model, criterion, word, gloss, values[net], unit, ranked[net]))
    return cells


def lecture_checks(rows: dict) -> list:
    """Per criterion, whether the figures order the networks as the lecture's words do, and where not.

    Words are levels on the criterion's own scale (low/little/poor < moderate/medium < high/much/best):
    for any two networks whose words differ, the higher word must go with the larger figure. The note
    rates only VGG's forward time ("the longest"): it must be the slowest of those measured. Memory is
    also checked on parameters alone, the figure the lecture quotes (138M against 60M).
    """
    from .accuracy import LECTURE_CRITERIA, LECTURE_WORDS, WORD_LEVELS

    lines = []
    for criterion in (*LECTURE_CRITERIA[:2], "parameter memory", *LECTURE_CRITERIA[2:]):
        what, unit, figure, _ = LECTURE_METRICS[criterion]
        column = LECTURE_CRITERIA.index("memory" if criterion == "parameter memory" else criterion)
        values = {net: figure(row) for net, row in rows.items()}
        words = {net: LECTURE_WORDS[net][column] for net in rows}
        if criterion == "forward time":
            if all(v is None for v in values.values()):
                lines.append("forward time: not measured (give --bench FILE from 'archcalc bench --json'); "
                             "the lecture calls VGG's the longest.")
                continue
            levels = {net: WORD_LEVELS[w][1] if w else 0 for net, w in words.items() if values[net] is not None}
        else:
            levels = {net: WORD_LEVELS[w][1] for net, w in words.items() if w and values[net] is not None}
        broken = [f"{a} ({words[a] or 'unrated'}) {fixed(values[a])} >= {b} ({words[b]}) {fixed(values[b])}"
                  for a in levels for b in levels if levels[a] < levels[b] and values[a] >= values[b]]
        verdict = "the figures agree with the words" if not broken else "the words do not hold: " + "; ".join(broken)
        lines.append(f"{criterion} ({what}, {unit}): {verdict}.")
    return lines
