"""What a wheel's filename and its Requires-Dist say: release, local tag, Pythons, platforms, glibc, CUDA stack."""

from __future__ import annotations

import re
from email.parser import HeaderParser
from typing import TYPE_CHECKING

from packaging.markers import InvalidMarker, UndefinedComparison, UndefinedEnvironmentName
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import InvalidWheelFilename, parse_wheel_filename

from dlenv.records import record
from dlenv.versions import canonical_name

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from packaging.version import Version

# Named manylinux tags (PEP 513, 571, 599) and the glibc each stands for; PEP 600 tags carry theirs.
LEGACY_MANYLINUX = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}
_MANYLINUX = re.compile(r"^manylinux_(\d+)_(\d+)_(\w+)$")
_LEGACY = re.compile(r"^(manylinux1|manylinux2010|manylinux2014)_(\w+)$")
_MACOS = re.compile(r"^macosx_\d+_\d+_(\w+)$")
_CPYTHON = re.compile(r"^cp(\d)(\d+)$")
_LINUX_ARCH = {"x86_64": "linux-x86_64", "aarch64": "linux-aarch64", "ppc64le": "linux-ppc64le"}
_MACOS_ARCH = {
    "x86_64": ("macos-x86_64",),
    "intel": ("macos-x86_64",),
    "arm64": ("macos-arm64",),
    "universal2": ("macos-x86_64", "macos-arm64"),
}


@record
class WheelInfo:
    filename: str
    name: str
    version: Version
    build: tuple[int, str] | None
    pythons: tuple[str, ...]  # "3.12", "3.13t"; empty for py3 / abi-agnostic wheels
    platforms: tuple[str, ...]  # dlenv platform names; empty for pure wheels (platform "any")
    glibc: str | None  # minimum glibc from the manylinux tags ("2.28"), None when no manylinux tag
    abi3: bool = False  # stable-ABI wheel: `pythons` holds its lowest CPython, it installs on every later one

    @property
    def release(self) -> str:
        """The public version without the local tag: 2.9.1 for 2.9.1+cu128."""
        return self.version.public

    @property
    def local(self) -> str | None:
        return self.version.local


def platform_of(tag: str) -> tuple[tuple[str, ...], tuple[int, int] | None]:
    """dlenv platforms and minimum glibc that one platform tag stands for."""
    if match := _MANYLINUX.match(tag):
        major, minor, arch = match.groups()
        name = _LINUX_ARCH.get(arch)
        return ((name,) if name else ()), (int(major), int(minor))
    if match := _LEGACY.match(tag):
        legacy, arch = match.groups()
        name = _LINUX_ARCH.get(arch)
        return ((name,) if name else ()), LEGACY_MANYLINUX[legacy]
    if tag.startswith("linux_"):
        name = _LINUX_ARCH.get(tag[len("linux_") :])
        return ((name,) if name else ()), None
    if tag == "win_amd64":
        return ("windows-x86_64",), None
    if match := _MACOS.match(tag):
        return _MACOS_ARCH.get(match.group(1), ()), None
    return (), None


def parse_wheel(filename: str) -> WheelInfo:
    """Parse a wheel filename; raises ValueError (packaging's InvalidWheelFilename) for a malformed one."""
    name, version, build, tags = parse_wheel_filename(filename)
    pythons: set[str] = set()
    platforms: set[str] = set()
    glibcs: list[tuple[int, int]] = []
    for tag in tags:
        interpreter = _CPYTHON.match(tag.interpreter)
        if interpreter:
            free_threaded = tag.abi.endswith("t") and _CPYTHON.match(tag.abi[:-1]) is not None
            pythons.add(f"{interpreter.group(1)}.{interpreter.group(2)}{'t' if free_threaded else ''}")
        names, glibc = platform_of(tag.platform)
        platforms.update(names)
        if glibc is not None:
            glibcs.append(glibc)
    low = min(glibcs) if glibcs else None
    return WheelInfo(
        filename=filename,
        name=str(name),
        version=version,
        build=(build[0], build[1]) if build else None,
        pythons=tuple(sorted(pythons, key=python_sort_key)),
        platforms=tuple(sorted(platforms)),
        glibc=f"{low[0]}.{low[1]}" if low else None,
        abi3=any(tag.abi == "abi3" for tag in tags),
    )


def try_parse_wheel(filename: str) -> WheelInfo | None:
    try:
        return parse_wheel(filename)
    except (InvalidWheelFilename, ValueError):
        return None


def python_sort_key(python: str) -> tuple[int, int, bool]:
    major, _, rest = python.partition(".")
    free_threaded = rest.endswith("t")
    minor = rest.rstrip("t")
    return (int(major), int(minor) if minor.isdigit() else 0, free_threaded)


# ---------------------------------------------------------------------------------------------------- Requires-Dist


def requires_dist(metadata: str) -> list[str]:
    """The Requires-Dist values of a core metadata file (headers only are read)."""
    message = HeaderParser().parsestr(metadata, headersonly=True)
    return [" ".join(value.split()) for value in message.get_all("Requires-Dist") or []]


def linux_x86_64_environment(python: str = "3.12") -> dict[str, str]:
    """A marker environment for CPython `python` on Linux x86_64 with no extra selected."""
    version = python.rstrip("t")
    return {
        "implementation_name": "cpython",
        "implementation_version": f"{version}.0",
        "os_name": "posix",
        "platform_machine": "x86_64",
        "platform_python_implementation": "CPython",
        "platform_release": "",
        "platform_system": "Linux",
        "platform_version": "",
        "python_full_version": f"{version}.0",
        "python_version": version,
        "sys_platform": "linux",
        "extra": "",
    }


@record
class CudaStack:
    """The CUDA libraries a wheel pins through its Requires-Dist (None: not pinned)."""

    cuda: str | None = None  # MAJOR.MINOR
    cudnn: str | None = None
    nccl: str | None = None
    requirements: tuple[str, ...] = ()  # the requirements the values were read from

    @property
    def empty(self) -> bool:
        return self.cuda is None and self.cudnn is None and self.nccl is None


_RUNTIME = re.compile(r"^nvidia-cuda-runtime(-cu\d+)?$")
_CUDNN = re.compile(r"^nvidia-cudnn(-cu\d+)?$")
_NCCL = re.compile(r"^nvidia-nccl(-cu\d+)?$")


def pinned_version(requirement: Requirement) -> str | None:
    """The version an `==` (or `===`) specifier pins, without a trailing `.*`; None for ranges."""
    for spec in requirement.specifier:
        if spec.operator in {"==", "==="}:
            text = spec.version.removesuffix(".*")
            return text if re.fullmatch(r"[0-9]+(\.[0-9]+)*", text) else None
    return None


def _applies(requirement: Requirement, environment: Mapping[str, str]) -> bool:
    if requirement.marker is None:
        return True
    try:
        return bool(requirement.marker.evaluate(dict(environment)))
    except (UndefinedComparison, UndefinedEnvironmentName, InvalidMarker):
        return False


def cuda_stack(requirements: Iterable[str], environment: Mapping[str, str] | None = None) -> CudaStack:
    """CUDA (MAJOR.MINOR), cuDNN and NCCL versions pinned by Requires-Dist lines that apply on Linux x86_64.

    CUDA comes from nvidia-cuda-runtime-cuXX==A.B.C, nvidia-cuda-runtime==A.B.* or cuda-toolkit==A.B.C pins; cuDNN
    from nvidia-cudnn-cuXX==...; NCCL from nvidia-nccl-cuXX==.... Requirements whose markers exclude Linux x86_64
    (or that belong to an extra) are ignored.
    """
    env = environment if environment is not None else linux_x86_64_environment()
    cuda = cudnn = nccl = None
    used: list[str] = []
    for line in requirements:
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            continue
        if not _applies(requirement, env):
            continue
        name = canonical_name(requirement.name)
        pinned = pinned_version(requirement)
        if pinned is None:
            continue
        if (_RUNTIME.match(name) or name == "cuda-toolkit") and cuda is None:
            parts = pinned.split(".")
            if len(parts) >= 2:
                cuda = f"{parts[0]}.{parts[1]}"
                used.append(line)
        elif _CUDNN.match(name) and cudnn is None:
            cudnn = pinned
            used.append(line)
        elif _NCCL.match(name) and nccl is None:
            nccl = pinned
            used.append(line)
    return CudaStack(cuda=cuda, cudnn=cudnn, nccl=nccl, requirements=tuple(used))


def pinned_requirement(
    requirements: Iterable[str], project: str, environment: Mapping[str, str] | None = None
) -> str | None:
    """The version `project` is pinned to (==) by requirements that apply on Linux x86_64, e.g. torch in torchvision."""
    env = environment if environment is not None else linux_x86_64_environment()
    wanted = canonical_name(project)
    for line in requirements:
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            continue
        if canonical_name(requirement.name) == wanted and _applies(requirement, env):
            pinned = pinned_version(requirement)
            if pinned is not None:
                return pinned
    return None


__all__ = [
    "LEGACY_MANYLINUX",
    "CudaStack",
    "WheelInfo",
    "cuda_stack",
    "linux_x86_64_environment",
    "parse_wheel",
    "pinned_requirement",
    "pinned_version",
    "platform_of",
    "python_sort_key",
    "requires_dist",
    "try_parse_wheel",
]
