"""Options `dlenv lock`, `dlenv env` and `dlenv build` share, and the command line written into each header."""

from __future__ import annotations

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


def check_output_path(output: str | None, force: bool) -> None:
    """Refuse an -o path that cannot be written before resolving (pip can take minutes); write_output checks again."""
    from dlenv.errors import InputError

    if output in (None, "-"):
        return
    path = Path(output)
    if path.is_dir():
        raise InputError("is a directory", path=path, fix="give a file path to -o")
    if path.exists() and not force:
        raise InputError("file exists", path=path, fix="pass --force to overwrite it, or choose another -o path")
    if not path.parent.is_dir():
        raise InputError("no such directory", path=path.parent, fix="create it, or choose another -o path")


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
) -> list[str]:
    """The command that regenerates the file, in a fixed order (never sys.argv, which varies in spelling)."""
    command = ["dlenv", name, *requirements]
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
    command += extra
    if output and output != "-":
        command += ["-o", output]
    return command
