"""`dlenv build`: a Dockerfile (or Apptainer definition) for a stack known to work on the host; --build runs it."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer

from dlenv.cli.host_options import (
    ArchOption,
    DriverOption,
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
    RequirementsArgument,
    check_output_path,
    regenerate_command,
)
from dlenv.errors import InputError


class BuildFormat(str, Enum):
    docker = "docker"
    apptainer = "apptainer"


DOCKER_ENGINES = ("docker", "podman", "buildah")
APPTAINER_ENGINES = ("apptainer", "singularity")


def build(
    requirements: RequirementsArgument = None,
    output: OutputOption = None,
    force: ForceOption = False,
    output_format: Annotated[
        BuildFormat, typer.Option("--format", "-f", help="docker (Dockerfile) or apptainer (definition file).")
    ] = BuildFormat.docker,
    lock_file: Annotated[
        str, typer.Option("--lock", help="The lock (from `dlenv lock`) the image installs, beside the output file.")
    ] = "requirements.lock",
    source: Annotated[
        str | None, typer.Option("--source", help="URL for the org.opencontainers.image.source label.")
    ] = None,
    run_build: Annotated[
        bool, typer.Option("--build", help="Build the image with docker, podman or buildah (apptainer) on PATH.")
    ] = False,
    matrix_dir: MatrixDirOption = None,
    host_file: HostFileOption = None,
    driver: DriverOption = None,
    gpu: GpuOption = None,
    python: PythonOption = None,
    os_name: OsOption = None,
    arch: ArchOption = None,
) -> None:
    """Write a container recipe whose base image, CUDA requirement and packages fit the host.

    Exit codes: 0 written (and built), 1 no stack or base image fits, 2 bad input or no container engine.
    """
    import shutil
    import subprocess
    from pathlib import Path

    from dlenv.output import write_output
    from dlenv.provision.container import generate_container
    from dlenv.provision.stack import build_stack

    check_output_path(output, force)
    engines = APPTAINER_ENGINES if output_format is BuildFormat.apptainer else DOCKER_ENGINES
    engine = next((found for found in (shutil.which(name) for name in engines) if found), None)
    if run_build:
        if engine is None:
            raise InputError(
                f"--build needs {', '.join(engines[:-1])} or {engines[-1]} on PATH; none is there",
                fix="install one, or build the written file elsewhere",
            )
        if output in (None, "-"):
            raise InputError("--build needs the file on disk", where="-o", fix="pass -o Dockerfile")
    matrix = MatrixSource(matrix_dir)
    host = host_from_options(host_file, driver, gpu, python, os_name, arch, matrix)
    stack = build_stack(host, matrix(), requirements or [])
    extra = ["--format", output_format.value] if output_format is not BuildFormat.docker else []
    extra += ["--lock", lock_file] if lock_file != "requirements.lock" else []
    extra += ["--source", source] if source else []
    command = regenerate_command(
        "build", list(stack.requirements), host_file, driver, gpu, python, os_name, arch, extra, output, matrix_dir
    )
    text = generate_container(stack, matrix(), output_format.value, command, lock_file, source)
    write_output(text, output, force=force)
    if run_build and engine is not None and output is not None:
        recipe = Path(output)
        name = Path(engine).name
        if name in APPTAINER_ENGINES:
            argv = [engine, "build", str(recipe.with_suffix(".sif")), str(recipe)]
        elif name == "buildah":
            argv = [engine, "bud", "-f", str(recipe), str(recipe.parent)]
        else:
            argv = [engine, "build", "-f", str(recipe), str(recipe.parent)]
        typer.echo(f"dlenv: running {' '.join(argv)}", err=True)
        raise typer.Exit(subprocess.run(argv, check=False).returncode)
