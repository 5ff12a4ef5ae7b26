"""archcalc rf SPEC: receptive field, jump, start and effective padding per layer, for a stack, a layer list,
a zoo model or a spec file; for a stack, the comparison with one kernel of the same field; --empirical
measures the field on the real torch model."""

from __future__ import annotations

import json as jsonlib
from typing import Optional

import typer
from typing import Annotated

from .base import app, reporting_errors
from .options import Format, FormatOpt, InputOpt, JsonOpt

HEADER = ("layer", "kind", "output", "RF", "jump", "start", "eff. pad")
SPEC_HELP = ("A stack KHxKW[xN] (3x3x3: three 3x3 convs, stride 1, size-keeping padding; input CxHxW by "
             "default), a layer list (conv11s4,pool3s2,conv5p2,conv3d2: kernel, s stride, p padding, "
             "d dilation, *N repeat; input Cx224x224 by default), a zoo name (archcalc list) or a spec file.")


@app.command(short_help="Receptive field per layer of a stack, a layer list, a model or a spec.")
def rf(
    spec: Annotated[str, typer.Argument(help=SPEC_HELP)],
    input: InputOpt = None,
    layer: Annotated[Optional[str], typer.Option(
        "--layer", "-l", help="Report the field at this layer (default: the last layer).")] = None,
    empirical: Annotated[bool, typer.Option(
        "--empirical", help="Also measure the field on the real torch model (needs torch): the non-zero "
                            "gradient of one output unit, with positive weights so nothing cancels.")] = False,
    all_layers: Annotated[bool, typer.Option(
        "--all", "-a", help="List every layer, not only those that change the field.")] = False,
    json: JsonOpt = False,
    format: FormatOpt = Format.table,
) -> None:
    """Receptive fields: size, jump (effective stride), start (centre of the first unit's field) and effective
    padding, in input pixels, per axis. Merges take the union of their branches' fields; unequal jumps are
    reported."""
    from ..output.tables import console as make_console, rich_table, to_csv, to_markdown

    with reporting_errors():
        analysis = analyse(spec, input, layer)
        comparison = analysis.comparison()
        measured = measure(analysis, input) if empirical else None
    if json or format == Format.json:
        typer.echo(jsonlib.dumps(to_json(analysis, comparison, measured), indent=1, ensure_ascii=False))
        raise typer.Exit(0 if measured is None or measured.agrees else 1)
    rows = table_rows(analysis, all_layers)
    if format in (Format.markdown, Format.csv):
        render = to_markdown if format == Format.markdown else to_csv
        typer.echo(render(HEADER, rows), nl=False)
        raise typer.Exit(0 if measured is None or measured.agrees else 1)
    console = make_console()
    title = f"receptive fields of {analysis.report.model} at input {analysis.report.input}"
    console.print(rich_table(title, HEADER, rows, right=HEADER[3:]))
    for line in summary_lines(analysis, comparison, measured):
        console.print(line, highlight=False)
    if measured is not None and not measured.agrees:
        raise typer.Exit(1)


class Analysis:
    """What `rf` works on: the parsed stack (or None), the graph, the engine's report, the chosen layer."""

    def __init__(self, spec_text, stack, graph, report, layer, explicit):
        self.spec_text, self.stack, self.graph, self.report = spec_text, stack, graph, report
        self.layer = layer  # the layer whose field is reported: --layer, or the last layer
        self.explicit = explicit  # whether --layer named it

    def last_feature_map(self) -> Optional[str]:
        """The last layer up to the chosen one whose field is local (None when there is none)."""
        local = [s.name for s in self.layers if not s.rf.is_global and s.out_shape.spatial]
        return local[-1] if local else None

    @property
    def layers(self) -> list:
        """The report's layers up to and including the chosen one."""
        out = []
        for s in self.report.layers:
            out.append(s)
            if s.name == self.layer:
                break
        return out

    def comparison(self):
        from ..sources.stack import compare_with_single_kernel

        if self.stack is None or self.layer != self.report.layers[-1].name:
            return None
        return compare_with_single_kernel(self.stack, self.report)


def analyse(spec_text: str, input: Optional[str], layer: Optional[str]) -> Analysis:
    """Parse or resolve the spec and run the engine (no torch)."""
    from ..sources import resolve
    from ..core.engine import propagate
    from ..errors import InputError, UnknownModelError
    from ..sources.stack import build_graph, is_layer_list, is_stack, parse
    from ..core.shape import parse_input

    stack = None
    if is_stack(spec_text) or is_layer_list(spec_text):
        stack = parse(spec_text)
        # a stack keeps its size (stride 1): symbolic H, W read best; a layer list strides, so a number
        x = parse_input(input or ("CxHxW" if stack.form == "stack" else "Cx224x224"))
        graph = build_graph(stack, x.channels)
    else:
        try:
            graph = resolve(spec_text)
        except UnknownModelError as err:
            raise UnknownModelError(f"{err} (or give a stack such as 3x3x3, or a layer list such as "
                                    "conv3,pool2s2)") from None
        x = input
    report = propagate(graph, x)
    names = [s.name for s in report.layers]
    if layer is not None and layer not in names:
        import difflib

        close = difflib.get_close_matches(layer, names, n=3)
        hint = f"; did you mean {' or '.join(close)}?" if close else ""
        raise InputError(f"--layer {layer}: {report.model} has no layer of that name{hint}")
    return Analysis(spec_text, stack, graph, report, layer or names[-1], layer is not None)


def measure(analysis: Analysis, input: Optional[str]):
    """The empirical field (imports torch)."""
    from ..errors import InputError
    from ..sources.stack import build_graph
    from ..core.shape import is_symbolic, parse_input

    try:
        from ..pytorch.empirical_field import measure_field
    except ImportError as err:  # pragma: no cover - torch missing
        raise InputError(f"--empirical needs torch ({err}); install archcalc[torch]") from None
    x = parse_input(input) if input else None
    if x is not None and any(is_symbolic(d) for d in x.as_list()):
        x = None  # a symbolic size cannot run: let the measurement choose one
    if analysis.stack is not None:
        channels = x.channels if x is not None else 3
        model = build_graph(analysis.stack, channels, name=analysis.report.model)
    else:
        model = analysis.spec_text
    # without --layer, measure the last feature map: past global pooling there is no field to measure
    layer = analysis.layer if analysis.explicit else analysis.last_feature_map()
    return measure_field(model, layer, tuple(x.as_list()) if x is not None else None)


def _axes(values) -> str:
    """(7, 7) -> '7'; (7, 5) -> '7x5'; floats as short as they go."""
    text = [_num(v) for v in values]
    return text[0] if len(set(text)) == 1 else "x".join(text)


def _num(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}" if not value.is_integer() else str(int(value))
    return str(value)


def table_rows(analysis: Analysis, all_layers: bool) -> list:
    """One row per layer that changes the field or merges (every layer with all_layers), and the last."""
    fields = {"input": None}
    rows = []
    layers = analysis.layers
    for i, s in enumerate(layers):
        before = [fields.get(n) for n in s.inputs]
        fields[s.name] = s.rf
        changed = len(s.inputs) != 1 or before[0] != s.rf
        if not (all_layers or changed or i == len(layers) - 1):
            continue
        rf = s.rf
        size = "global" if rf.is_global else _axes(rf.size)
        rows.append([s.name, s.kind, str(s.out_shape), size, _axes(rf.jump), _axes(rf.start),
                     _axes(rf.padding)])
    return rows


def summary_lines(analysis: Analysis, comparison, measured) -> list:
    """The final figures, the comparison and the measurement, as rich markup lines."""
    s = analysis.report.layer(analysis.layer)
    rf = s.rf
    lines = []
    if rf.is_global:
        lines.append(f"[bold]receptive field[/] at {s.name}: the whole input (after global pooling or a "
                     f"fully connected layer)")
        last = analysis.last_feature_map()
        if last is not None:
            s, rf = analysis.report.layer(last), analysis.report.layer(last).rf
    if not rf.is_global:
        size = "x".join(_num(v) for v in rf.size)
        which = " (the last feature map)" if s.name != analysis.layer else ""
        lines.append(f"[bold]receptive field[/] at {s.name}{which}: {size} pixels, jump {_axes(rf.jump)}, "
                     f"start {_axes(rf.start)}, effective padding {_axes(rf.padding)}")
    notes = [d for d in analysis.report.diagnostics if d["level"] == "info" and d["layer"] in
             {x.name for x in analysis.layers}]
    for d in notes:
        lines.append(f"[dim]note[/] {d['layer']}: {d['message']}")
    if comparison is not None:
        lines += comparison_lines(comparison)
    if measured is not None:
        lines += measured_lines(measured)
    return lines


def comparison_lines(c) -> list:
    from ..output.tables import exact

    n = len(c.stack.layers)
    kernel = "x".join(str(k) for k in c.stack.layers[0].kernel)
    head = (f"{n} x {kernel} conv" if c.stack.form == "stack" else f"the {n} convs") + \
        f" against one {c.single.text} (the same field, jump and start), at input {c.input}:"
    ratio = c.weights_per_c2[0] / c.weights_per_c2[1]
    gained = c.nonlinearities[0] - c.nonlinearities[1]
    return [
        f"[bold]{head}[/]",
        f"  weights          {exact(c.weights[0])}  vs  {exact(c.weights[1])}   "
        f"({_num(c.weights_per_c2[0])} C^2 vs {_num(c.weights_per_c2[1])} C^2: {_ratio(ratio)} of the weights)",
        f"  MACs             {exact(c.macs[0])}  vs  {exact(c.macs[1])}",
        f"  non-linearities  {c.nonlinearities[0]}  vs  {c.nonlinearities[1]}   "
        f"({'+' if gained >= 0 else ''}{gained})",
    ]


def _ratio(value) -> str:
    try:
        return f"{float(value):.3g}x"
    except TypeError:
        return str(value)


def measured_lines(m) -> list:
    def pixels(ranges):
        return " x ".join(f"{f}..{e - 1}" for f, e in ranges)

    verdict = "[green]agrees[/]" if m.agrees else "[red]DIFFERS[/]"
    return [
        f"[bold]empirical[/] ({m.source}, float64, input {'x'.join(map(str, m.input))}, unit "
        f"{tuple(m.unit)} of {m.layer}):",
        f"  measured  {'x'.join(map(str, m.measured_size))} (pixels {pixels(m.measured)})",
        f"  analytic  {'x'.join(map(str, m.analytic_size))} (pixels {pixels(m.analytic)})  {verdict}",
    ]


def to_json(analysis: Analysis, comparison, measured) -> dict:
    from ..core.report import json_value

    r = analysis.report
    layers = [{"name": s.name, "kind": s.kind, "inputs": list(s.inputs),
               "output_shape": [json_value(d) for d in s.out_shape.as_list()],
               "receptive_field": s.rf.to_json(), "effective_padding": list(s.rf.padding)}
              for s in analysis.layers]
    final = analysis.report.layer(analysis.layer).rf
    return {
        "schema": 1, "spec": analysis.spec_text, "form": analysis.stack.form if analysis.stack else "model",
        "model": r.model, "input": [json_value(d) for d in r.input.as_list()], "layers": layers,
        "field": {"layer": analysis.layer, **final.to_json(), "effective_padding": list(final.padding)},
        "comparison": comparison.to_json() if comparison is not None else None,
        "empirical": measured.to_json() if measured is not None else None,
        "diagnostics": [dict(d) for d in r.diagnostics],
    }
