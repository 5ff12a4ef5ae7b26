"""The command line. Commands live in one module each and stay thin: parse, call the library, emit.

Each module of this package registers its command on the typer app of `base`; `run` imports only the module
of the command it is asked for (all of them for help), so that start-up stays short. Errors: every
ArchcalcError, and every usage error of the command line, ends as one line on stderr and exit code 2.
Nothing here imports torch.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

import typer

from ..errors import ArchcalcError
from .base import error_line, error_lines, fail, reporting_errors  # noqa: F401  (re-exported)

NOT_COMMANDS = {"base", "options"}


def _command_modules() -> dict:
    """{command name: module name}; a module named after a Python builtin carries a _cmd suffix."""
    names = sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name not in NOT_COMMANDS)
    return {name.removesuffix("_cmd"): name for name in names}


def register(command=None):
    """Import the module of `command` (every command module when None or unknown); returns the app."""
    from . import base

    modules = _command_modules()
    wanted = [modules[command]] if command in modules else list(modules.values())
    for module in wanted:
        importlib.import_module(f"{__name__}.{module}")
    # help lists the commands alphabetically, whatever order they were first imported in
    base.app.registered_commands.sort(key=lambda c: c.name or c.callback.__name__)
    return base.app


def __getattr__(name: str):
    if name == "app":  # `from archcalc.cli import app`: the app with every command
        return register()
    raise AttributeError(name)




def run(argv=None) -> int:
    """Run the CLI; usage errors become one line on stderr. Returns the exit code."""
    try:  # recent typer vendors click; older releases depend on it
        from typer._click.exceptions import UsageError
    except ImportError:  # pragma: no cover - depends on the installed typer
        from click.exceptions import UsageError

    argv = sys.argv[1:] if argv is None else list(argv)
    first = argv[0] if argv and not argv[0].startswith("-") else None
    command = typer.main.get_command(register(first))
    try:
        result = command.main(args=argv, prog_name="archcalc", standalone_mode=False)
    except typer.Exit as done:
        return done.exit_code
    except UsageError as err:
        if type(err).__name__ == "NoArgsIsHelpError":  # bare `archcalc` (or a group): its help, exit 0
            typer.echo(err.ctx.get_help() if err.ctx is not None else err.format_message())
            return 0
        where = f" ({err.ctx.command_path})" if err.ctx is not None else ""
        typer.echo(error_line(err.format_message(), where), err=True)
        return 2
    except typer.Abort:
        return 130
    except BrokenPipeError:  # output piped into `head`: not an error of ours
        return 0
    except ArchcalcError as err:
        typer.echo(error_lines(err), err=True)
        return 2
    return result if isinstance(result, int) else 0


def main() -> None:
    sys.exit(run())
