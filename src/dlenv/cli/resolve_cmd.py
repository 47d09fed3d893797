"""`dlenv resolve`: the newest mutually compatible versions of frameworks for a host."""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, Annotated

import typer

from dlenv.cli.options import FORWARD_COMPAT, HOST, MATRIX, OUTPUT, STRICT, MatrixSource, host_facts, takes

if TYPE_CHECKING:
    from pathlib import Path

    from dlenv.cli.options import OutputTarget
    from dlenv.host.describe import HostSpec


class ResolveFormat(str, Enum):
    text = "text"
    json = "json"


@takes(OUTPUT, STRICT, FORWARD_COMPAT, MATRIX, HOST)
def resolve(  # keyword-only: the option groups (dlenv.cli.options) have no defaults
    *,
    frameworks: Annotated[
        list[str], typer.Argument(help="Packages with optional constraints: torch 'tensorflow<2.17' cudf-cu12.")
    ],
    explain: Annotated[bool, typer.Option("--explain", help="Say why each newer release was rejected.")] = False,
    output_format: Annotated[ResolveFormat, typer.Option("--format", "-f", help="Output format.")] = ResolveFormat.text,
    output: OutputTarget,
    strict: bool,
    allow_forward_compat: bool,
    matrix_dir: Path | None,
    host_spec: HostSpec,
) -> int:
    """The newest releases and builds that work together on the host, with exact install lines.

    Exit codes: 0 resolved, 1 no combination works (or, with --strict, the answer carries a warning), 2 bad input.
    """
    from dlenv.compat.requirements import from_arguments
    from dlenv.compat.resolve import resolve as run_resolve

    output.check()
    matrix = MatrixSource(matrix_dir)
    host = host_facts(host_spec, matrix)
    resolution = run_resolve(host, matrix(), from_arguments(frameworks), allow_forward_compat=allow_forward_compat)
    from dlenv.render.formats import emit

    display = {"explain": explain} if output_format is ResolveFormat.text else {}
    emit("resolve", output_format.value, resolution, output, **display)
    return resolution.exit_code(strict=strict)
