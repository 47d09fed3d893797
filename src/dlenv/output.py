"""Writing generated files: stdout for '-', otherwise atomically, and never over a file without --force.

What `-o PATH` may name (docs: README "Output files"):

- a new file in an existing directory, or an existing *regular* file with `--force`;
- a symlink is followed, as pip-tools and uv (astral-sh/uv#6485) do: the file it points to is replaced and the link
  stays; a symlink that points to nothing is refused, since following it would create a file somewhere else;
- anything else — a directory, a device node (`-o /dev/null`), a FIFO, a socket, an empty path — is refused with
  exit 2, `--force` or not: dlenv writes regular files only.

The file is written by dlenv.files.write_atomically (never half-written, a new file with the umask's mode, a replaced
one keeping its mode). Any OS error (no space, read-only, a name over 255 bytes) is one InputError.
"""

from __future__ import annotations

import stat
import sys
from pathlib import Path

from dlenv.errors import InputError
from dlenv.files import write_atomically

_FIX = "choose a writable -o path"


def _target(destination: str, force: bool) -> Path:
    """The regular file that will be written (a symlink resolved), or InputError naming why not."""
    if not destination.strip():
        raise InputError("empty output path", where="-o", fix="give a file path, or '-' for stdout")
    path = Path(destination)
    try:
        if path.is_symlink():
            resolved = path.resolve(strict=False)
            if not resolved.exists():
                raise InputError(
                    f"a symlink to {resolved}, which does not exist",
                    path=path,
                    fix="point the link at an existing file, remove it, or choose another -o path",
                )
            path = resolved
        info = path.stat() if path.exists() else None
    except (OSError, ValueError) as error:  # a symlink loop, a name too long, a NUL byte, a non-directory
        raise InputError(
            f"cannot write here: {getattr(error, 'strerror', None) or error}", path=destination, fix=_FIX
        ) from None
    except RuntimeError:  # pathlib's symlink loop on Python < 3.13
        raise InputError("a symlink loop", path=destination, fix=_FIX) from None
    if info is not None:
        if stat.S_ISDIR(info.st_mode):
            raise InputError("is a directory", path=destination, fix="give a file path to -o")
        if not stat.S_ISREG(info.st_mode):
            raise InputError(
                "not a regular file (a device, FIFO or socket): dlenv writes regular files only",
                path=destination,
                fix="choose a file path, or '-' for stdout",
            )
        if not force:
            raise InputError(
                "file exists", path=destination, fix="pass --force to overwrite it, or choose another -o path"
            )
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise InputError("no such directory", path=parent, fix="create it, or choose another -o path")
    return path


def check_destination(destination: str | None, force: bool) -> None:
    """Refuse an -o path before slow work starts (the same rules write_output applies again when writing)."""
    if destination not in (None, "-"):
        _target(destination, force)


def write_output(text: str, destination: str | None, *, force: bool = False) -> None:
    if destination in (None, "-"):
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    path = _target(destination, force)
    try:
        write_atomically(path, text)
    except OSError as error:
        raise InputError(
            f"cannot write: {getattr(error, 'strerror', None) or error}", path=destination, fix=_FIX
        ) from None
