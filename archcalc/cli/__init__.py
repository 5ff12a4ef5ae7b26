"""The typer app. Commands live in one module each and stay thin: parse, call the library, render.

Errors: every ArchcalcError, and every usage error of the command line, ends as one line on stderr and
exit code 2. Nothing here imports torch.
"""

from __future__ import annotations

import sys
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
)


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


def _register_commands() -> None:
    """Import every module of this package: each registers its command on `app` (one module a command)."""
    import importlib
    import pkgutil

    for module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
        if module != "options":
            importlib.import_module(f"{__name__}.{module}")


_register_commands()


def run(argv=None) -> int:
    """Run the CLI; usage errors become one line on stderr. Returns the exit code."""
    try:  # recent typer vendors click; older releases depend on it
        from typer._click.exceptions import UsageError
    except ImportError:  # pragma: no cover - depends on the installed typer
        from click.exceptions import UsageError

    command = typer.main.get_command(app)
    try:
        result = command.main(args=argv, prog_name="archcalc", standalone_mode=False)
    except typer.Exit as done:
        return done.exit_code
    except UsageError as err:
        if type(err).__name__ == "NoArgsIsHelpError":  # typer has printed the help already
            return 0
        where = f" ({err.ctx.command_path})" if err.ctx is not None else ""
        typer.echo(f"archcalc: error{where}: {err.format_message()}", err=True)
        return 2
    except typer.Abort:
        return 130
    except BrokenPipeError:  # output piped into `head`: not an error of ours
        return 0
    except ArchcalcError as err:
        typer.echo(f"archcalc: error: {err}", err=True)
        return 2
    return result if isinstance(result, int) else 0


def main() -> None:
    sys.exit(run())
