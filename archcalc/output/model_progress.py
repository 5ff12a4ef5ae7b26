"""A progress bar on stderr for the jobs that take more than about a second (verify, bench, report): what
runs now, how many of how many, the time so far.

Shown only where stderr is a terminal, and only once the job has run for DELAY seconds; transient (gone when the
job ends, so the terminal keeps the results printed on stdout). Elsewhere (a pipe, a file, the tests) it prints
nothing: stdout stays the table or the JSON, stderr stays the one-line errors.
"""

from __future__ import annotations

import sys
import threading
from contextlib import contextmanager
from typing import Optional

DELAY = 1.0  # seconds before the bar shows: a job quicker than that prints nothing but its results
OTHERS = 45  # columns of the bar beside its text: spinner, a 20-column bar, "57/57", "0:04:31", the gaps


class Steps:
    """What a job says as it runs: now(text, done), the current step (and how many are done, where the job
    counts them); advance(), one step done. This one says nothing (no terminal); the bar below shows it."""

    def now(self, text: str, done: Optional[int] = None) -> None:
        pass

    def advance(self) -> None:
        pass


class _Bar(Steps):
    """rich's Progress on stderr, started by a timer after DELAY seconds unless the job has ended by then."""

    def __init__(self, total: Optional[int]):
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        columns = [SpinnerColumn(), TextColumn("{task.description}", markup=False)]  # names are not markup
        columns += [BarColumn(bar_width=20), MofNCompleteColumn()] if total else []
        self.progress = Progress(*columns, TimeElapsedColumn(), console=Console(stderr=True), transient=True,
                                 redirect_stdout=False)  # stdout is the results', untouched
        self.task = self.progress.add_task("", total=total)
        self.lock = threading.Lock()
        self.closed = False
        self.timer = threading.Timer(DELAY, self._show)
        self.timer.daemon = True
        self.timer.start()

    def _show(self) -> None:
        with self.lock:
            if not self.closed:
                self.progress.start()

    def now(self, text: str, done: Optional[int] = None) -> None:
        room = max(self.progress.console.width - OTHERS, 12)  # the text gives way, the counts stay whole
        text = text if len(text) <= room else text[:room - 1] + "…"
        self.progress.update(self.task, description=text, completed=done)

    def advance(self) -> None:
        self.progress.advance(self.task)

    def close(self) -> None:
        self.timer.cancel()
        with self.lock:
            self.closed = True
            self.progress.stop()  # nothing to undo where it never started


def on_terminal() -> bool:
    try:
        return sys.stderr is not None and sys.stderr.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


@contextmanager
def steps(total: Optional[int] = None):
    """A Steps for the job inside the `with`: a bar of `total` steps (a spinner when None) on a terminal,
    silence elsewhere. The bar stops however the job ends (an error, Ctrl-C) before anything else is printed."""
    if not on_terminal():
        yield Steps()
        return
    bar = _Bar(total)
    try:
        yield bar
    finally:
        bar.close()
