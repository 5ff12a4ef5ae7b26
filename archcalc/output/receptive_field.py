"""`archcalc rf` as a Table: one row per layer that changes the field, and lines with the final field, the
one-kernel comparison and the measurement (rich markup). Reads an archcalc.analyses.receptive_field
FieldAnalysis, a KernelComparison and an EmpiricalField by their attributes."""

from __future__ import annotations

from .numbers import axes, exact, ratio, short
from .tables import Table

HEADER = ("layer", "kind", "output", "RF", "jump", "start", "eff. pad")


def field_rows(layers) -> list:
    """Size, jump, start and effective padding of each layer, one figure per axis where the axes differ."""
    return [[s.name, s.kind, str(s.out_shape), "global" if s.rf.is_global else axes(s.rf.size), axes(s.rf.jump),
             axes(s.rf.start), axes(s.rf.padding)] for s in layers]


def _figure(values):
    """One per-axis figure for CSV: the number when the axes agree, '7x5' when they differ, '' when missing."""
    values = [v for v in values]
    if any(v is None for v in values):
        return ""
    return values[0] if len(set(values)) == 1 else "x".join(str(v) for v in values)


def field_figures(layers) -> list:
    """field_rows in base units for CSV: numbers, not text ('' where a global field has no jump or start)."""
    return [[s.name, s.kind, "x".join(str(d) for d in s.out_shape.as_list()),
             "global" if s.rf.is_global else _figure(s.rf.size), _figure(s.rf.jump), _figure(s.rf.start),
             _figure(s.rf.padding)] for s in layers]


def field_lines(analysis, measured=None) -> list:
    """The final field (the last feature map's where the chosen layer sees the whole input), the engine's
    notes, the comparison with one kernel and the measurement."""
    chosen = analysis.report.layer(analysis.layer)
    lines = []
    if chosen.rf.is_global:
        lines.append(f"[bold]receptive field[/] at {chosen.name}: the whole input (after global pooling, a "
                     f"fully connected layer, attention, or a softmax or mean over positions)")
    s, stands_in = analysis.reported()
    if s is not None and not s.rf.is_global:
        rf = s.rf
        which = " (the last feature map)" if stands_in else \
            (f" (the last layer of block {analysis.block})" if analysis.block and s.name == analysis.layer else "")
        lines.append(f"[bold]receptive field[/] at {s.name}{which}: {'x'.join(short(v) for v in rf.size)} pixels, "
                     f"jump {axes(rf.jump)}, start {axes(rf.start)}, effective padding {axes(rf.padding)}")
    lines += [f"[dim]note[/] {d['layer']}: {d['message']}" for d in analysis.diagnostics()]
    if analysis.comparison is not None:
        lines += comparison_lines(analysis.comparison)
    if measured is not None:
        lines += measured_lines(measured)
    return lines


def comparison_lines(c) -> list:
    """A stack against one kernel of the same field: weights, MACs, non-linearities."""
    n = len(c.stack.layers)
    kernel = "x".join(str(k) for k in c.stack.layers[0].kernel)
    head = (f"{n} x {kernel} conv" if c.stack.form == "stack" else f"the {n} convs") + \
        f" against one {c.single.text} (the same field, jump and start), at input {c.input}:"
    gained = c.nonlinearities[0] - c.nonlinearities[1]
    return [
        f"[bold]{head}[/]",
        f"  weights          {exact(c.weights[0])}  vs  {exact(c.weights[1])}   "
        f"({short(c.weights_per_c2[0])} C^2 vs {short(c.weights_per_c2[1])} C^2: "
        f"{ratio(c.weights_per_c2[0] / c.weights_per_c2[1])} of the weights)",
        f"  MACs             {exact(c.macs[0])}  vs  {exact(c.macs[1])}",
        f"  non-linearities  {c.nonlinearities[0]}  vs  {c.nonlinearities[1]}   "
        f"({'+' if gained >= 0 else ''}{gained})",
    ]


def measured_lines(m) -> list:
    """The measured field against the analytic one, in pixels of the input."""
    def pixels(ranges):
        return " x ".join(f"{f}..{e - 1}" for f, e in ranges)

    verdict = "[green]agrees[/]" if m.agrees else "[red]DIFFERS[/]"
    return [
        f"[bold]empirical[/] ({m.source}, float64, input {'x'.join(map(str, m.input))}, unit "
        f"{tuple(m.unit)} of {m.layer}):",
        f"  measured  {'x'.join(map(str, m.measured_size))} (pixels {pixels(m.measured)})",
        f"  analytic  {'x'.join(map(str, m.analytic_size))} (pixels {pixels(m.analytic)})  {verdict}",
    ]


def field_table(analysis, every: bool = False, measured=None) -> Table:
    """The whole of `archcalc rf`'s output, for emit()."""
    r = analysis.report
    return Table(f"receptive fields of {r.model} at input {r.input}", HEADER,
                 lambda: field_rows(analysis.changes(every)), right=HEADER[3:],
                 notes=lambda: field_lines(analysis, measured), document=lambda: analysis.to_json(measured),
                 figures=(HEADER, field_figures(analysis.changes(every))))
