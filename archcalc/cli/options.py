"""Options shared by several commands, with their help text."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from ..output.tables import Format, choices_text, offer  # noqa: F401  (Format re-exported for the commands)

# the formats of every command that prints a table; a command offering more declares its own with offer()
TABLE_FORMATS = (Format.table, Format.markdown, Format.csv, Format.json)
TableFormat = offer("TableFormat", *TABLE_FORMATS)


def format_help(formats) -> str:
    """'table (rich, for people), markdown, csv or json.': the help of a --format offering `formats`."""
    return choices_text(formats, {Format.table: "table (rich, for people)"}) + "."


def format_option(formats) -> typer.Option:
    return typer.Option("--format", "-f", help=format_help(formats))


InputOpt = Annotated[Optional[str], typer.Option(
    "--input", "-i", help="Input size: C, CxL, CxHxW or CxDxHxW, e.g. 3x224x224; letters make it symbolic: 3xHxW.")]
NumericInputOpt = Annotated[Optional[str], typer.Option(
    "--input", "-i", help="Input size in numbers: C, CxL, CxHxW or CxDxHxW, e.g. 3x224x224.")]
BatchOpt = Annotated[int, typer.Option(
    "--batch", "-b", help="Batch size; MACs, ops and activation memory scale with it.")]
DtypeOpt = Annotated[str, typer.Option(
    "--dtype", help="float32, float16, bfloat16 or float64: bytes per element for memory.")]
WideOpt = Annotated[bool, typer.Option(
    "--wide", help="Terminal tables: every column, however wide the table (default: what fits the terminal).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable JSON (schema 1); same as --format json.")]
FormatOpt = Annotated[TableFormat, format_option(TABLE_FORMATS)]

MODEL_HELP = ("a zoo name (archcalc list), a spec file (.yaml, .yml, .toml, .json), an ONNX file (.onnx), "
              "or a PyTorch model: torchvision:NAME[?key=value], timm:NAME, path/to/file.py:callable, "
              "package.module:callable")
KwargsOpt = Annotated[Optional[str], typer.Option(
    "--kwargs", help="Keyword arguments for a PyTorch model's constructor: key=value,key=value "
                     "(e.g. num_classes=10,aux_logits=false); true, false, none and numbers are read as such.")]


def with_kwargs(model: str, kwargs: Optional[str]) -> str:
    """`model` with --kwargs appended as its ?key=value query (a PyTorch source carries its arguments)."""
    if not kwargs:
        return model
    from ..errors import InputError
    from ..sources.torch_models import is_torch_source

    if not is_torch_source(model):
        raise InputError(f"--kwargs is for PyTorch models (torchvision:, timm:, file.py:callable); '{model}' is not one")
    return f"{model}{'&' if '?' in model else '?'}{kwargs.replace(',', '&')}"
