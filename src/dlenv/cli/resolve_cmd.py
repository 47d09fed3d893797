"""`dlenv resolve`: the newest mutually compatible versions of frameworks for a host."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer

from dlenv.cli.host_options import (
    ArchOption,
    DriverOption,
    ForwardCompatOption,
    GpuOption,
    HostFileOption,
    MatrixDirOption,
    MatrixSource,
    OsOption,
    PythonOption,
    StrictOption,
    host_from_options,
)


class ResolveFormat(str, Enum):
    text = "text"
    json = "json"


def resolve(
    frameworks: Annotated[
        list[str], typer.Argument(help="Packages with optional constraints: torch 'tensorflow<2.17' cudf-cu12.")
    ],
    explain: Annotated[bool, typer.Option("--explain", help="Say why each newer release was rejected.")] = False,
    output_format: Annotated[ResolveFormat, typer.Option("--format", "-f", help="Output format.")] = ResolveFormat.text,
    strict: StrictOption = False,
    allow_forward_compat: ForwardCompatOption = False,
    matrix_dir: MatrixDirOption = None,
    host_file: HostFileOption = None,
    driver: DriverOption = None,
    gpu: GpuOption = None,
    python: PythonOption = None,
    os_name: OsOption = None,
    arch: ArchOption = None,
) -> None:
    """The newest releases and builds that work together on the host, with exact install lines.

    Exit codes: 0 resolved, 1 no combination works (or, with --strict, the answer carries a warning), 2 bad input.
    """
    from dlenv.compat.requirements import from_arguments
    from dlenv.compat.resolve import resolve as run_resolve
    from dlenv.output import write_output

    matrix = MatrixSource(matrix_dir)
    host = host_from_options(host_file, driver, gpu, python, os_name, arch, matrix)
    resolution = run_resolve(host, matrix(), from_arguments(frameworks), allow_forward_compat=allow_forward_compat)
    if output_format is ResolveFormat.json:
        from dlenv.render.resolve_report import resolve_to_json

        write_output(resolve_to_json(resolution), None)
    else:
        from dlenv.render.console import make_console
        from dlenv.render.resolve_report import render_resolve_text

        render_resolve_text(make_console(), resolution, explain)
    raise typer.Exit(resolution.exit_code(strict=strict))
