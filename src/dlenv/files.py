"""The one way dlenv writes a file: atomically, durably, with the mode a plain open() would give.

Readers see the old file or the new one, never a part: the data goes into an unnamed file in the target's directory
(O_TMPFILE), is flushed to disk (fsync), and only then takes the target's name in one rename, so a `kill -9` or a
crash while writing leaves nothing behind. Where O_TMPFILE is missing, a `.dlenv-*.tmp` file is used and removed on
every error. A new file gets the mode open() would create it with (0666 less the umask); a replaced file keeps its
mode. Errors are OSError; callers decide what they mean (`-o`: exit 2; a cache: nothing).

Used for -o outputs (dlenv.output), the compiled matrix, the matrix cache, build contexts and the maintenance
scripts.
"""

from __future__ import annotations

import contextlib
import os
import stat
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path


def write_atomically(path: Path, data: bytes | str) -> None:
    """Replace (or create) `path` with `data` (text is written as UTF-8)."""
    content = data.encode("utf-8") if isinstance(data, str) else data
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    directory = str(path.parent) if str(path.parent) else "."
    if hasattr(os, "O_TMPFILE") and os.path.isdir("/proc/self/fd"):  # naming it later goes through /proc
        try:
            descriptor = os.open(directory, os.O_TMPFILE | os.O_WRONLY, mode)
        except OSError:  # a filesystem without O_TMPFILE
            pass
        else:
            try:
                _fill(descriptor, content, mode)
                if _name_and_replace(descriptor, directory, path):
                    return
            finally:
                os.close(descriptor)
    import tempfile  # the fallback only: loading it costs every command that imports this module

    descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=".dlenv-", suffix=".tmp")
    try:
        _fill(descriptor, content, mode)
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
    os.fsync(descriptor)  # on disk before it has the name: a crash cannot leave an empty file under it


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
