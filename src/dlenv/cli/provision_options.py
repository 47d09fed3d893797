"""Options `dlenv lock`, `dlenv env` and `dlenv build` share, and the command line written into each header."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer

OutputOption = Annotated[
    str | None,
    typer.Option("--output", "-o", help="Write to FILE ('-' for stdout); never over a file without --force."),
]
ForceOption = Annotated[bool, typer.Option("--force", help="Overwrite the -o file.")]
RequirementsArgument = Annotated[
    list[str] | None,
    typer.Argument(help="Frameworks with optional constraints: torch 'tensorflow<2.17' cudf-cu12.", show_default=False),
]


QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="No progress messages on stderr.")]
VerboseOption = Annotated[
    bool, typer.Option("--verbose", "-v", help="Progress messages on stderr even when it is not a terminal.")
]


class Progress:
    """Messages about long steps (pip resolving, writing the context, building) on stderr.

    Shown when stderr is a terminal, or with -v; never with -q. Data goes to stdout, so these never mix with it.
    """

    def __init__(self, quiet: bool = False, verbose: bool = False) -> None:
        import sys

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
        typer.echo(f"dlenv: {message}...{elapsed}", err=True)


def check_output_path(output: str | None, force: bool) -> None:
    """Refuse an -o path that cannot be written before resolving (pip can take minutes); write_output checks again."""
    from dlenv.output import check_destination

    check_destination(output, force)


def regenerate_command(
    name: str,
    requirements: list[str],
    host_file: Path | None,
    driver: str | None,
    gpu: list[str] | None,
    python: str | None,
    os_name: str | None,
    arch: str | None,
    extra: list[str],
    output: str | None,
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
    if host_file is not None:
        command += ["--host", str(host_file)]
    if driver:
        command += ["--driver", driver]
    for item in gpu or []:
        command += ["--gpu", item]
    for flag, value in (("--python", python), ("--os", os_name), ("--arch", arch)):
        if value:
            command += [flag, value]
    if allow_forward_compat:
        command.append("--allow-forward-compat")
    command += extra
    if output and output != "-":
        command += ["-o", output]
    return command
