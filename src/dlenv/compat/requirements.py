"""Requirements from arguments, requirements.txt, pyproject.toml, environment.yml or the installed frameworks.

Every bad line is a one-line InputError naming the file and line.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from packaging.requirements import InvalidRequirement, Requirement

from dlenv.errors import InputError

if TYPE_CHECKING:
    from pathlib import Path

    from dlenv.host.model import HostFacts

# conda package names whose pip distribution has another name.
_CONDA_TO_PIP = {"pytorch": "torch", "pytorch-gpu": "torch", "pytorch-cpu": "torch", "tensorflow-gpu": "tensorflow"}
_CONDA_SPEC = re.compile(r"^([A-Za-z0-9_.\-]+)\s*(==|>=|<=|!=|=|>|<)?\s*([^=\s]*)?(?:=(\S+))?$")
_CONDA_SKIP = {"python", "pip", "cuda-version", "cudatoolkit", "cuda", "cudnn"}


@dataclass(frozen=True)
class RequirementInput:
    text: str
    """As the user wrote it."""
    origin: str
    requirement: Requirement

    @property
    def name(self) -> str:
        return self.requirement.name

    @property
    def exact_version(self) -> str | None:
        """The version of a single `==V` pin (with its local tag), else None."""
        specifiers = list(self.requirement.specifier)
        if len(specifiers) == 1 and specifiers[0].operator in ("==", "===") and "*" not in specifiers[0].version:
            return specifiers[0].version
        return None


def parse_requirement(text: str, origin: str) -> RequirementInput:
    try:
        requirement = Requirement(text.strip())
    except InvalidRequirement as error:
        raise InputError(
            f"not a valid requirement {text.strip()!r}: {_first_line(error)}",
            where=origin,
            fix="write it as PEP 508, e.g. torch==2.4.1+cu121 or 'torch>=2.3,<2.6'",
        ) from None
    return RequirementInput(text.strip(), origin, requirement)


def from_arguments(arguments: list[str]) -> list[RequirementInput]:
    return [parse_requirement(text, f"argument {index + 1}") for index, text in enumerate(arguments)]


def from_requirements_file(path: Path, seen: frozenset[Path] = frozenset()) -> list[RequirementInput]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise InputError(f"cannot read: {error.strerror or error}", path=path, fix="pass an existing file") from None
    found: list[RequirementInput] = []
    for number, raw in enumerate(lines, start=1):
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith(("-r ", "--requirement ")):
            nested = (path.parent / line.split(maxsplit=1)[1]).resolve()
            if nested not in seen:
                found += from_requirements_file(nested, seen | {path.resolve()})
            continue
        if line.startswith("-"):
            continue  # options such as --index-url or -c constraints do not name packages to check
        text = line.split(" --", 1)[0].strip()  # per-requirement options (--hash=...) follow the requirement
        try:
            found.append(RequirementInput(text, f"{path}:{number}", Requirement(text)))
        except InvalidRequirement as error:
            raise InputError(
                f"not a valid requirement {text!r}: {_first_line(error)}",
                path=path,
                where=f"line {number}",
                fix="write it as PEP 508, e.g. torch==2.4.1",
            ) from None
    return found


def _load_toml(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:
        import tomli as tomllib
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except OSError as error:
        raise InputError(f"cannot read: {error.strerror or error}", path=path, fix="pass an existing file") from None
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"not valid TOML: {_first_line(error)}", path=path, fix="correct the TOML syntax") from None


def from_pyproject(path: Path) -> list[RequirementInput]:
    project = _load_toml(path).get("project", {})
    entries = [("dependencies", text) for text in project.get("dependencies", [])]
    for group, texts in sorted(project.get("optional-dependencies", {}).items()):
        entries += [(f"optional-dependencies.{group}", text) for text in texts]
    found = []
    for where, text in entries:
        try:
            found.append(RequirementInput(text, f"{path}:project.{where}", Requirement(text)))
        except InvalidRequirement as error:
            raise InputError(
                f"not a valid requirement {text!r}: {_first_line(error)}",
                path=path,
                where=f"project.{where}",
                fix="write it as PEP 508",
            ) from None
    return found


def _first_line(error: Exception) -> str:
    return str(error).splitlines()[0] if str(error) else type(error).__name__


def _conda_to_pip(spec: str) -> str | None:
    match = _CONDA_SPEC.match(spec.strip().split("::")[-1])
    if not match:
        return None
    name, operator, version, _build = match.groups()
    if name.lower() in _CONDA_SKIP:
        return None
    name = _CONDA_TO_PIP.get(name.lower(), name)
    if not version or version == "*":
        return name
    if operator in (None, "="):  # conda's '=' matches a version prefix
        return f"{name}=={version.rstrip('*').rstrip('.')}.*" if not version.endswith(".*") else f"{name}=={version}"
    return f"{name}{operator}{version}"


def from_environment_yml(path: Path) -> list[RequirementInput]:
    import yaml

    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise InputError(f"cannot read: {error.strerror or error}", path=path, fix="pass an existing file") from None
    except yaml.YAMLError as error:
        raise InputError(f"not valid YAML: {error}".splitlines()[0], path=path, fix="correct the YAML") from None
    dependencies = document.get("dependencies", []) if isinstance(document, dict) else None
    if not isinstance(dependencies, list):
        raise InputError("no 'dependencies' list", path=path, fix="give a conda environment file")
    found: list[RequirementInput] = []
    for index, entry in enumerate(dependencies):
        if isinstance(entry, dict) and isinstance(entry.get("pip"), list):
            found += [parse_requirement(text, f"{path}:dependencies[{index}].pip") for text in entry["pip"]]
        elif isinstance(entry, str):
            text = _conda_to_pip(entry)
            if text is not None:
                requirement = parse_requirement(text, f"{path}:dependencies[{index}]")
                found.append(RequirementInput(entry, requirement.origin, requirement.requirement))
    return found


def from_installed(host: HostFacts) -> list[RequirementInput]:
    """Pins of the frameworks the host has installed, with torch's local build tag."""
    found = []
    for framework in host.frameworks:
        if framework.origin != "pip":
            continue
        version = framework.version
        if framework.name == "torch" and framework.local_version:
            version += f"+{framework.local_version}"
        found.append(parse_requirement(f"{framework.name}=={version}", f"installed ({framework.location})"))
    return found
