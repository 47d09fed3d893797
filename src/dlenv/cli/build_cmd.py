"""`dlenv build`: a Dockerfile (or Apptainer definition) for a stack known to work on the host, with its whole build
context (the stack's lock, dlenv's wheel and dlenv-check.lock) when written to a file; --build runs it."""

from __future__ import annotations

import re
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from dlenv.cli.options import FORWARD_COMPAT, HOST, MATRIX, OUTPUT, MatrixSource, OutputTarget, host_facts, takes
from dlenv.cli.provision_options import (
    PROGRESS,
    STACK_REQUIREMENTS,
    Progress,
    regenerate_command,
)
from dlenv.errors import EXIT_PROBLEMS, InputError

if TYPE_CHECKING:
    from dlenv.host.describe import HostSpec


class BuildFormat(str, Enum):
    docker = "docker"
    apptainer = "apptainer"


DOCKER_ENGINES = (("docker", "info"), ("podman", "info"), ("buildah", "version"))
"""Each engine with the command that shows it answers: docker without a daemon fails `docker info`."""
APPTAINER_ENGINES = (("apptainer", "version"), ("singularity", "version"))
_TAG = re.compile(r"^[a-z0-9][a-z0-9._/-]{0,127}(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$")


def find_engine(engines: tuple[tuple[str, str], ...]) -> tuple[str, str]:
    """(path, name) of the first engine on PATH that answers; InputError (exit 2) saying what each did."""
    import shutil
    import subprocess

    tried = []
    for name, probe in engines:
        path = shutil.which(name)
        if path is None:
            tried.append(f"{name}: not on PATH")
            continue
        try:
            answer = subprocess.run([path, probe], capture_output=True, text=True, timeout=30, check=False)
        except (OSError, subprocess.TimeoutExpired) as error:
            tried.append(f"{name}: `{name} {probe}` failed ({error})")
            continue
        if answer.returncode == 0:
            return path, name
        last = (answer.stderr or answer.stdout).strip().splitlines()
        tried.append(f"{name}: `{name} {probe}` exited {answer.returncode}" + (f" ({last[-1]})" if last else ""))
    raise InputError(
        f"--build found no container engine that answers ({'; '.join(tried)})",
        fix="start one (e.g. the docker daemon), install podman or buildah, or build the written files elsewhere",
    )


def build_argv(engine: str, name: str, recipe: Path, tag: str) -> list[str]:
    if name in ("apptainer", "singularity"):
        return [engine, "build", str(recipe.with_suffix(".sif").name), recipe.name]
    verb = "bud" if name == "buildah" else "build"
    return [engine, verb, "-t", tag, "-f", str(recipe), str(recipe.parent)]


@takes(STACK_REQUIREMENTS, OUTPUT, MATRIX, HOST, FORWARD_COMPAT, PROGRESS)
def build(  # keyword-only: the option groups (dlenv.cli.options) have no defaults
    *,
    requirements: list[str] | None,
    output: OutputTarget,
    output_format: Annotated[
        BuildFormat, typer.Option("--format", "-f", help="docker (Dockerfile) or apptainer (definition file).")
    ] = BuildFormat.docker,
    lock_file: Annotated[
        str, typer.Option("--lock", help="Name of the stack's lock in the build context (written beside -o FILE).")
    ] = "requirements.lock",
    source: Annotated[
        str | None, typer.Option("--source", help="URL for the org.opencontainers.image.source label.")
    ] = None,
    devel: Annotated[
        bool, typer.Option("--devel", help="The stack compiles CUDA extensions: start from a CUDA devel image.")
    ] = False,
    run_build: Annotated[
        bool,
        typer.Option(
            "--build", help="Build the image with the first engine that answers: docker, podman, buildah (apptainer)."
        ),
    ] = False,
    tag: Annotated[
        str | None, typer.Option("--tag", "-t", help="Image name for --build (default dlenv-stack:INPUTS-HASH).")
    ] = None,
    matrix_dir: Path | None,
    host_spec: HostSpec,
    allow_forward_compat: bool,
    progress: Progress,
) -> None:
    """Write a container recipe whose base image, CUDA requirement and packages fit the host.

    With -o DIR/FILE the whole build context is written into DIR: the recipe, the stack's hashed lock (--lock),
    a wheel of this dlenv and dlenv-check.lock (the image's check stage installs dlenv from them, by hash).
    Written to stdout, the recipe alone; dlenv says which files the context still needs.

    Exit codes: 0 written (and built), 1 no stack or base image fits, or the build failed, 2 bad input or no
    container engine that answers.
    """
    import subprocess

    from dlenv.provision.build_context import check_context_paths, context_names, write_context
    from dlenv.provision.container import generate_container
    from dlenv.provision.lock import generate_lock
    from dlenv.provision.stack import build_stack

    to_file = output.is_file
    output.check()
    if tag is not None and not _TAG.match(tag):
        raise InputError(f"{tag!r} is not an image name", where="--tag", fix="e.g. --tag ml/train:2026.12")
    if lock_file in (output.path, Path(output.path or "-").name):
        raise InputError("the lock and the recipe are the same file", where="--lock", fix="give --lock another name")
    engine: tuple[str, str] | None = None
    if run_build:
        if not to_file:
            raise InputError("--build needs the build context on disk", where="-o", fix="pass -o DIR/Dockerfile")
        engine = find_engine(APPTAINER_ENGINES if output_format is BuildFormat.apptainer else DOCKER_ENGINES)
    if to_file:
        check_context_paths(Path(output.path or ".").parent, context_names(lock_file), output.force)
    matrix = MatrixSource(matrix_dir)
    host = host_facts(host_spec, matrix)
    stack = build_stack(host, matrix(), requirements or [], allow_forward_compat=allow_forward_compat)
    extra = ["--format", output_format.value] if output_format is not BuildFormat.docker else []
    extra += ["--lock", lock_file] if lock_file != "requirements.lock" else []
    extra += ["--source", source] if source else []
    extra += ["--devel"] if devel else []
    overrides = [(o.name, o.value) for o in host.overrides]
    command = regenerate_command(
        "build", list(stack.requirements), host_spec, extra, output, matrix_dir,
        allow_forward_compat=allow_forward_compat, overrides=overrides,
    )  # fmt: skip
    text = generate_container(
        stack, matrix(), output_format.value, command, lock_file, source,
        devel=devel, allow_forward_compat=allow_forward_compat,
    )  # fmt: skip
    if not to_file:
        output.write(text)
        typer.echo(
            f"dlenv: the build context also needs {', '.join(context_names(lock_file))}; "
            "`dlenv build ... -o DIR/Dockerfile` writes them all",
            err=True,
        )
        return
    recipe = Path(output.path or "Dockerfile")
    lock_command = regenerate_command(
        "lock", list(stack.requirements), host_spec, [], OutputTarget(str(recipe.parent / lock_file)), matrix_dir,
        allow_forward_compat=allow_forward_compat, overrides=overrides,
    )  # fmt: skip
    written = write_context(
        recipe.parent,
        recipe.name,
        text,
        stack,
        lock_file,
        lambda: generate_lock(stack, "requirements", lock_command),
        progress=progress,
    )
    typer.echo(f"dlenv: wrote {', '.join(str(path) for path in written)}", err=True)
    if engine is None:
        return
    from dlenv.provision.header import read_header

    image = tag or f"dlenv-stack:{read_header(text, str(recipe)).fields['inputs-sha256'][:12]}"
    path, name = engine
    argv = build_argv(path, name, recipe, image)
    cwd = recipe.parent if name in ("apptainer", "singularity") else None
    typer.echo(f"dlenv: building with {name} (it answered): {' '.join(argv)}", err=True)
    result = subprocess.run(argv, check=False, cwd=cwd)
    if result.returncode != 0:
        typer.echo(f"dlenv: error: {name} exited {result.returncode}; the build failed (its output is above)", err=True)
        raise typer.Exit(EXIT_PROBLEMS)
    typer.echo(f"dlenv: built {image if cwd is None else recipe.with_suffix('.sif').name} with {name}", err=True)
