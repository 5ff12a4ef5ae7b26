"""The typer app and the error helpers every command module uses."""

from __future__ import annotations

from contextlib import contextmanager

import typer

from ..errors import ArchcalcError

app = typer.Typer(
    name="archcalc",
    help="What a convolutional network costs, layer by layer: output sizes, parameters, MACs, memory, "
         "receptive fields. MACs count conv + linear multiply-accumulates; FLOPs = 2 x MACs; MB = 10^6 bytes.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # click's plain help: wrapped to the terminal, and --help no longer loads rich
    context_settings={"max_content_width": 120},
)


@app.callback()
def archcalc() -> None:
    # a callback (its help is the app's) keeps `archcalc` a group of commands even when only the one
    # invoked is loaded
    return None


def fail(message: str) -> None:
    """Print one line on stderr and exit with code 2."""
    typer.echo(f"archcalc: error: {message}", err=True)
    raise typer.Exit(2)


@contextmanager
def reporting_errors():
    """Turn an ArchcalcError into one line on stderr and exit code 2."""
    try:
        yield
    except ArchcalcError as err:
        fail(str(err))
