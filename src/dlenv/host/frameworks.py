"""Installed frameworks, read from their metadata and build files as text: nothing is imported."""

from __future__ import annotations

import ast
import re
from typing import TYPE_CHECKING

from dlenv.host.model import Framework

if TYPE_CHECKING:
    from pathlib import Path

    from dlenv.host.distributions import CondaPackage, Distribution

# Distribution name patterns of each framework family (identities, not compatibility facts).
_FAMILIES = (
    ("pytorch", re.compile(r"^(torch|torchvision|torchaudio)$")),
    ("tensorflow", re.compile(r"^(tensorflow(-cpu|-gpu)?|tf-nightly(-cpu|-gpu)?)$")),
    ("jax", re.compile(r"^(jax|jaxlib|jax-cuda\d+-(plugin|pjrt))$")),
    ("cupy", re.compile(r"^cupy(-cuda\d+x?|-cuda\d{3}|-rocm-[\d-]+)?$")),
    (
        "rapids",
        re.compile(
            r"^(cudf|cuml|cugraph|rmm|cuvs|raft-dask|pylibraft|pylibcudf|dask-cudf|cuspatial|cuxfilter|cucim"
            r"|nx-cugraph|pylibcugraph|libcudf|librmm|libcuml|libcuvs)-cu\d+$|^dask-cuda$"
        ),
    ),
)
_CONDA_FAMILIES = {
    "pytorch": "pytorch",
    "torchvision": "pytorch",
    "torchaudio": "pytorch",
    "tensorflow": "tensorflow",
    "tensorflow-base": "tensorflow",
    "jax": "jax",
    "jaxlib": "jax",
    "cupy": "cupy",
    "cudf": "rapids",
    "cuml": "rapids",
    "cugraph": "rapids",
    "rmm": "rapids",
    "cuvs": "rapids",
    "dask-cuda": "rapids",
}
_CUDA_REQUIREMENT = re.compile(r"^(nvidia-[a-z0-9-]+|cuda-toolkit|cuda-bindings)\b")
_NAME_CUDA_LINE = re.compile(r"-(cuda\d+x?|cuda\d{3}|cu\d+)(?:-(?:plugin|pjrt))?$")
_TORCH_VERSION_FIELD = re.compile(r"^(__version__|cuda|hip|rocm)\s*(?::[^=]*)?=\s*(.+)$", re.MULTILINE)
_CONDA_BUILD_CUDA = re.compile(r"cuda(\d+)\.?(\d+)")
_CONDA_BUILD_CUDNN = re.compile(r"cudnn(\d+(?:\.\d+)*)")


def family_of(name: str) -> str | None:
    for family, pattern in _FAMILIES:
        if pattern.match(name):
            return family
    return None


def _literal(text: str) -> object:
    try:
        return ast.literal_eval(text.strip())
    except (ValueError, SyntaxError):
        return None


def read_torch_version_file(path: Path) -> dict[str, str]:
    """Fields of torch/version.py (`__version__ = '2.11.0+cu130'`, `cuda: Optional[str] = '13.0'`)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return {}
    fields = {}
    for key, value in _TORCH_VERSION_FIELD.findall(text):
        literal = _literal(value)
        if isinstance(literal, str):
            fields[key] = literal
    return fields


def read_tensorflow_build_info(path: Path) -> dict[str, object]:
    """Module-level literals of tensorflow/python/platform/build_info.py, parsed without importing it.

    Newer releases hold one `build_info = {...}` dict; older ones hold separate assignments.
    """
    try:
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


def _tensorflow_build(dist: Distribution) -> tuple[str | None, str | None, tuple[str, ...], str | None]:
    """(cuda, cudnn, compute capabilities, cuda/cpu) from the wheel's build_info.py."""
    info = read_tensorflow_build_info(dist.site_dir / "tensorflow" / "python" / "platform" / "build_info.py")
    capabilities = info.get("cuda_compute_capabilities")
    cuda = info.get("cuda_version") or info.get("cuda_version_number")
    cudnn = info.get("cudnn_version") or info.get("cudnn_version_number")
    kind = ("cuda" if info["is_cuda_build"] else "cpu") if "is_cuda_build" in info else None
    return (
        str(cuda) if cuda else None,
        str(cudnn) if cudnn else None,
        tuple(str(item) for item in capabilities) if isinstance(capabilities, list) else (),
        kind,
    )


def pip_framework(dist: Distribution, family: str) -> Framework:
    headers = dist.metadata_headers()
    version = next((value for key, value in headers if key == "Version"), dist.version)
    requirements = tuple(
        sorted(
            value
            for key, value in headers
            if key == "Requires-Dist" and _CUDA_REQUIREMENT.match(value) and "extra ==" not in value
        )
    )
    cuda: str | None = None
    cudnn: str | None = None
    capabilities: tuple[str, ...] = ()
    if dist.name == "torch":
        # The default index's torch wheels carry no local tag in METADATA; version.py has the full one.
        torch_fields = read_torch_version_file(dist.site_dir / "torch" / "version.py")
        version = torch_fields.get("__version__", version)
        cuda = torch_fields.get("cuda")
    public, _, local_version = version.partition("+")
    local: str | None = local_version or None
    if family == "tensorflow":
        cuda, cudnn, capabilities, local = _tensorflow_build(dist)
    elif local is None:
        line = _NAME_CUDA_LINE.search(dist.name)
        local = line.group(1) if line else None
    return Framework(
        name=dist.name,
        version=public,
        origin="pip",
        location=str(dist.metadata_dir),
        family=family,
        local_version=local,
        cuda=cuda,
        cudnn=cudnn,
        compute_capabilities=capabilities,
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


def probe_frameworks(distributions: dict[str, Distribution], conda: dict[str, CondaPackage]) -> tuple[Framework, ...]:
    found = []
    for name, dist in sorted(distributions.items()):
        family = family_of(name)
        if family is not None:
            found.append(pip_framework(dist, family))
    pip_names = {framework.name for framework in found}
    for name, package in sorted(conda.items()):
        family = _CONDA_FAMILIES.get(name)
        # A pip install into a conda env also leaves a conda-meta record with channel pypi; report it once.
        if family is not None and not (name in pip_names or (name == "pytorch" and "torch" in pip_names)):
            found.append(conda_framework(package, family))
    return tuple(found)
