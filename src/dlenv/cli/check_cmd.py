"""`dlenv check`: the CI preflight — are these requirements (and this image) compatible with the host?"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
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
from dlenv.errors import EXIT_OK, EXIT_PROBLEMS, InputError

INPUTS = "Requirements"


class CheckFormat(str, Enum):
    text = "text"
    json = "json"
    github = "github"
    junit = "junit"


def check(
    requirements: Annotated[
        list[str] | None, typer.Argument(help="Requirements, e.g. torch==2.4.1+cu121 'jax>=0.4'.")
    ] = None,
    requirement_files: Annotated[
        list[Path] | None,
        typer.Option(
            "-r", "--requirement", help="A requirements.txt file (repeatable).", rich_help_panel=INPUTS, dir_okay=False
        ),
    ] = None,
    constraint_files: Annotated[
        list[Path] | None,
        typer.Option(
            "-c",
            "--constraint",
            help="A constraints file, as pip's -c: narrows the requirements it names (repeatable).",
            rich_help_panel=INPUTS,
            dir_okay=False,
        ),
    ] = None,
    pyproject: Annotated[
        Path | None,
        typer.Option(
            "--pyproject",
            help="A pyproject.toml: [project] dependencies and optional dependencies, dependency groups, "
            "[tool.uv] sources and indexes, Poetry dependencies.",
            rich_help_panel=INPUTS,
            dir_okay=False,
        ),
    ] = None,
    conda: Annotated[
        Path | None,
        typer.Option(
            "--conda",
            help="A conda environment.yml (conda MatchSpecs and pip dependencies) or a pixi.toml.",
            rich_help_panel=INPUTS,
            dir_okay=False,
        ),
    ] = None,
    installed: Annotated[
        bool,
        typer.Option("--installed", help="Check the frameworks installed in this environment.", rich_help_panel=INPUTS),
    ] = False,
    dockerfile: Annotated[
        Path | None,
        typer.Option(
            "--dockerfile",
            help="Can the host start this Dockerfile's base image (NVIDIA_REQUIRE_CUDA)?",
            rich_help_panel=INPUTS,
            dir_okay=False,
        ),
    ] = None,
    image_env: Annotated[
        Path | None,
        typer.Option(
            "--image-env",
            help="An image's environment (KEY=VALUE lines) with NVIDIA_REQUIRE_CUDA or CUDA_VERSION.",
            rich_help_panel=INPUTS,
            dir_okay=False,
        ),
    ] = None,
    resolve: Annotated[
        bool | None,
        typer.Option(
            "--resolve/--no-resolve",
            help="Judge ranges and unpinned names as the version uv's resolver picks for the target (default: on "
            "when the input has ranges and uv is installed).",
            rich_help_panel=INPUTS,
            show_default=False,
            envvar="DLENV_RESOLVE",
        ),
    ] = None,
    verbose: Annotated[
        bool,
        typer.Option("--verbose", "-v", help="Name the packages not in the matrix, the lines skipped and why."),
    ] = False,
    output_format: Annotated[CheckFormat, typer.Option("--format", "-f", help="Output format.")] = CheckFormat.text,
    output: Annotated[
        str | None, typer.Option("--output", "-o", help="Write the report to FILE ('-': stdout).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing output file.")] = False,
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
    """Check requirements against a host: compatible or not, why, and what to pin instead.

    Exit codes: 0 compatible (warnings allowed unless --strict), 1 incompatible, 2 bad input.
    """
    from dlenv.compat import requirements as sources
    from dlenv.compat.check import check as run_check
    from dlenv.compat.images import evaluate_image, from_dockerfile, from_image_env, segment_brands
    from dlenv.compat.sources.reading import mark_unresolved, read_for_target

    matrix = MatrixSource(matrix_dir)
    host = host_from_options(host_file, driver, gpu, python, os_name, arch, matrix)
    source = sources.Source(tuple(sources.from_arguments(requirements or [])))
    for path in requirement_files or []:
        source = source.merged(sources.read_requirements_file(path))
    for path in constraint_files or []:
        read = sources.read_requirements_file(path)
        source = source.merged(sources.Source((), read.constraints + read.requirements, read.skipped))
    if pyproject is not None:
        source = source.merged(sources.read_pyproject(pyproject))
    if conda is not None:
        is_pixi = conda.suffix == ".toml"
        source = source.merged(sources.read_pixi(conda, matrix()) if is_pixi else sources.read_conda(conda, matrix()))
    if installed:
        source = source.merged(sources.Source(tuple(sources.from_installed(host, matrix()))))
    image_requirements = []
    if dockerfile is not None:
        image_requirements.append(from_dockerfile(dockerfile, matrix()))
    if image_env is not None:
        image_requirements.append(from_image_env(image_env))
    if not source.requirements and not image_requirements and not installed:
        raise InputError(
            "nothing to check",
            where="arguments",
            fix="name requirements, or pass -r, --pyproject, --conda, --installed, --dockerfile or --image-env",
        )
    if installed and not source.requirements and not image_requirements and output_format is CheckFormat.text:
        typer.echo("dlenv: no frameworks are installed in this environment; nothing to check", err=True)
        raise typer.Exit(EXIT_OK)
    reading = read_for_target(source.inputs(), (), source.skipped, host, matrix(), resolve=resolve)
    report = mark_unresolved(
        run_check(host, matrix(), reading.inputs, allow_forward_compat=allow_forward_compat), reading
    )
    brands = segment_brands(host, matrix()) if image_requirements else ()
    images = [evaluate_image(requirement, host, brands) for requirement in image_requirements]
    _emit(report, images, reading, verbose, output_format, output, force)
    images_fail = any(
        not image.compatible or (strict and any(f.severity.value == "warning" for f in image.findings))
        for image in images
    )
    raise typer.Exit(EXIT_PROBLEMS if images_fail else report.exit_code(strict=strict))


def _emit(report, images, reading, verbose: bool, output_format: CheckFormat, output: str | None, force: bool) -> None:  # type: ignore[no-untyped-def]
    from dlenv.output import write_output
    from dlenv.render import check_report

    if output_format is CheckFormat.text:
        import io

        from dlenv.render.console import make_console

        buffer = io.StringIO() if output not in (None, "-") else None
        console = make_console(buffer)
        check_report.render_check_text(console, report, images, reading=reading, verbose=verbose)
        if buffer is not None:
            write_output(buffer.getvalue(), output, force=force)
        return
    renderers = {
        CheckFormat.json: check_report.check_to_json,
        CheckFormat.github: check_report.check_to_github,
        CheckFormat.junit: check_report.check_to_junit,
    }
    write_output(renderers[output_format](report, images, reading=reading), output, force=force)
