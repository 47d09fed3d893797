"""Writing generated files: stdout for '-', otherwise atomically, and never over a file without --force.

What `-o PATH` may name (docs: README "Output files"):

- a new file in an existing directory, or an existing *regular* file with `--force`;
- a symlink is followed, as pip-tools and uv (astral-sh/uv#6485) do: the file it points to is replaced and the link
  stays; a symlink that points to nothing is refused, since following it would create a file somewhere else;
- anything else — a directory, a device node (`-o /dev/null`), a FIFO, a socket, an empty path — is refused with
  exit 2, `--force` or not: dlenv writes regular files only.

The text is written into an unnamed file in the target's directory (O_TMPFILE) and only given a name at the very
end, so a `kill -9` while writing leaves nothing behind; where O_TMPFILE is missing, a `.NAME.*.tmp` file is used
and removed on every error dlenv sees. Any OS error (no space, read-only, a name over 255 bytes) is one InputError.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import tempfile
from pathlib import Path

from dlenv.errors import InputError

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
    data = text.encode("utf-8")
    try:
        mode = stat.S_IMODE(path.stat().st_mode) if path.exists() else 0o666 & ~_umask()
        _write_atomically(path, data, mode)
    except OSError as error:
        raise InputError(
            f"cannot write: {getattr(error, 'strerror', None) or error}", path=destination, fix=_FIX
        ) from None


def _write_atomically(path: Path, data: bytes, mode: int) -> None:
    directory = str(path.parent) if str(path.parent) else "."
    if hasattr(os, "O_TMPFILE") and os.path.isdir("/proc/self/fd"):  # naming it later goes through /proc
        try:
            descriptor = os.open(directory, os.O_TMPFILE | os.O_WRONLY, mode)
        except OSError:  # a filesystem without O_TMPFILE
            pass
        else:
            try:
                _fill(descriptor, data, mode)
                if _name_and_replace(descriptor, directory, path):
                    return
            finally:
                os.close(descriptor)
    descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=".dlenv-", suffix=".tmp")
    try:
        _fill(descriptor, data, mode)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    finally:
        os.close(descriptor)


def _fill(descriptor: int, data: bytes, mode: int) -> None:
    os.fchmod(descriptor, mode)  # O_TMPFILE/mkstemp modes are not what a plain open() would give
    view = memoryview(data)
    while view:
        view = view[os.write(descriptor, view) :]
    os.fsync(descriptor)


def _name_and_replace(descriptor: int, directory: str, path: Path) -> bool:
    """Link the unnamed file into the directory and rename it over the target at once; False where the kernel
    refuses the link (then the caller writes a named temporary file)."""
    name = f".dlenv-{os.getpid()}-{os.urandom(4).hex()}.tmp"
    directory_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        try:
            # dst_dir_fd makes CPython call linkat(AT_SYMLINK_FOLLOW), which links the file /proc/self/fd/N names
            os.link(f"/proc/self/fd/{descriptor}", name, dst_dir_fd=directory_fd, follow_symlinks=True)
        except OSError:
            return False
        try:
            os.replace(name, path.name, src_dir_fd=directory_fd, dst_dir_fd=directory_fd)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(name, dir_fd=directory_fd)
            raise
        return True
    finally:
        os.close(directory_fd)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
