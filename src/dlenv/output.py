"""Writing generated files: stdout for '-', otherwise atomically, and never over a file without --force."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from pathlib import Path

from dlenv.errors import InputError


def write_output(text: str, destination: str | None, *, force: bool = False) -> None:
    if destination in (None, "-"):
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    path = Path(destination)
    if path.exists() and not force:
        raise InputError("file exists", path=path, fix="pass --force to overwrite it, or choose another -o path")
    directory = path.parent if str(path.parent) else Path(".")
    try:
        descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        raise InputError(
            f"cannot write here: {error.strerror or error}", path=path, fix="choose a writable -o path"
        ) from None
    try:
        # mkstemp creates the file 0600; give it the mode a plain open() would (or keep the replaced file's)
        os.fchmod(descriptor, path.stat().st_mode & 0o7777 if path.exists() else 0o666 & ~_umask())
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
