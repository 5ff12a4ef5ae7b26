"""`archcalc summary` as a Table: one row per layer (or block), the totals with their units, the notes."""

from __future__ import annotations

from dataclasses import dataclass, field as dataclass_field
from typing import Callable, Optional

from ..core.report import Report, fold, json_value
from ..errors import InputError
from .numbers import axes, exact, field, megabytes, si
from .tables import Table


@dataclass(frozen=True)
class Column:
    """A column of the summary: its header, how a row shows it, and its figure in base units (csv)."""

    header: str
    show: Callable  # (row, context) -> text
    figure: Callable  # (row, context) -> a number in base units, or text
    numeric: bool = True


def _rf_figure(rf):
    if rf is None:
        return None
    return "global" if rf.is_global else rf.size[0] if len(set(rf.size)) == 1 else field(rf)


# key (what --columns takes, and the csv header) -> Column; b: batch, n: bytes per element, k: kernels by name
COLUMNS = {
    "layer": Column("layer", lambda r, c: r.name, lambda r, c: r.name, False),
    "kind": Column("kind", lambda r, c: f"{r.kind} ({r.layers})" if r.kind == "block" else r.kind,
                   lambda r, c: r.kind, False),
    "output": Column("output", lambda r, c: c.shape(r.out_shape), lambda r, c: c.shape(r.out_shape), False),
    "kernel": Column("kernel", lambda r, c: c.kernels.get(r.name, ""), lambda r, c: c.kernels.get(r.name, ""), False),
    "params": Column("params", lambda r, c: exact(r.params), lambda r, c: json_value(r.params)),
    "macs": Column("MACs", lambda r, c: exact(r.macs * c.batch), lambda r, c: json_value(r.macs * c.batch)),
    "flops": Column("FLOPs", lambda r, c: exact(2 * r.macs * c.batch), lambda r, c: json_value(2 * r.macs * c.batch)),
    "other_ops": Column("other ops", lambda r, c: exact(r.other_ops * c.batch),
                        lambda r, c: json_value(r.other_ops * c.batch)),
    "activation_bytes": Column("act. MB", lambda r, c: megabytes(r.activation_elems * c.batch * c.nbytes),
                               lambda r, c: json_value(r.activation_elems * c.batch * c.nbytes)),
    "rf": Column("RF", lambda r, c: field(r.rf), lambda r, c: _rf_figure(r.rf)),
    "arithmetic": Column("arithmetic", lambda r, c: r.derivation, lambda r, c: r.derivation, False),
}
DEFAULT_COLUMNS = ("layer", "kind", "output", "kernel", "params", "macs", "activation_bytes", "rf", "arithmetic")
# what stays when the terminal is narrow, most needed first; the arithmetic goes first
KEEP = ("layer", "params", "macs", "output", "kind", "activation_bytes", "kernel", "flops", "other_ops", "rf")


@dataclass(frozen=True)
class Context:
    batch: int
    nbytes: int
    kernels: dict  # layer name -> 'k3 s2 g32'
    shapes: dict = dataclass_field(default_factory=dict)  # shape -> its text: printed once (a third of a long table's time)

    def shape(self, shape) -> str:
        text = self.shapes.get(shape)
        if text is None:
            text = self.shapes[shape] = str(shape)
        return text


def kernel_text(attrs) -> str:
    """A windowed layer's kernel, stride, dilation and groups as 'k3 s2 d2 g32' (stride, dilation and
    groups only when not 1); '' for a layer without a kernel."""
    kernel = getattr(attrs, "kernel", None)
    if kernel is None:
        return ""
    def pair(v):
        return tuple(v) if isinstance(v, (tuple, list)) else (v,)
    parts = [f"k{axes(pair(kernel))}"]
    for letter, name in (("s", "stride"), ("d", "dilation")):
        value = getattr(attrs, name, None)
        if value is not None and any(x != 1 for x in pair(value)):
            parts.append(f"{letter}{axes(pair(value))}")
    groups = getattr(attrs, "groups", 1)
    if groups and groups != 1:
        parts.append(f"g{groups}")
    return " ".join(parts)


def kernels(graph) -> dict:
    """Layer name -> kernel_text of its attrs, for the layers that have a kernel."""
    if graph is None:
        return {}
    found = ((layer.name, kernel_text(getattr(layer, "attrs", None))) for layer in graph.layers)
    return {name: text for name, text in found if text}


def column_keys(columns: Optional[str]) -> list:
    """The keys of --columns (comma-separated), checked; the default columns when none are given."""
    keys = [k.strip() for k in columns.split(",") if k.strip()] if columns else list(DEFAULT_COLUMNS)
    for key in keys:
        if key not in COLUMNS:
            import difflib

            close = difflib.get_close_matches(key, COLUMNS, n=1)
            hint = f"; did you mean {close[0]}?" if close else f"; columns: {', '.join(COLUMNS)}"
            raise InputError(f"unknown column '{key}'{hint}")
    return keys


def summary_rows(report: Report, depth=None, keys=DEFAULT_COLUMNS, graph=None, figures=False) -> list:
    """One row per layer, or per block of layers folded at name `depth`: text, or with `figures` base units."""
    context = Context(report.batch, report.bytes_per_element, kernels(graph) if "kernel" in keys else {})
    makers = [COLUMNS[k].figure if figures else COLUMNS[k].show for k in keys]
    return [[make(r, context) for make in makers] for r in fold(report, depth)]


def totals_lines(report: Report) -> list:
    """(label, value) pairs of the totals, with units."""
    t = report.totals
    frozen = t["params"] - t["trainable_params"]
    trainable = f"; trainable {exact(t['trainable_params'])}, frozen {exact(frozen)}" if frozen else ""
    return [
        ("parameters", f"{exact(t['params'])} ({si(t['params'])}; weights {exact(t['weights'])}, "
                       f"biases {exact(t['biases'])}; buffers {exact(t['buffers'])}{trainable})"),
        ("MACs", f"{exact(t['macs'])} ({si(t['macs'])}; conv, linear, matrix products, batch {report.batch})"),
        ("FLOPs", f"{exact(t['flops'])} ({si(t['flops'])}; 2 x MACs)"),
        ("other ops", f"{exact(t['other_ops'])} ({si(t['other_ops'])}; bias, norm, activation, pooling, add)"),
        ("activation memory", f"{megabytes(t['activation_bytes'])} MB (layer outputs, {report.dtype}; "
                              f"input {megabytes(t['input_bytes'])} MB)"),
        ("parameter memory", f"{megabytes(t['param_bytes'])} MB ({report.dtype})"),
        ("depth", f"{t['depth']} (weighted layers on the longest path: conv, linear, attention)"),
    ]


def report_lines(report: Report, extra=()) -> list:
    """The totals, the source, the report's notes, `extra` lines, then the engine's diagnostics (rich markup)."""
    from rich.markup import escape  # a user's text ("[x]" in a spec's note) is shown, not read as markup

    lines = [f"[bold]{label}[/]: {escape(value)}" for label, value in totals_lines(report)]
    if report.source:
        lines.append(f"[bold]source[/]: {escape(report.source)}")
    lines += [f"[bold]note[/]: {escape(note)}" for note in report.notes]
    lines += list(extra)
    for level, where, message in grouped_diagnostics(report):
        style = "yellow" if level == "warning" else "dim"
        lines.append(f"[{style}]{level}[/] {escape(where)}: {escape(message)}")
    return lines


def grouped_diagnostics(report: Report, levels=None) -> list:
    """(level, where, message) once per message of the engine's diagnostics (of `levels`, or all): an SE
    network says its gate note once, for all its gates ('se1.gate and 15 more')."""
    grouped: dict = {}
    for d in report.diagnostics:
        if levels is None or d["level"] in levels:
            grouped.setdefault((d["level"], d["message"]), []).append(d["layer"])
    return [(level, layers[0] if len(layers) == 1 else f"{layers[0]} and {len(layers) - 1} more", message)
            for (level, message), layers in grouped.items()]


def summary_table(report: Report, depth=None, extra=lambda: (), graph=None, keys=DEFAULT_COLUMNS) -> Table:
    """The whole of `archcalc summary`'s output in columns `keys`; `extra` returns lines computed only when
    notes are shown; `graph` gives the kernel column. CSV: the figures in base units (bytes, MACs)."""
    keys = list(keys)
    headers = [COLUMNS[k].header for k in keys]
    return Table(f"{report.model} at {report.input} (batch {report.batch}, {report.dtype})", headers,
                 lambda: summary_rows(report, depth, keys, graph), right=[COLUMNS[k].header for k in keys
                                                                          if COLUMNS[k].numeric],
                 notes=lambda: report_lines(report, extra()), document=report.to_json,
                 figures=_Figures(keys, lambda: summary_rows(report, depth, keys, graph, figures=True)),
                 keep=[COLUMNS[k].header for k in KEEP if k in keys])


class _Figures:
    """(header, rows) as a pair whose rows are computed when csv asks: a 12,000-layer network's rows cost
    what the table's do, and json needs neither."""

    def __init__(self, header, rows):
        self.header, self._rows = header, rows

    def __len__(self):
        return 2

    def __getitem__(self, i):
        return (self.header, self._rows())[i]

    def __iter__(self):
        return iter((self.header, self._rows()))
