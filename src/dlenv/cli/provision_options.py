"""Options `dlenv lock`, `env` and `build` share besides dlenv.cli.options, and the command written into headers."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from dlenv.cli.options import Group, Option, own

if TYPE_CHECKING:
    from dlenv.cli.options import OutputTarget
    from dlenv.host.describe import HostSpec


class Progress:
    """Messages about long steps (pip resolving, writing the context, building) on stderr.

    Shown when stderr is a terminal, or with -v; never with -q. Data goes to stdout, so these never mix with it.
    """

    def __init__(self, quiet: bool = False, verbose: bool = False) -> None:
        self.enabled = not quiet and (verbose or sys.stderr.isatty())
        self.verbose = verbose and not quiet
        self._started: float | None = None

    def __call__(self, message: str) -> None:
        import time

        if not self.enabled:
            return
        now = time.monotonic()
        elapsed = f" ({now - self._started:.0f} s so far)" if self._started is not None else ""
        self._started = self._started if self._started is not None else now
        sys.stderr.write(f"dlenv: {message}...{elapsed}\n")


def regenerate_command(
    name: str,
    requirements: list[str],
    host_spec: HostSpec,
    extra: list[str],
    output: OutputTarget,
    matrix_dir: Path | None = None,
    *,
    allow_forward_compat: bool = False,
    overrides: Sequence[tuple[str, str]] = (),
) -> list[str]:
    """The command that regenerates the file, in a fixed order (never sys.argv, which varies in spelling).

    Environment overrides that changed the host (CONDA_OVERRIDE_CUDA, UV_CUDA_DRIVER_VERSION) lead the command as
    NAME=VALUE assignments: without them the same command describes another host.
    """
    command = [f"{key}={value}" for key, value in overrides]
    command += ["dlenv", name, *requirements]
    if matrix_dir is not None:  # an overlay changes the pins: regenerating without it gives another file
        command += ["--matrix", str(matrix_dir)]
    command += host_spec.to_argv()
    if allow_forward_compat:
        command.append("--allow-forward-compat")
    command += extra
    if output.is_file:
        command += ["-o", str(output.path)]
    return command


STACK_REQUIREMENTS = own(
    Option("requirements", (), "Frameworks with optional constraints: torch 'tensorflow<2.17' cudf-cu12.", "arguments")
)
PROGRESS = Group(
    "progress",
    (
        Option("quiet", ("--quiet", "-q"), "No progress messages on stderr.", "flag", default=False),
        Option(
            "verbose",
            ("--verbose", "-v"),
            "Progress messages on stderr even when it is not a terminal.",
            "flag",
            default=False,
        ),
    ),
    Progress,
)
