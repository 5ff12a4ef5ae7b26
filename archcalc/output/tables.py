"""Number formatting and the renderers of reports: rich tables for people, Markdown and CSV for documents."""

from __future__ import annotations

import csv
import io

from ..conventions import MB
from ..core.report import Report, fold
from ..core.shape import fmt_dim, to_plain


def si(value, unit: str = "") -> str:
    """1234567 -> '1.23M' (powers of 1000; K, M, G, T); a symbolic value as its formula."""
    value = to_plain(value)
    if not isinstance(value, (int, float)):
        return fmt_dim(value)
    for factor, prefix in ((10**12, "T"), (10**9, "G"), (10**6, "M"), (10**3, "K")):
        if abs(value) >= factor:
            return f"{value / factor:.2f}{prefix}{unit}"
    return f"{value:g}{unit}" if isinstance(value, float) else f"{value}{unit}"


def exact(value) -> str:
    """An integer with thousands separators; a symbolic value as its formula."""
    value = to_plain(value)
    return f"{value:,}" if isinstance(value, int) else fmt_dim(value)


def megabytes(nbytes) -> str:
    """Bytes as MB (10^6), two decimals; a formula as it is."""
    nbytes = to_plain(nbytes)
    if isinstance(nbytes, int):
        return f"{nbytes / MB:,.2f}"
    return fmt_dim(nbytes / MB)


def rf_text(rf) -> str:
    if rf is None:
        return ""
    if rf.is_global:
        return "global"
    return "x".join(str(s) for s in rf.size) if len(set(rf.size)) > 1 else str(rf.size[0])


COLUMNS = ("layer", "kind", "output", "params", "MACs", "act. MB", "RF", "arithmetic")


def summary_rows(report: Report, depth=None) -> list:
    """Rows of plain strings for any renderer."""
    b, nbytes = report.batch, report.bytes_per_element
    rows = []
    for r in fold(report, depth):
        kind = f"{r.kind} ({r.layers})" if r.kind == "block" else r.kind
        rows.append([r.name, kind, str(r.out_shape), exact(r.params), exact(r.macs * b),
                     megabytes(r.activation_elems * b * nbytes), rf_text(r.rf), r.derivation])
    return rows


def totals_lines(report: Report) -> list:
    """(label, value) pairs of the totals, with units."""
    t = report.totals
    return [
        ("parameters", f"{exact(t['params'])} ({si(t['params'])}; weights {exact(t['weights'])}, "
                       f"biases {exact(t['biases'])}; buffers {exact(t['buffers'])})"),
        ("MACs", f"{exact(t['macs'])} ({si(t['macs'])}; conv + linear, batch {report.batch})"),
        ("FLOPs", f"{exact(t['flops'])} ({si(t['flops'])}; 2 x MACs)"),
        ("other ops", f"{exact(t['other_ops'])} ({si(t['other_ops'])}; bias, norm, activation, pooling, add)"),
        ("activation memory", f"{megabytes(t['activation_bytes'])} MB (layer outputs, {report.dtype}; "
                              f"input {megabytes(t['input_bytes'])} MB)"),
        ("parameter memory", f"{megabytes(t['param_bytes'])} MB ({report.dtype})"),
        ("depth", f"{t['depth']} (conv and linear layers on the longest path)"),
    ]


def to_markdown(header, rows) -> str:
    """A GitHub Markdown table; pipes in cells are escaped."""
    def cell(text) -> str:
        return str(text).replace("|", "\\|")
    lines = ["| " + " | ".join(cell(h) for h in header) + " |",
             "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def to_csv(header, rows) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def rich_table(title: str, header, rows, right=()):
    """A rich Table; columns named in `right` are right-aligned."""
    from rich.table import Table

    table = Table(title=title, title_justify="left", header_style="bold")
    for h in header:
        table.add_column(h, justify="right" if h in right else "left", overflow="fold")
    for row in rows:
        table.add_row(*[str(c) for c in row])
    return table


def console():
    """A rich console; wide enough for the per-layer tables when output goes to a file or a pipe."""
    import shutil

    from rich.console import Console

    width = shutil.get_terminal_size((200, 40)).columns
    return Console(width=max(width, 160)) if not __import__("sys").stdout.isatty() else Console()
