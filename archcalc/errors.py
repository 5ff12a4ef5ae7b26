"""One exception family. The CLI catches ArchcalcError in one place and prints its message as one line."""

from __future__ import annotations


class ArchcalcError(Exception):
    """Base of every error archcalc reports to a user (exit code 2 in the CLI)."""


class UnknownModelError(ArchcalcError):
    """A zoo name that does not exist; the message carries the closest names."""


class InputError(ArchcalcError):
    """A malformed command-line value: an input size, a batch, a dtype."""


class ShapeError(ArchcalcError):
    """A layer that cannot be applied to its input (kernel larger than input, channels that differ)."""


class SpecError(ArchcalcError):
    """A malformed architecture spec (file, line and key named in the message)."""


class GraphError(ArchcalcError):
    """A graph that is not well formed: unknown input names, duplicate layer names, unknown kinds."""


class UnsupportedOperations(GraphError):
    """Operations a model uses that the PyTorch importer does not know: one line each (`lines`), printed as
    one error line each, never joined into one."""

    def __init__(self, lines):
        self.lines = tuple(lines)
        super().__init__("\n".join(self.lines))
