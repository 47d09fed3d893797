"""The whole build context `dlenv build -o DIR/Dockerfile` writes: the recipe, the stack's hashed lock (pip resolves
it, as `dlenv lock` does), a wheel of the running dlenv and `dlenv-check.lock`, which pins that wheel and the closure
of its dependencies by sha256 for the image's check stage.

Everything is made first (the wheel in a scratch directory, for pip) and written into DIR only when all of it
succeeded, each file atomically (dlenv.files), so a failed resolution leaves no half-written context behind.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from dlenv.errors import InputError
from dlenv.files import write_atomically
from dlenv.provision.container import TOOL_DIR, TOOL_LOCK
from dlenv.provision.lock import PipRunner, _run_pip, parse_report, resolve_closure

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from dlenv.provision.stack import Stack


def context_names(lock_file: str) -> tuple[str, ...]:
    from dlenv.provision.selfwheel import wheel_name

    return (lock_file, TOOL_LOCK, wheel_name())


def check_context_paths(directory: Path, names: tuple[str, ...], force: bool) -> None:
    """Refuse before resolving when a context file exists and --force was not given."""
    for name in names:
        path = directory / name
        if path.is_dir():
            raise InputError("is a directory", path=path, fix="remove it, or write the context elsewhere with -o")
        if path.exists() and not force:
            raise InputError("file exists", path=path, fix="pass --force to overwrite the build context")


def render_tool_lock(stack: Stack, report: Mapping[str, object], wheel: Path, index_urls: tuple[str, ...]) -> str:
    from dlenv import __version__

    files = parse_report(report, index_urls)
    lines = [
        f"# dlenv {__version__}'s check tool for the image's check stage, for Python {stack.python} on "
        f"{stack.platform_key}; written by `dlenv build`.\n",
        f"# pip install --require-hashes --no-deps --target /opt/dlenv-tool -r {TOOL_DIR}/{TOOL_LOCK}\n",
    ]
    for file in files:
        name = f"{TOOL_DIR}/{wheel.name}" if file.url.startswith("file:") and file.name == "dlenv" else None
        lines.append(f"{name or f'{file.name}=={file.version}'} \\\n    --hash=sha256:{file.sha256}\n")
    if not any(file.name == "dlenv" for file in files):
        raise InputError("pip's report has no dlenv", where="dlenv wheel", fix="report this as a dlenv bug")
    return "".join(lines)


def tool_lock(stack: Stack, wheel: Path, *, env: Mapping[str, str] | None = None, run_pip: PipRunner = _run_pip) -> str:
    """dlenv-check.lock: the wheel (by its path in the image) and its dependencies' closure, hashed, for the target."""
    environ = env if env is not None else os.environ
    report = resolve_closure(stack, [str(wheel)], [("dlenv", ())], (), environ, run_pip)
    index_urls: tuple[str, ...] = ()
    try:
        from dlenv.index import find_index_config

        index_urls = tuple(find_index_config(environ).all_urls)
    except (ImportError, InputError):
        pass
    return render_tool_lock(stack, report, wheel, index_urls)


def write_context(
    directory: Path,
    recipe_name: str,
    recipe: str,
    stack: Stack,
    lock_name: str,
    lock_text: Callable[[], str],
    *,
    env: Mapping[str, str] | None = None,
    run_pip: PipRunner = _run_pip,
    progress: Callable[[str], None] = lambda _message: None,
) -> list[Path]:
    """Write the recipe, the stack's lock, dlenv's wheel and dlenv-check.lock into `directory`."""
    from dlenv.provision.selfwheel import write_wheel

    # pip resolves the wheel from a file: it is made in a scratch directory, the rest is text kept in memory
    with tempfile.TemporaryDirectory(prefix=".dlenv-context-", dir=directory) as scratch:
        progress("writing a wheel of this dlenv")
        wheel = write_wheel(Path(scratch))
        progress(f"resolving dlenv's own dependencies for Python {stack.python} with pip")
        tool = tool_lock(stack, wheel, env=env, run_pip=run_pip)
        progress(f"resolving the stack's closure for Python {stack.python} with pip")
        contents: dict[str, str | bytes] = {lock_name: lock_text(), TOOL_LOCK: tool, wheel.name: wheel.read_bytes()}
    contents[recipe_name] = recipe
    written = []
    for name, data in contents.items():
        target = directory / name
        write_atomically(target, data)
        written.append(target)
    return written
