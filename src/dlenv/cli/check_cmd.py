"""`dlenv check`: the CI preflight — are these requirements (and this image) compatible with the host?"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from dlenv.cli.options import FORWARD_COMPAT, HOST, MATRIX, OUTPUT, STRICT, MatrixSource, host_facts, takes
from dlenv.errors import EXIT_OK, InputError

if TYPE_CHECKING:
    from dlenv.cli.options import OutputTarget
    from dlenv.compat.outcome import CheckOutcome
    from dlenv.host.describe import HostSpec

INPUTS = "Requirements"


class CheckFormat(str, Enum):
    text = "text"
    json = "json"
    github = "github"
    junit = "junit"


@takes(OUTPUT, STRICT, FORWARD_COMPAT, MATRIX, HOST)
def check(  # keyword-only: the option groups (dlenv.cli.options) have no defaults
    *,
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
    output: OutputTarget,
    strict: bool,
    allow_forward_compat: bool,
    matrix_dir: Path | None,
    host_spec: HostSpec,
) -> int:
    """Check requirements against a host: compatible or not, why, and what to pin instead.

    Exit codes: 0 compatible (warnings allowed unless --strict), 1 incompatible, 2 bad input.
    """
    from dlenv.compat import requirements as sources
    from dlenv.compat.check import check as run_check
    from dlenv.compat.images import evaluate_image, from_dockerfile, from_image_env, segment_brands
    from dlenv.compat.outcome import CheckOutcome
    from dlenv.compat.sources.reading import mark_unresolved, read_for_target

    matrix = MatrixSource(matrix_dir)
    host = host_facts(host_spec, matrix)
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
        source = source.merged(sources.Source(tuple(sources.from_installed(host))))
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
        return EXIT_OK
    reading = read_for_target(source.inputs(), (), source.skipped, host, matrix(), resolve=resolve)
    report = mark_unresolved(
        run_check(host, matrix(), reading.inputs, allow_forward_compat=allow_forward_compat), reading
    )
    brands = segment_brands(host, matrix()) if image_requirements else ()
    images = [evaluate_image(requirement, host, brands) for requirement in image_requirements]
    outcome = CheckOutcome(report, tuple(images), reading)
    _emit(outcome, verbose, output_format, output)
    return outcome.exit_code(strict=strict)


def _emit(outcome: CheckOutcome, verbose: bool, output_format: CheckFormat, output: OutputTarget) -> None:
    from dlenv.render import check_report

    if output_format is CheckFormat.text:
        from dlenv.render.console import render_to

        render_to(output, lambda console: check_report.render_check_text(console, outcome, verbose=verbose))
        return
    renderers = {
        CheckFormat.json: check_report.check_to_json,
        CheckFormat.github: check_report.check_to_github,
        CheckFormat.junit: check_report.check_to_junit,
    }
    output.write(renderers[output_format](outcome))
