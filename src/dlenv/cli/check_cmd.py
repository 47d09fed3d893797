"""`dlenv check`: the CI preflight — are these requirements (and this image) compatible with the host?

Every option is declared in dlenv.cli.options' terms, so this module loads without typer (dlenv.cli.fast runs it).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from dlenv.cli.options import (
    FORWARD_COMPAT,
    HOST,
    MATRIX,
    OUTPUT,
    STRICT,
    MatrixSource,
    Option,
    format_option,
    host_facts,
    own,
    takes,
)
from dlenv.errors import EXIT_OK, InputError

if TYPE_CHECKING:
    from pathlib import Path

    from dlenv.cli.options import OutputTarget
    from dlenv.host.describe import HostSpec

INPUTS = "Requirements"


REQUIREMENTS = own(Option("requirements", (), "Requirements, e.g. torch==2.4.1+cu121 'jax>=0.4'.", "arguments"))
REQUIREMENT_FILES = own(
    Option("requirement_files", ("-r", "--requirement"), "A requirements.txt file (repeatable).", "paths", panel=INPUTS)
)
CONSTRAINT_FILES = own(
    Option(
        "constraint_files",
        ("-c", "--constraint"),
        "A constraints file, as pip's -c: narrows the requirements it names (repeatable).",
        "paths",
        panel=INPUTS,
    )
)
PYPROJECT = own(
    Option(
        "pyproject",
        ("--pyproject",),
        "A pyproject.toml: [project] dependencies and optional dependencies, dependency groups, [tool.uv] sources "
        "and indexes, Poetry dependencies.",
        "path",
        panel=INPUTS,
    )
)
CONDA = own(
    Option(
        "conda",
        ("--conda",),
        "A conda environment.yml (conda MatchSpecs and pip dependencies) or a pixi.toml.",
        "path",
        panel=INPUTS,
    )
)
INSTALLED = own(
    Option(
        "installed",
        ("--installed",),
        "Check the frameworks installed in this environment.",
        "flag",
        default=False,
        panel=INPUTS,
    )
)
DOCKERFILE = own(
    Option(
        "dockerfile",
        ("--dockerfile",),
        "Can the host start this Dockerfile's base image (NVIDIA_REQUIRE_CUDA)?",
        "path",
        panel=INPUTS,
    )
)
IMAGE_ENV = own(
    Option(
        "image_env",
        ("--image-env",),
        "An image's environment (KEY=VALUE lines) with NVIDIA_REQUIRE_CUDA or CUDA_VERSION.",
        "path",
        panel=INPUTS,
    )
)
RESOLVE = own(
    Option(
        "resolve",
        ("--resolve", "--no-resolve"),
        "Judge ranges and unpinned names as the version uv's resolver picks for the target (default: on when the "
        "input has ranges and uv is installed).",
        "switch",
        envvar="DLENV_RESOLVE",
        panel=INPUTS,
    )
)
VERBOSE = own(
    Option(
        "verbose",
        ("--verbose", "-v"),
        "Name the packages not in the matrix, the lines skipped and why.",
        "flag",
        default=False,
    )
)
CHECK_FORMAT = format_option("text", "json", "github", "junit")


@takes(
    REQUIREMENTS, REQUIREMENT_FILES, CONSTRAINT_FILES, PYPROJECT, CONDA, INSTALLED, DOCKERFILE, IMAGE_ENV, RESOLVE,
    VERBOSE, CHECK_FORMAT, OUTPUT, STRICT, FORWARD_COMPAT, MATRIX, HOST,
)  # fmt: skip
def check(
    *,
    requirements: list[str] | None,
    requirement_files: list[Path] | None,
    constraint_files: list[Path] | None,
    pyproject: Path | None,
    conda: Path | None,
    installed: bool,
    dockerfile: Path | None,
    image_env: Path | None,
    resolve: bool | None,
    verbose: bool,
    output_format: str,
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
    from dlenv.render.formats import emit

    matrix = MatrixSource(matrix_dir)
    # the input first: a bad line or a missing file is said before this machine is probed
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
    host = host_facts(host_spec, matrix)
    if installed:
        # this environment's frameworks, whichever host they are judged against (a file or flags describe the host)
        if host.origin != "probe":
            from dlenv.host.probe import probe_installed_frameworks
            from dlenv.records import replace

            host = replace(host, frameworks=probe_installed_frameworks(families=matrix().families))
        source = source.merged(sources.Source(tuple(sources.from_installed(host, matrix()))))
    if installed and not source.requirements and not image_requirements and output_format == "text":
        sys.stderr.write("dlenv: no frameworks are installed in this environment; nothing to check\n")
        return EXIT_OK
    reading = read_for_target(source.inputs(), (), source.skipped, host, matrix(), resolve=resolve)
    report = mark_unresolved(
        run_check(host, matrix(), reading.inputs, allow_forward_compat=allow_forward_compat), reading
    )
    brands = segment_brands(host, matrix()) if image_requirements else ()
    images = [evaluate_image(requirement, host, brands) for requirement in image_requirements]
    outcome = CheckOutcome(report, tuple(images), reading)
    emit("check", output_format, outcome, output, **({"verbose": verbose} if output_format == "text" else {}))
    return outcome.exit_code(strict=strict)
