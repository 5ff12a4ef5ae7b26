"""`archcalc summary` as a Table: one row per layer (or block), the totals with their units, the notes."""

from __future__ import annotations

from ..core.report import Report, fold
from .numbers import exact, field, megabytes, si
from .tables import Table

COLUMNS = ("layer", "kind", "output", "params", "MACs", "act. MB", "RF", "arithmetic")
RIGHT = ("params", "MACs", "act. MB", "RF")


def summary_rows(report: Report, depth=None) -> list:
    """Rows of plain strings, one per layer, or per block of layers folded at name `depth`."""
    b, nbytes = report.batch, report.bytes_per_element
    rows = []
    for r in fold(report, depth):
        kind = f"{r.kind} ({r.layers})" if r.kind == "block" else r.kind
        rows.append([r.name, kind, str(r.out_shape), exact(r.params), exact(r.macs * b),
                     megabytes(r.activation_elems * b * nbytes), field(r.rf), r.derivation])
    return rows


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
    grouped: dict = {}  # one line per message: an SE network says its gate note once, for all its gates
    for d in report.diagnostics:
        grouped.setdefault((d["level"], d["message"]), []).append(d["layer"])
    for (level, message), layers in grouped.items():
        style = "yellow" if level == "warning" else "dim"
        where = layers[0] if len(layers) == 1 else f"{layers[0]} and {len(layers) - 1} more"
        lines.append(f"[{style}]{level}[/] {escape(where)}: {escape(message)}")
    return lines


def summary_table(report: Report, depth=None, extra=lambda: ()) -> Table:
    """The whole of `archcalc summary`'s output; `extra` returns lines computed only when notes are shown."""
    return Table(f"{report.model} at {report.input} (batch {report.batch}, {report.dtype})", COLUMNS,
                 lambda: summary_rows(report, depth), right=RIGHT,
                 notes=lambda: report_lines(report, extra()), document=report.to_json)
