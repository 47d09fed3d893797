"""Requirements from arguments, requirements.txt, pyproject.toml, environment.yml, pixi.toml or the installed
frameworks — the public face of `dlenv.compat.sources`, where each reader lives.

Every bad line is a one-line InputError naming the file and line. Each reader returns what the installer would be
asked for: direct wheel URLs as the pin their file name states, the file's indexes and constraints on each line.
Markers are evaluated for the target later (`sources.target.for_target`), once the host is known.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dlenv.compat.sources.model import RequirementInput, SkippedLine, Source, parse_requirement

if TYPE_CHECKING:
    from pathlib import Path

    from dlenv.host.model import HostFacts
    from dlenv.matrix.model import Matrix

__all__ = [
    "RequirementInput",
    "SkippedLine",
    "Source",
    "from_arguments",
    "from_environment_yml",
    "from_installed",
    "from_pixi",
    "from_pyproject",
    "from_requirements_file",
    "parse_requirement",
    "read_conda",
    "read_pixi",
    "read_pyproject",
    "read_requirements_file",
]


def from_arguments(arguments: list[str]) -> list[RequirementInput]:
    return [parse_requirement(text, f"argument {index + 1}") for index, text in enumerate(arguments)]


def read_requirements_file(path: Path) -> Source:
    from dlenv.compat.sources.pipfile import read_requirements_file as read

    return read(path)


def from_requirements_file(path: Path) -> list[RequirementInput]:
    return read_requirements_file(path).inputs()


def read_pyproject(path: Path) -> Source:
    from dlenv.compat.sources.pyproject import read_pyproject as read

    return read(path)


def from_pyproject(path: Path) -> list[RequirementInput]:
    return read_pyproject(path).inputs()


def _matrix(matrix: Matrix | None) -> Matrix:
    if matrix is not None:
        return matrix
    from dlenv.matrix.load import load_matrix

    return load_matrix()


def read_conda(path: Path, matrix: Matrix | None = None) -> Source:
    from dlenv.compat.sources.conda import read_environment_yml

    return read_environment_yml(path, _matrix(matrix))


def from_environment_yml(path: Path, matrix: Matrix | None = None) -> list[RequirementInput]:
    return read_conda(path, matrix).inputs()


def read_pixi(path: Path, matrix: Matrix | None = None) -> Source:
    from dlenv.compat.sources.conda import read_pixi as read

    return read(path, _matrix(matrix))


def from_pixi(path: Path, matrix: Matrix | None = None) -> list[RequirementInput]:
    return read_pixi(path, matrix).inputs()


def from_installed(host: HostFacts, matrix: Matrix | None = None) -> list[RequirementInput]:
    """Pins of the frameworks the host has installed, with the build's local tag where its family selects builds
    by one (torch==2.4.1+cu121)."""
    found = []
    for framework in host.frameworks:
        if framework.origin != "pip":
            continue
        version = framework.version
        if framework.local_version:
            known = _matrix(matrix).framework(framework.family)
            if known is not None and known.family.selects_by_local_tag(framework.local_version):
                version += f"+{framework.local_version}"
        found.append(parse_requirement(f"{framework.name}=={version}", f"installed ({framework.location})"))
    return found
