"""Keep archcalc output fresh inside documents: regions between markers are the output of the command they name.

Markdown (any file but .rst):
    <!-- archcalc compare alexnet vgg16 --table -->
    ...generated...
    <!-- /archcalc -->
reStructuredText (.rst), as comments:
    .. archcalc compare alexnet vgg16
    ...generated...
    .. /archcalc

The rule for what goes between the markers: in Markdown, the output of a command asked for Markdown
(`--table`, `--format markdown`, `-f markdown`) is inserted raw, so that it renders as a table; any other
output is fenced as a ```text code block. In reST, every output is a `.. code-block:: text` (reST cannot
render a Markdown table). The command runs in-process through archcalc.cli.run (no shell) at a fixed
width of 160 columns, so that the region does not depend on the terminal that refreshes it, and in the
document's folder: paths in a marker's command are relative to the document, not to where embed runs.
"""

from __future__ import annotations

import io
import os
import re
import shlex
import stat
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass

from ..errors import ArchcalcError
from ..output.files import write_atomic

WIDTH = 160  # columns the embedded commands render at
FIXED_ENV = {"COLUMNS": str(WIDTH), "LINES": "50", "NO_COLOR": "1", "TERM": "dumb"}
MARKDOWN_FLAGS = ("--table", "--format=markdown", "-fmarkdown")
MARKDOWN_OPTION = ("--format", "-f")
WRITING_COMMANDS = ("embed", "report", "plot")  # commands that write files: never run from a region
WRITING_OPTIONS = ("--out", "-o", "--plot")  # options that make a command write a file


class EmbedError(ArchcalcError):
    """A malformed marker, or an embedded command that fails; the message names the file and line."""


@dataclass(frozen=True)
class Region:
    """One marked region: the command's arguments, the marker lines (1-based) and the current content."""

    path: str
    args: tuple
    open_line: int
    close_line: int
    content: str  # the lines between the markers, joined with their newlines

    @property
    def command(self) -> str:
        return "archcalc " + " ".join(shlex.quote(a) for a in self.args)


@dataclass(frozen=True)
class Syntax:
    opening: re.Pattern
    closing: re.Pattern
    any_marker: re.Pattern  # something that looks like a marker, to catch malformed ones


MARKDOWN = Syntax(re.compile(r"^\s*<!--\s*archcalc\s+(?P<args>.*?)\s*-->\s*$"),
                  re.compile(r"^\s*<!--\s*/archcalc\s*-->\s*$"),
                  re.compile(r"^\s*<!--\s*/?archcalc\b"))
REST = Syntax(re.compile(r"^\.\. archcalc\s+(?P<args>\S.*?)\s*$"),
              re.compile(r"^\.\. /archcalc\s*$"),
              re.compile(r"^\.\.\s+/?archcalc\b"))


FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")


def syntax_for(path) -> Syntax:
    return REST if str(path).lower().endswith(".rst") else MARKDOWN


def find_regions(path, text: str) -> list:
    """Every marked region of `text`, in order; a malformed or unbalanced marker raises EmbedError.

    In Markdown, a line inside a code fence is never a marker, inside a region as well as outside it: an
    example in a code block is not a region, and fenced output that happens to hold a marker cannot end its
    region early. A fence that is never closed is an error, since it would hide every marker after it.
    """
    syntax = syntax_for(path)
    lines = text.splitlines(keepends=True)
    regions, opened, fence = [], None, None
    for number, line in enumerate(lines, start=1):
        if syntax is MARKDOWN:
            fence, inside = _fence_state(fence, line, number)
            if inside:
                continue
        opening, closing = syntax.opening.match(line), syntax.closing.match(line)
        if opening:
            if opened is not None:
                raise EmbedError(f"{path}:{number}: a marker opens inside the region opened at line {opened[0]}; "
                                 "close that one first with its /archcalc marker")
            opened = (number, _command(path, number, opening.group("args")))
        elif closing:
            if opened is None:
                raise EmbedError(f"{path}:{number}: a closing /archcalc marker without an opening one")
            start, args = opened
            regions.append(Region(str(path), args, start, number, "".join(lines[start:number - 1])))
            opened = None
        elif syntax.any_marker.search(line):
            raise EmbedError(f"{path}:{number}: malformed archcalc marker: {line.strip()!r}")
    if fence is not None:
        raise EmbedError(f"{path}:{fence[1]}: the code fence opened here is never closed (it would hide the "
                         "regions after it)")
    if opened is not None:
        raise EmbedError(f"{path}:{opened[0]}: the region opened here has no closing /archcalc marker")
    return regions


def _fence_state(fence, line: str, number: int) -> tuple:
    """(the open fence (marker, line) or None after `line`, whether `line` belongs to a code block)."""
    mark = FENCE.match(line)
    if fence is None:
        return ((mark.group(1), number), True) if mark else (None, False)
    closes = mark and mark.group(1)[0] == fence[0][0] and len(mark.group(1)) >= len(fence[0]) \
        and not line.strip()[len(mark.group(1)):]
    return (None if closes else fence), True


def _command(path, number: int, text: str) -> tuple:
    """The arguments of a marker's command; commands that write files are refused (a region only reads)."""
    try:
        args = tuple(shlex.split(text))
    except ValueError as err:
        raise EmbedError(f"{path}:{number}: cannot split the command of the marker ({err})") from None
    if not args:
        raise EmbedError(f"{path}:{number}: the marker names no command, e.g. 'archcalc compare vgg16'")
    if args[0] in WRITING_COMMANDS:
        raise EmbedError(f"{path}:{number}: a region cannot run '{args[0]}', which writes files; regions run "
                         "commands that only print")
    writes = [a for a in args if a.split("=", 1)[0] in WRITING_OPTIONS]
    if writes:
        raise EmbedError(f"{path}:{number}: a region cannot use {writes[0].split('=', 1)[0]}, which writes a "
                         "file; regions run commands that only print")
    return args


def wants_markdown(args) -> bool:
    """True when the command is asked for Markdown output (inserted raw in a Markdown file)."""
    args = list(args)
    if any(a in MARKDOWN_FLAGS for a in args):
        return True
    return any(a in MARKDOWN_OPTION and b == "markdown" for a, b in zip(args, args[1:]))


def capture(args, cwd=None) -> tuple:
    """(exit code, stdout, stderr) of `archcalc ARGS`, run in-process at a fixed width, without colour, in the
    folder `cwd` (default: the current one), so that its relative paths are read from there."""
    from ..cli import run

    out, err = io.StringIO(), io.StringIO()
    saved = {k: os.environ.get(k) for k in FIXED_ENV}
    here = os.getcwd()
    os.environ.update(FIXED_ENV)
    try:
        if cwd is not None:
            os.chdir(cwd)
        with redirect_stdout(out), redirect_stderr(err):
            code = run(list(args))
    finally:
        os.chdir(here)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return code, out.getvalue(), err.getvalue()


def run_command(region: Region) -> str:
    """The stdout of the region's command, run in the document's folder: a relative path in it (a spec file, a
    bench file) is read relative to the document, wherever embed runs from. A failure raises EmbedError naming
    the file and line."""
    code, out, err = capture(region.args, os.path.dirname(os.path.abspath(region.path)))
    if code != 0:
        message = err.strip().splitlines()
        detail = message[-1] if message else f"exit code {code}"
        raise EmbedError(f"{region.path}:{region.open_line}: '{region.command}' failed: {detail}")
    return out


def block(region: Region, output: str) -> str:
    """What goes between the markers: raw Markdown, a fenced text block, or a reST code block."""
    output = "\n".join(line.rstrip() for line in output.rstrip("\n").splitlines()) + "\n"
    if syntax_for(region.path) is REST:
        body = "".join(f"   {line}\n" if line else "\n" for line in output.splitlines())
        return f"\n.. code-block:: text\n\n{body}\n"
    if wants_markdown(region.args) and not any(MARKDOWN.any_marker.search(line) for line in output.splitlines()):
        return output  # raw, unless a line of it would read as a marker: then it is fenced like any output
    fence = "```"
    while fence in output:  # an output that holds a fence gets a longer one
        fence += "`"
    return f"{fence}text\n{output}{fence}\n"


def refresh_text(path, text: str) -> tuple:
    """(new text, stale regions): `text` with every region replaced by fresh output."""
    regions = find_regions(path, text)
    lines = text.splitlines(keepends=True)
    crlf = "\r\n" in text  # a CRLF document gets CRLF regions: no mixed line endings
    stale, pieces, cursor = [], [], 0
    for region in regions:
        fresh = block(region, run_command(region))
        if crlf:
            fresh = fresh.replace("\n", "\r\n")
        if fresh != region.content:
            stale.append(region)
        pieces += lines[cursor:region.open_line]
        pieces.append(fresh)
        cursor = region.close_line - 1
    pieces += lines[cursor:]
    return "".join(pieces), stale


def read_document(path) -> str:
    try:
        with open(path, encoding="utf-8", newline="") as handle:  # keep the file's own line endings
            return handle.read()
    except FileNotFoundError:
        raise EmbedError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as err:
        raise EmbedError(f"{path}: cannot be read ({err})") from None


def embed(paths, check: bool = False) -> list:
    """Refresh every region of every file (or, with check, only find the stale ones). Returns stale regions.

    All files are read and every command run before anything is written, so a failure leaves every file as
    it was.
    """
    updates, stale = [], []
    for path in paths:
        text = read_document(path)
        new, stale_here = refresh_text(path, text)
        stale += stale_here
        if new != text:
            updates.append((path, new))
    if not check:
        for path, _ in updates:
            _check_writable(path)
        for path, new in updates:
            write_atomic(path, new)  # follows a symbolic link, keeps hard links (output/files.py)
    return stale


def _check_writable(path) -> None:
    """A document marked read-only (no write permission bit) is not rewritten, even by root."""
    if not os.stat(path).st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        raise EmbedError(f"{path}: the file is read-only; not changed (make it writable to refresh it)")
