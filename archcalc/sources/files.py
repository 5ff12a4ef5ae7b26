"""Reading a user's files safely: regular files only (a FIFO or a device would block or never end), a size
cap, UTF-8, and every failure one ArchcalcError naming the file."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from ..errors import ArchcalcError, SpecError
from ..limits import MAX_FILE_BYTES


def read_text_file(path: str, what: str, error=SpecError) -> str:
    """The UTF-8 text of a regular file of at most MAX_FILE_BYTES; a SpecError naming the file otherwise.

    A FIFO, a device (a link to /dev/zero) or a folder is refused before it is opened: reading one blocks
    or never ends.
    """
    file = Path(path)
    try:
        info = file.stat()
    except FileNotFoundError:
        raise error(f"{what} '{path}' not found") from None
    except OSError as err:
        raise error(f"{what} '{path}': cannot read: {err.strerror}") from None
    if stat.S_ISDIR(info.st_mode):
        raise error(f"{what} '{path}' is a directory")
    if not stat.S_ISREG(info.st_mode):
        raise error(f"{what} '{path}' is not a regular file (a pipe or a device?)")
    if info.st_size > MAX_FILE_BYTES:
        raise error(f"{what} '{path}' is {info.st_size:,} bytes; archcalc reads files up to "
                        f"{MAX_FILE_BYTES:,} bytes")
    try:
        with open(file, "rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise error(f"{path}: not UTF-8 text") from None
    except OSError as err:
        raise error(f"{path}: cannot read: {err.strerror}") from None


def read_json_file(path: str, what: str, error=ArchcalcError):
    """The JSON document of a file read as above; invalid or too deeply nested JSON is one error."""
    text = read_text_file(path, what, error)
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise error(f"{what} {path}: not valid JSON (line {err.lineno}, column {err.colno})") from None
    except RecursionError:
        raise error(f"{what} {path}: nested too deeply to be read") from None
    except ValueError as err:  # e.g. an integer of more than 4300 digits
        raise error(f"{what} {path}: {' '.join(str(err).split())}") from None
