"""The seams of probing: filesystem root, environment, commands, NVML and the interpreter.

Every probe reads the machine only through a ProbeContext, so tests point it at a recorded host
(a directory tree, a fake NVML, canned command output) and need no GPU.
"""

from __future__ import annotations

import os
import platform
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from dlenv.records import field, record

CommandRunner = Callable[[Sequence[str], float], "str | None"]
NvmlLoader = Callable[[], Any]


def run_command(argv: Sequence[str], timeout_s: float) -> str | None:
    """Run a command and return its stdout, or None when it is missing, fails or overruns."""
    import subprocess  # only when a probe runs a command (nvcc, nvidia-smi): start-up never pays for it

    try:
        completed = subprocess.run(
            list(argv),
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return completed.stdout if completed.returncode == 0 else None


class NvmlLibraryMissing(ImportError):
    """libnvidia-ml cannot be loaded: there is no driver (or the container has no GPU access)."""


def load_pynvml() -> Any:
    # dlopen the library first, as pynvml's nvmlInit would: on hosts without a driver this answers in a
    # fraction of a millisecond and spares importing the bindings (~10 ms of start-up).
    import ctypes

    try:
        ctypes.CDLL("libnvidia-ml.so.1")
    except OSError as error:
        raise NvmlLibraryMissing(str(error)) from None
    import pynvml

    return pynvml


def _load_nvml_at_call_time() -> Any:
    # Looked up when called, so tests can replace load_pynvml for every context.
    return load_pynvml()


def _glibc_version() -> str | None:
    try:
        text = os.confstr("CS_GNU_LIBC_VERSION")
    except (AttributeError, ValueError, OSError):
        return None
    if text and text.startswith("glibc "):
        return text.split(" ", 1)[1]
    return None


@record
class Interpreter:
    """Facts about the running Python, which no recorded host replaces."""

    python_version: str
    implementation: str
    system: str
    machine: str
    glibc: str | None

    @classmethod
    def current(cls) -> Interpreter:
        return cls(
            python_version=platform.python_version(),
            implementation=platform.python_implementation(),
            system={"darwin": "macos", "win32": "windows"}.get(sys.platform, sys.platform),
            machine=platform.machine().lower().replace("amd64", "x86_64").replace("arm64", "aarch64"),
            glibc=_glibc_version(),
        )


def _default_site_dirs() -> tuple[Path, ...]:
    return tuple(Path(entry) for entry in sys.path if entry and entry.endswith(("site-packages", "dist-packages")))


@record
class ProbeContext:
    env: Mapping[str, str]
    root: Path = Path("/")
    site_dirs: tuple[Path, ...] = ()
    run: CommandRunner = run_command
    nvml_loader: NvmlLoader = _load_nvml_at_call_time
    interpreter: Interpreter = field(default_factory=Interpreter.current)
    nvml_timeout_s: float = 10.0
    command_timeout_s: float = 5.0

    @classmethod
    def current(cls) -> ProbeContext:
        return cls(env=dict(os.environ), site_dirs=_default_site_dirs())

    def path(self, absolute: str) -> Path:
        """A host path under this context's root."""
        return self.root / absolute.lstrip("/")

    def read_text(self, absolute: str) -> str | None:
        try:
            return self.path(absolute).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None

    def which(self, name: str) -> Path | None:
        """Find an executable on the context's PATH (under its root)."""
        for directory in self.env.get("PATH", "").split(os.pathsep):
            if not directory:
                continue
            candidate = self.path(directory) / name
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return candidate
        return None

    def host_path(self, path: Path) -> str:
        """Show a path under the root as the host sees it."""
        try:
            return "/" + str(path.relative_to(self.root)).lstrip("/") if self.root != Path("/") else str(path)
        except ValueError:
            return str(path)
