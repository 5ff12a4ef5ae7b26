"""The typer app and the error helpers every command module uses."""

from __future__ import annotations

from contextlib import contextmanager

import typer

from ..errors import ArchcalcError

app = typer.Typer(
    name="archcalc",
    help="What a neural network costs, layer by layer: output sizes, parameters, MACs, memory, "
         "receptive fields. MACs count conv, linear and matrix-product multiply-accumulates; FLOPs = 2 x MACs; "
         "MB = 10^6 bytes.",
    no_args_is_help=True,
    add_completion=True,  # typer's --install-completion and --show-completion (bash, zsh, fish, PowerShell)
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # click's plain help: wrapped to the terminal, and --help no longer loads rich
    context_settings={"max_content_width": 120, "help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"archcalc {version('archcalc')}")
        raise typer.Exit(0)


@app.callback()
def archcalc(version: bool = typer.Option(False, "--version", "-V", callback=_version, is_eager=True,
                                          help="Print archcalc's version and exit.")) -> None:
    # a callback (its help is the app's) keeps `archcalc` a group of commands even when only the one
    # invoked is loaded
    return None


def one_line(text: str) -> str:
    """`text` as one printable line: a newline, a control character, a lone surrogate (anything that would
    break the line, or the terminal's encoding) is written as its escape, so an echoed input stays visible."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape", "backslashreplace").decode("ascii")
                   for c in text)


def error_line(message: str, where: str = "") -> str:
    return f"archcalc: error{where}: {one_line(message)}"


def fail(message: str) -> None:
    """Print one line on stderr and exit with code 2."""
    typer.echo(error_line(message), err=True)
    raise typer.Exit(2)


def error_lines(err: ArchcalcError) -> str:
    """The error as it is printed: one line, or one line per part of an error made of parts (each
    unsupported operation of a PyTorch model)."""
    return "\n".join(error_line(part) for part in getattr(err, "lines", None) or (str(err),))


@contextmanager
def reporting_errors():
    """Turn an ArchcalcError into one line on stderr (one per unsupported operation) and exit code 2."""
    try:
        yield
    except ArchcalcError as err:
        typer.echo(error_lines(err), err=True)
        raise typer.Exit(2) from None


def numeric_input(text, command: str) -> None:
    """InputError unless `text` (an --input value, or None) is a numeric size: `command` draws or runs numbers."""
    if text is None:
        return
    from ..core.shape import is_symbolic, parse_input
    from ..errors import InputError

    shape = parse_input(text)
    if any(is_symbolic(d) for d in shape.as_list()):
        raise InputError(f"--input {text}: {command} needs numeric sizes such as 3x224x224; symbols (3xHxW) "
                         "are for summary and rf")
