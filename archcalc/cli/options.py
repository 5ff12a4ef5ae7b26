"""Options shared by several commands, with their help text."""

from __future__ import annotations

from enum import Enum
from typing import Optional

import typer
from typing import Annotated


class Format(str, Enum):
    table = "table"
    markdown = "markdown"
    csv = "csv"
    json = "json"


InputOpt = Annotated[Optional[str], typer.Option(
    "--input", "-i", help="Input size CxHxW, e.g. 3x224x224; letters make it symbolic: 3xHxW.")]
BatchOpt = Annotated[int, typer.Option(
    "--batch", "-b", help="Batch size; MACs, ops and activation memory scale with it.")]
DtypeOpt = Annotated[str, typer.Option(
    "--dtype", help="float32, float16, bfloat16 or float64: bytes per element for memory.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable JSON (schema 1); same as --format json.")]
FormatOpt = Annotated[Format, typer.Option(
    "--format", "-f", help="table (rich, for people), markdown, csv or json.")]
