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
width of 160 columns, so that the region does not depend on the terminal that refreshes it.
"""

from __future__ import annotations

import io
import os
import re
import shlex
import tempfile
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

from ..errors import ArchcalcError

WIDTH = 160  # columns the embedded commands render at
FIXED_ENV = {"COLUMNS": str(WIDTH), "LINES": "50", "NO_COLOR": "1", "TERM": "dumb"}
MARKDOWN_FLAGS = ("--table", "--format=markdown", "-fmarkdown")
MARKDOWN_OPTION = ("--format", "-f")


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
    """Every marked region of `text`, in order; a malformed or unbalanced marker raises EmbedError."""
    syntax = syntax_for(path)
    lines = text.splitlines(keepends=True)
    regions, opened, fence = [], None, None
    for number, line in enumerate(lines, start=1):
        if opened is None and syntax is MARKDOWN:  # markers shown inside a code block are examples, not regions
            mark = FENCE.match(line)
            if fence is None and mark:
                fence = mark.group(1)
                continue
            if fence is not None:
                if mark and mark.group(1)[0] == fence[0] and len(mark.group(1)) >= len(fence) \
                        and not line.strip()[len(mark.group(1)):]:
                    fence = None
                continue
        opening, closing = syntax.opening.match(line), syntax.closing.match(line)
        if opening:
            if opened is not None:
                raise EmbedError(f"{path}:{number}: a marker opens inside the region opened at line {opened[0]}; "
                                 "close that one first with its /archcalc marker")
            try:
                args = tuple(shlex.split(opening.group("args")))
            except ValueError as err:
                raise EmbedError(f"{path}:{number}: cannot split the command of the marker ({err})") from None
            if not args:
                raise EmbedError(f"{path}:{number}: the marker names no command, e.g. 'archcalc compare vgg16'")
            if args[0] == "embed":
                raise EmbedError(f"{path}:{number}: a region cannot embed the embed command itself")
            opened = (number, args)
        elif closing:
            if opened is None:
                raise EmbedError(f"{path}:{number}: a closing /archcalc marker without an opening one")
            start, args = opened
            regions.append(Region(str(path), args, start, number, "".join(lines[start:number - 1])))
            opened = None
        elif syntax.any_marker.search(line):
            raise EmbedError(f"{path}:{number}: malformed archcalc marker: {line.strip()!r}")
    if opened is not None:
        raise EmbedError(f"{path}:{opened[0]}: the region opened here has no closing /archcalc marker")
    return regions


def wants_markdown(args) -> bool:
    """True when the command is asked for Markdown output (inserted raw in a Markdown file)."""
    args = list(args)
    if any(a in MARKDOWN_FLAGS for a in args):
        return True
    return any(a in MARKDOWN_OPTION and b == "markdown" for a, b in zip(args, args[1:]))


def capture(args) -> tuple:
    """(exit code, stdout, stderr) of `archcalc ARGS`, run in-process at a fixed width, without colour."""
    from ..cli import run

    out, err = io.StringIO(), io.StringIO()
    saved = {k: os.environ.get(k) for k in FIXED_ENV}
    os.environ.update(FIXED_ENV)
    try:
        with redirect_stdout(out), redirect_stderr(err):
            code = run(list(args))
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return code, out.getvalue(), err.getvalue()


def run_command(region: Region) -> str:
    """The stdout of the region's command; a failure raises EmbedError naming the file and line."""
    code, out, err = capture(region.args)
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
    if wants_markdown(region.args):
        return output
    fence = "```"
    while fence in output:  # an output that holds a fence gets a longer one
        fence += "`"
    return f"{fence}text\n{output}{fence}\n"


def refresh_text(path, text: str) -> tuple:
    """(new text, stale regions): `text` with every region replaced by fresh output."""
    regions = find_regions(path, text)
    lines = text.splitlines(keepends=True)
    stale, pieces, cursor = [], [], 0
    for region in regions:
        fresh = block(region, run_command(region))
        if fresh != region.content:
            stale.append(region)
        pieces += lines[cursor:region.open_line]
        pieces.append(fresh)
        cursor = region.close_line - 1
    pieces += lines[cursor:]
    return "".join(pieces), stale


def write_atomic(path, text: str) -> None:
    """Write through a temporary file in the same folder and rename it over `path`."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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
        for path, new in updates:
            write_atomic(path, new)
    return stale
