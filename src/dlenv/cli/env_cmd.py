"""`dlenv env`: a conda environment.yml (or pixi.toml) for a stack known to work on the host."""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, Annotated

import typer

from dlenv.cli.options import FORWARD_COMPAT, HOST, MATRIX, OUTPUT, MatrixSource, host_facts, takes
from dlenv.cli.provision_options import (
    PROGRESS,
    STACK_REQUIREMENTS,
    Progress,
    regenerate_command,
)

if TYPE_CHECKING:
    from pathlib import Path

    from dlenv.cli.options import OutputTarget
    from dlenv.host.describe import HostSpec


class EnvFormat(str, Enum):
    conda = "conda"
    pixi = "pixi"


@takes(STACK_REQUIREMENTS, OUTPUT, MATRIX, HOST, FORWARD_COMPAT, PROGRESS)
def env(  # keyword-only: the option groups (dlenv.cli.options) have no defaults
    *,
    requirements: list[str] | None,
    output: OutputTarget,
    output_format: Annotated[
        EnvFormat, typer.Option("--format", "-f", help="conda (environment.yml) or pixi (pixi.toml).")
    ] = EnvFormat.conda,
    name: Annotated[str, typer.Option("--name", help="Environment (pixi: workspace) name.")] = "dlenv",
    matrix_dir: Path | None,
    host_spec: HostSpec,
    allow_forward_compat: bool,
    progress: Progress,
) -> None:
    """Write a conda environment file (or pixi.toml) that installs a stack known to work on the host.

    Exit codes: 0 written, 1 no stack works on the host, 2 bad input.
    """
    from dlenv.provision.conda import generate_env
    from dlenv.provision.stack import build_stack, check_name

    check_name(name, "--name")
    progress("resolving the stack")
    output.check()
    matrix = MatrixSource(matrix_dir)
    host = host_facts(host_spec, matrix)
    stack = build_stack(host, matrix(), requirements or [], allow_forward_compat=allow_forward_compat)
    extra = ["--format", output_format.value] if output_format is not EnvFormat.conda else []
    extra += ["--name", name] if name != "dlenv" else []
    command = regenerate_command(
        "env", list(stack.requirements), host_spec, extra, output, matrix_dir,
        allow_forward_compat=allow_forward_compat, overrides=[(o.name, o.value) for o in host.overrides],
    )  # fmt: skip
    output.write(generate_env(stack, matrix(), output_format.value, command, name))
