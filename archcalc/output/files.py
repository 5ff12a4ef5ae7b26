"""The one way archcalc writes a file: atomically, so a reader never sees half a document or half a plot.

The content goes to a temporary file in the target's folder (the same file system, so the rename is atomic),
is flushed to disk, and replaces the target in one os.replace. An existing target keeps its permissions; a
new one gets those of a plain open() (0o666 less the umask). On any failure the temporary file is removed
and the target is left as it was. Links are kept: a symbolic link's target is written, a hard-linked file
is rewritten in place.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Union

from ..errors import ArchcalcError


def _temporary(path: Path) -> tuple:
    """(descriptor, path) of a new hidden file beside `path`, created with the mode a plain open() gives."""
    mode = path.stat().st_mode & 0o7777 if path.exists() else 0o666
    while True:
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:  # pragma: no cover - a 32-bit name collision
            continue
        if path.exists():  # the umask applies to new files only: an existing target keeps its mode
            os.chmod(tmp, mode)
        return fd, tmp


class FileWriteError(ArchcalcError):
    """A file that cannot be written: a folder in the way, no permission, a name too long, a full disk."""


def write_atomic(path, content: Union[str, bytes]) -> None:
    """Write `content` (text as UTF-8, line endings as given; or bytes) to `path` atomically.

    A symbolic link is followed: its target gets the content and the link stays. A file with other hard
    links is rewritten in place (not atomically), so that every name keeps seeing the same file. Every
    failure is a one-line FileWriteError naming the path; the target is then as it was.
    """
    shown = path
    path = Path(os.path.realpath(path))
    data = content.encode("utf-8") if isinstance(content, str) else content
    try:
        if path.is_dir():
            raise FileWriteError(f"cannot write {shown}: it is a folder")
        if path.exists() and path.stat().st_nlink > 1:
            _write_in_place(path, data)
            return
        fd, tmp = _temporary(path)
    except OSError as err:
        raise FileWriteError(f"cannot write {shown}: {err.strerror or err}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise FileWriteError(f"cannot write {shown}: {err.strerror or err}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _write_in_place(path: Path, data: bytes) -> None:
    with open(path, "r+b") as handle:
        handle.write(data)
        handle.truncate()
        handle.flush()
        os.fsync(handle.fileno())
