"""archcalc rf SPEC: receptive field, jump, start and effective padding per layer, for a stack, a layer list,
a zoo model or a spec file; for a stack, the comparison with one kernel of the same field; --empirical
measures the field on the real torch model."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from .base import app, reporting_errors
from .options import Format, FormatOpt, InputOpt, JsonOpt, TableFormat

SPEC_HELP = ("A stack KHxKW[xN] (3x3x3: three 3x3 convs, stride 1, size-keeping padding; input CxHxW by "
             "default), a layer list (conv11s4,pool3s2,conv5p2,conv3d2: kernel, s stride, p padding, "
             "d dilation, *N repeat; input Cx224x224 by default), a zoo name (archcalc list) or a spec file.")


@app.command(short_help="Receptive field per layer of a stack, a layer list, a model or a spec.")
def rf(
    spec: Annotated[str, typer.Argument(help=SPEC_HELP)],
    input: InputOpt = None,
    layer: Annotated[Optional[str], typer.Option(
        "--layer", "-l", help="Report the field at this layer, or at the last layer of this block (a name prefix "
                              "such as layer1 or features); default: the last layer.")] = None,
    empirical: Annotated[bool, typer.Option(
        "--empirical", help="Also measure the field on the real torch model (needs torch): the non-zero "
                            "gradient of one output unit, with positive weights so nothing cancels.")] = False,
    all_layers: Annotated[bool, typer.Option(
        "--all", "-a", help="List every layer, not only those that change the field.")] = False,
    json: JsonOpt = False,
    format: FormatOpt = TableFormat.table,
) -> None:
    """Receptive fields: size, jump (effective stride), start (centre of the first unit's field) and effective
    padding, in input pixels, per axis. Merges take the union of their branches' fields; unequal jumps are
    reported."""
    from ..analyses.receptive_field import analyse
    from ..output.receptive_field import field_table
    from ..output.tables import emit

    with reporting_errors():
        analysis = analyse(spec, input, layer)
        measured = _measure(analysis, input) if empirical else None
    emit(Format.json if json else format, field_table(analysis, all_layers, measured))
    raise typer.Exit(0 if measured is None or measured.agrees else 1)


def _measure(analysis, input: Optional[str]):
    """The empirical field (imports torch)."""
    from ..errors import InputError

    try:
        from ..pytorch.empirical_field import measure_field
    except ImportError as err:  # pragma: no cover - torch missing
        raise InputError(f"--empirical needs torch ({err}); install archcalc[torch]") from None
    return measure_field(*analysis.measurement(input))
