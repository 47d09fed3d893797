"""`dlenv env`: a conda environment.yml (or pixi.toml) for a stack known to work on the host."""

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
    host_from_options,
)
from dlenv.cli.provision_options import (
    ForceOption,
    OutputOption,
    Progress,
    QuietOption,
    RequirementsArgument,
    VerboseOption,
    check_output_path,
    regenerate_command,
)


class EnvFormat(str, Enum):
    conda = "conda"
    pixi = "pixi"


def env(
    requirements: RequirementsArgument = None,
    output: OutputOption = None,
    force: ForceOption = False,
    output_format: Annotated[
        EnvFormat, typer.Option("--format", "-f", help="conda (environment.yml) or pixi (pixi.toml).")
    ] = EnvFormat.conda,
    name: Annotated[str, typer.Option("--name", help="Environment (pixi: workspace) name.")] = "dlenv",
    matrix_dir: MatrixDirOption = None,
    host_file: HostFileOption = None,
    driver: DriverOption = None,
    gpu: GpuOption = None,
    python: PythonOption = None,
    os_name: OsOption = None,
    arch: ArchOption = None,
    allow_forward_compat: ForwardCompatOption = False,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Write a conda environment file (or pixi.toml) that installs a stack known to work on the host.

    Exit codes: 0 written, 1 no stack works on the host, 2 bad input.
    """
    from dlenv.output import write_output
    from dlenv.provision.conda import generate_env
    from dlenv.provision.stack import build_stack, check_name

    check_name(name, "--name")
    Progress(quiet, verbose)("resolving the stack")
    check_output_path(output, force)
    matrix = MatrixSource(matrix_dir)
    host = host_from_options(host_file, driver, gpu, python, os_name, arch, matrix)
    stack = build_stack(host, matrix(), requirements or [], allow_forward_compat=allow_forward_compat)
    extra = ["--format", output_format.value] if output_format is not EnvFormat.conda else []
    extra += ["--name", name] if name != "dlenv" else []
    command = regenerate_command(
        "env", list(stack.requirements), host_file, driver, gpu, python, os_name, arch, extra, output, matrix_dir,
        allow_forward_compat=allow_forward_compat, overrides=[(o.name, o.value) for o in host.overrides],
    )  # fmt: skip
    write_output(generate_env(stack, matrix(), output_format.value, command, name), output, force=force)
