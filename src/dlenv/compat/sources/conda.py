"""environment.yml and pixi.toml: conda MatchSpecs read with py-rattler (the conda library pixi and rattler-build
are built on), turned into what the matrix judges — the pip distribution of the same build and a PEP 440 version.

conda names map to pip names three ways: the matrix's family blocks for the few whose names differ (pytorch ->
torch), the same name when the matrix has it, else the name with the CUDA-major suffix of the environment's
cuda-version (cudf -> cudf-cu12, cupy -> cupy-cuda12x), which is how those projects name their pip builds.
cuda-version, cudatoolkit (or a family's own CUDA pin, pytorch-cuda) pins the CUDA of every build; a build string
naming cuda or cpu picks that kind."""

from __future__ import annotations

import re
import sys
from typing import TYPE_CHECKING, Any

from packaging.requirements import InvalidRequirement, Requirement

from dlenv.compat.sources.model import RequirementInput, SkippedLine, Source, first_line, parse_requirement
from dlenv.errors import InputError
from dlenv.records import replace

if TYPE_CHECKING:
    from pathlib import Path

    from dlenv.matrix.families import FamilyIndex
    from dlenv.matrix.model import Matrix

CUDA_PINS = ("cuda-version", "cudatoolkit")
"""conda's own packages whose version is the CUDA of the environment's builds (families add theirs: cuda_pin)."""
NOT_PACKAGES = {"python", "pip"}
_VERSION_TERM = re.compile(r"^(==|!=|>=|<=|~=|>|<|=)?\s*(\S+)$")


def conda_version_to_pep440(spec: str) -> str | None:
    """rattler's normalised version spec ('26.10.*,>=0.0.0a0', '==2.5.1', '12.1.*') as a PEP 440 specifier; '' for
    any version; None where PEP 440 cannot say it ('|', conda-only version spellings)."""
    text = spec.strip()
    if text in ("", "*"):
        return ""
    if "|" in text:
        return None
    terms = []
    for raw in text.split(","):
        match = _VERSION_TERM.match(raw.strip())
        if not match:
            return None
        operator, version = match.groups()
        if version == "*":
            continue
        if operator in (None, "="):
            # conda's fuzzy match: a bare 'V' or '=V' is the prefix V.*
            if not version.endswith("*"):
                version += ".*"
            operator = "=="
        if version.endswith("*") and not version.endswith(".*"):
            version = version[:-1].rstrip(".") + ".*"
        if operator not in ("==", "!=") and version.endswith(".*"):
            version = version[:-2]
        terms.append(f"{operator}{version}")
    pep440 = ",".join(terms)
    try:
        Requirement(f"x{pep440}")
    except InvalidRequirement:
        return None
    return pep440


def _families(matrix: Matrix | None) -> FamilyIndex:
    if matrix is not None:
        return matrix.families
    from dlenv.matrix.families import shipped_families

    return shipped_families()


def _pip_name(conda_name: str, matrix: Matrix | None, families: FamilyIndex, cuda_major: int | None) -> str:
    entry = families.conda(conda_name)
    name = entry.pip if entry is not None else conda_name
    if matrix is None or matrix.framework_for_package(name) is not None or cuda_major is None:
        return name
    for suffix in (f"-cu{cuda_major}", f"-cuda{cuda_major}x"):
        if matrix.framework_for_package(name + suffix) is not None:
            return name + suffix
    return name


def _cuda_pin(version: str | None) -> tuple[str | None, int | None]:
    """The PEP 440 CUDA specifier and its major from a cuda-version MatchSpec's version."""
    if version is None:
        return None, None
    pep440 = conda_version_to_pep440(version)
    if not pep440:
        return None, None
    digits = re.search(r"(\d+)", pep440)
    return pep440, int(digits.group(1)) if digits else None


def from_matchspecs(
    entries: list[tuple[str, str]], matrix: Matrix | None, path: Path, default_cuda: str | None = None
) -> tuple[list[RequirementInput], list[SkippedLine]]:
    """(where, MatchSpec text) pairs of one environment -> requirements the matrix can judge, and the entries that
    are not packages. `default_cuda` is the CUDA pin (a MatchSpec version) where the entries name none."""
    import rattler
    from rattler.exceptions import InvalidMatchSpecError

    parsed = []
    for where, text in entries:
        try:
            spec = rattler.MatchSpec(text)
        except InvalidMatchSpecError as error:
            raise InputError(
                f"not a valid conda MatchSpec {text!r}: {first_line(error)}",
                path=path,
                where=where,
                fix="write it as conda does, e.g. 'cudf=24.10', 'pytorch::pytorch>=2.4' or 'cupy>=13,!=13.1'",
            ) from None
        name = spec.name.normalized if spec.name is not None else ""
        version = str(spec.version) if spec.version is not None else None
        parsed.append((where, text, name, version, spec.build))
    families = _families(matrix)
    cuda_pins = {*CUDA_PINS, *families.conda_cuda_pins}
    cuda, cuda_major = _cuda_pin(default_cuda)
    for _where, _text, name, version, _build in parsed:
        if name in cuda_pins and _cuda_pin(version)[0] is not None:
            cuda, cuda_major = _cuda_pin(version)
    found, skipped = [], []
    for where, text, name, version, build in parsed:
        origin = f"{path}:{where}"
        if name in NOT_PACKAGES or name in cuda_pins:
            skipped.append(SkippedLine(origin, text, "sets the environment (judged through the packages it pins)"))
            continue
        pep440 = conda_version_to_pep440(version or "")
        pip_name = _pip_name(name, matrix, families, cuda_major)
        note = None
        if pep440 is None:
            note = f"conda version {version!r} has no PEP 440 form: any release was judged"
            pep440 = ""
        requirement = parse_requirement(f"{pip_name}{pep440}", origin)
        accelerator = None
        if build and "cuda" in build.lower():
            accelerator = "cuda"
        elif build and "cpu" in build.lower():
            accelerator = "cpu"
        read = replace(requirement, text=text, cuda=cuda, accelerator=accelerator, conda=True)
        if pip_name != name:
            read = read.with_note(f"conda package {name} judged as its pip build {pip_name}")
        found.append(read.with_note(note) if note else read)
    return found, skipped


def _load_yaml(path: Path) -> Any:
    import yaml

    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise InputError(f"cannot read: {error.strerror or error}", path=path, fix="pass an existing file") from None
    except yaml.YAMLError as error:
        raise InputError(f"not valid YAML: {error}".splitlines()[0], path=path, fix="correct the YAML") from None


def read_environment_yml(path: Path, matrix: Matrix | None = None) -> Source:
    document = _load_yaml(path)
    dependencies = document.get("dependencies", []) if isinstance(document, dict) else None
    if not isinstance(dependencies, list):
        raise InputError("no 'dependencies' list", path=path, fix="give a conda environment file")
    conda: list[tuple[str, str]] = []
    pip: list[RequirementInput] = []
    skipped: list[SkippedLine] = []
    for index, entry in enumerate(dependencies):
        where = f"dependencies[{index}]"
        if isinstance(entry, dict) and isinstance(entry.get("pip"), list):
            for offset, text in enumerate(entry["pip"]):
                origin = f"{path}:{where}.pip[{offset}]"
                if str(text).lstrip().startswith("-"):
                    skipped.append(
                        SkippedLine(origin, str(text), "a pip option line (read only in requirements files)")
                    )
                    continue
                pip.append(parse_requirement(str(text), origin))
        elif isinstance(entry, (str, int, float)):
            conda.append((where, str(entry)))
        else:
            raise InputError(
                f"{where} is neither a MatchSpec nor a pip list", path=path, fix="write 'name=version' or pip: [...]"
            )
    found, conda_skipped = from_matchspecs(conda, matrix, path)
    return Source(tuple(found + pip), skipped=tuple(skipped + conda_skipped))


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
        raise InputError(f"not valid TOML: {first_line(error)}", path=path, fix="correct the TOML syntax") from None


def _pixi_spec(name: str, value: Any) -> str:
    """A pixi dependency table entry as a MatchSpec: 'name = \"2.4.*\"' or 'name = {version = ..., build = ...}'."""
    if isinstance(value, str):
        return f"{name} {value}" if value.strip() not in ("", "*") else name
    if isinstance(value, dict):
        version = str(value.get("version", "*"))
        build = value.get("build")
        channel = value.get("channel")
        spec = f"{channel}::{name}" if channel else name
        return f"{spec} {version} {build}" if build else (f"{spec} {version}" if version != "*" else spec)
    return name


def read_pixi(path: Path, matrix: Matrix | None = None) -> Source:
    """pixi.toml (or pyproject's [tool.pixi]): [dependencies], [pypi-dependencies] and [system-requirements] cuda,
    and the same tables of each feature, each feature judged as its own environment on top of the root one."""
    document = _load_toml(path)
    root = document.get("tool", {}).get("pixi", document) if path.name == "pyproject.toml" else document
    tables: list[tuple[str, dict[str, Any]]] = [("", root)]
    tables += [(f"feature.{n}.", t) for n, t in sorted(root.get("feature", {}).items()) if isinstance(t, dict)]
    found: list[RequirementInput] = []
    skipped: list[SkippedLine] = []
    root_cuda = _system_cuda(root)
    for prefix, table in tables:
        conda = [
            (f"{prefix}dependencies.{name}", _pixi_spec(name, value))
            for name, value in table.get("dependencies", {}).items()
        ]
        read, left = from_matchspecs(conda, matrix, path, _system_cuda(table) or root_cuda)
        found += read
        skipped += left
        for name, value in table.get("pypi-dependencies", {}).items():
            origin = f"{path}:{prefix}pypi-dependencies.{name}"
            version = value if isinstance(value, str) else (value.get("version", "") if isinstance(value, dict) else "")
            extras = value.get("extras", []) if isinstance(value, dict) else []
            text = name + (f"[{','.join(extras)}]" if extras else "") + ("" if version in ("", "*") else version)
            found.append(parse_requirement(text, origin))
    return Source(tuple(found), skipped=tuple(skipped))


def _system_cuda(table: dict[str, Any]) -> str | None:
    """[system-requirements] cuda: the driver's CUDA, so the solver takes builds of that CUDA major."""
    cuda = table.get("system-requirements", {}).get("cuda")
    return f"{str(cuda).split('.')[0]}.*" if cuda else None
