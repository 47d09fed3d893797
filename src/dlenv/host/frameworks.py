"""Installed frameworks, read from their metadata and build files as text: nothing is imported.

Which distributions are a framework, and which build files name its exact build, is the matrix's (the family
blocks, through dlenv.matrix.families); how each kind of build file is read is here.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from dlenv.host.model import Framework
from dlenv.matrix.families import FRAMEWORK_ROLE
from dlenv.records import record

if TYPE_CHECKING:
    from pathlib import Path

    from dlenv.host.distributions import CondaPackage, Distribution
    from dlenv.matrix.families import FamilyIndex

_CUDA_REQUIREMENT = re.compile(r"^(nvidia-[a-z0-9-]+|cuda-toolkit|cuda-bindings)\b")
_VERSION_MODULE_FIELD = re.compile(r"^(__version__|cuda|hip|rocm)\s*(?::[^=]*)?=\s*(.+)$", re.MULTILINE)
_CONDA_BUILD_CUDA = re.compile(r"cuda(\d+)\.?(\d+)")
_CONDA_BUILD_CUDNN = re.compile(r"cudnn(\d+(?:\.\d+)*)")


def _literal(text: str) -> object:
    try:
        import ast  # only where a build file is read

        return ast.literal_eval(text.strip())
    except (ValueError, SyntaxError):
        return None


def read_version_module(path: Path) -> dict[str, str]:
    """Fields of a generated version module such as torch/version.py (`__version__ = '2.11.0+cu130'`,
    `cuda: Optional[str] = '13.0'`)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return {}
    fields = {}
    for key, value in _VERSION_MODULE_FIELD.findall(text):
        literal = _literal(value)
        if isinstance(literal, str):
            fields[key] = literal
    return fields


def read_build_info_module(path: Path) -> dict[str, object]:
    """Module-level literals of a build_info module such as tensorflow/python/platform/build_info.py, parsed without
    importing it.

    Newer releases hold one `build_info = {...}` dict; older ones hold separate assignments.
    """
    try:
        import ast

        tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
    except (OSError, SyntaxError):
        return {}
    values: dict[str, object] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                values[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                continue
    nested = values.get("build_info")
    if isinstance(nested, dict):
        values.update({str(key): value for key, value in nested.items()})
    return values


@record(frozen=False)
class _BuildFacts:
    """What a distribution's metadata and build files say about its build."""

    version: str
    """The version with any local tag (+cu121)."""
    cuda: str | None = None
    cudnn: str | None = None
    capabilities: tuple[str, ...] = ()
    kind: str | None = None
    """cuda or cpu, where a build file says which kind of build it is (then the build's tag)."""
    kind_read: bool = False


def _read_version_py(path: Path, facts: _BuildFacts) -> None:
    """The full version and the CUDA of the build (a default-index torch wheel's METADATA has no local tag)."""
    fields = read_version_module(path)
    facts.version = fields.get("__version__", facts.version)
    facts.cuda = fields.get("cuda", facts.cuda)


def _read_build_info_py(path: Path, facts: _BuildFacts) -> None:
    """cuda, cudnn, compute capabilities and the kind of build (cuda/cpu) from a build_info module."""
    info = read_build_info_module(path)
    capabilities = info.get("cuda_compute_capabilities")
    cuda = info.get("cuda_version") or info.get("cuda_version_number")
    cudnn = info.get("cudnn_version") or info.get("cudnn_version_number")
    facts.cuda = str(cuda) if cuda else None
    facts.cudnn = str(cudnn) if cudnn else None
    facts.capabilities = tuple(str(item) for item in capabilities) if isinstance(capabilities, list) else ()
    facts.kind = ("cuda" if info["is_cuda_build"] else "cpu") if "is_cuda_build" in info else None
    facts.kind_read = True


# The readers a family block's build_files can name (matrices/schema/framework.schema.json).
_READERS = {"version_py": _read_version_py, "build_info_py": _read_build_info_py}


def pip_framework(dist: Distribution, family: str, families: FamilyIndex) -> Framework:
    headers = dist.metadata_headers()
    facts = _BuildFacts(next((value for key, value in headers if key == "Version"), dist.version))
    requirements = tuple(
        sorted(
            value
            for key, value in headers
            if key == "Requires-Dist" and _CUDA_REQUIREMENT.match(value) and "extra ==" not in value
        )
    )
    for path, reader in families.build_files(family, dist.name):
        _READERS[reader](dist.site_dir / path, facts)
    public, _, tag = facts.version.partition("+")
    local = facts.kind if facts.kind_read else (tag or families.build_in_name(family, dist.name))
    return Framework(
        name=dist.name,
        version=public,
        origin="pip",
        location=str(dist.metadata_dir),
        family=family,
        local_version=local or None,
        cuda=facts.cuda,
        cudnn=facts.cudnn,
        compute_capabilities=facts.capabilities,
        cuda_requirements=requirements,
    )


def conda_framework(package: CondaPackage, family: str) -> Framework:
    cuda = _CONDA_BUILD_CUDA.search(package.build)
    cudnn = _CONDA_BUILD_CUDNN.search(package.build)
    return Framework(
        name=package.name,
        version=package.version,
        origin="conda",
        location=str(package.prefix),
        family=family,
        local_version=package.build,
        cuda=f"{cuda.group(1)}.{cuda.group(2)}" if cuda else None,
        cudnn=cudnn.group(1) if cudnn else None,
    )


def probe_frameworks(
    distributions: dict[str, Distribution], conda: dict[str, CondaPackage], families: FamilyIndex
) -> tuple[Framework, ...]:
    """The installed distributions and conda packages that the matrix's family blocks name as a framework."""
    found = []
    for name, dist in sorted(distributions.items()):
        family = families.subject_of(name)
        if family is not None:
            found.append(pip_framework(dist, family, families))
    pip_names = {framework.name for framework in found}
    for name, package in sorted(conda.items()):
        entry = families.conda(name)
        # A pip install into a conda env also leaves a conda-meta record with channel pypi; report it once.
        if entry is not None and entry.role == FRAMEWORK_ROLE and not {name, entry.pip} & pip_names:
            found.append(conda_framework(package, entry.subject))
    return tuple(found)
