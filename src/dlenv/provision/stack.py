"""The stack to provision: the engine's resolution of the requirements for one host, as exact pip pins.

Everything a user passes is validated here, before any generator sees it: requirement strings must parse as PEP 508
*and* use only the characters a version pin needs (no markers, URLs, quotes, spaces or newlines), so nothing can
reach a Dockerfile instruction or a shell command.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from dlenv.compat.candidate import pin, pip_source_option
from dlenv.errors import InputError, ProblemsError
from dlenv.host.model import Severity, platform_key
from dlenv.records import record

if TYPE_CHECKING:
    from collections.abc import Sequence

    from dlenv.compat.candidate import Candidate
    from dlenv.host.model import HostFacts
    from dlenv.matrix.model import Matrix
    from dlenv.versions import CudaVersion

NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,98}[A-Za-z0-9])?$")
"""A distribution, extra or conda package name."""
_REQUIREMENT_CHARS = re.compile(r"^[A-Za-z0-9._\-\[\],<>=!~+*]{1,200}$")
_VERSION = re.compile(r"^[A-Za-z0-9.+!_-]{1,64}$")
_URL = re.compile(r"^https?://[A-Za-z0-9.\-]+(?::[0-9]{1,5})?(?:/[A-Za-z0-9._~%/+\-]*)?$")
_GLIBC = re.compile(r"^[0-9]{1,2}\.[0-9]{1,3}$")
DEFAULT_GLIBC = "2.17"

_PLATFORM_TAGS = {
    "macos-arm64": ("macosx_11_0_arm64",),
    "macos-x86_64": ("macosx_10_15_x86_64",),
    "windows-x86_64": ("win_amd64",),
}


def check_requirement_text(text: str, where: str) -> str:
    """A requirement a user passed: PEP 508, and only the characters of a name, extras and version specifiers."""
    from dlenv.compat.requirements import parse_requirement

    stripped = text.strip()
    parsed = parse_requirement(stripped, where)  # one-line InputError with packaging's reason
    if not _REQUIREMENT_CHARS.match(stripped) or parsed.requirement.marker or parsed.requirement.url:
        raise InputError(
            f"{stripped!r} is not a plain requirement",
            where=where,
            fix="give a name with optional extras and version specifiers only, e.g. torch or 'tensorflow>=2.15,<2.18'",
        )
    return stripped


def check_name(text: str, what: str) -> str:
    if not NAME.match(text):
        raise InputError(f"{text!r} is not a valid {what}", fix="use letters, digits, '.', '_' and '-' only")
    return text


def check_url(text: str, what: str) -> str:
    if not _URL.match(text):
        raise InputError(f"{text!r} is not a plain http(s) URL", where=what, fix="give an https:// URL")
    return text


@record
class Pin:
    """One framework package of the stack, pinned exactly as pip installs it."""

    candidate: Candidate
    version: str
    """The version pip sees: '2.4.1+cu121' from PyTorch's index, '2.4.1' from the default index."""
    index_url: str | None
    """The index the build comes from when it is not the default one."""
    extras: tuple[str, ...]

    @property
    def package(self) -> str:
        return self.candidate.package

    @property
    def requirement(self) -> str:
        return pin(self.package, self.extras, self.version)

    @property
    def subject(self) -> str:
        return self.candidate.subject

    @property
    def cuda(self) -> CudaVersion | None:
        return self.candidate.cuda

    @property
    def bundles_cuda(self) -> bool:
        """Does installing this pin bring the CUDA libraries it needs (or need none)? Where it does, a plain Python
        base image is enough (the driver comes from the host through the container toolkit)."""
        if self.cuda is None:
            return True
        if self.candidate.extra is not None:
            return self.candidate.extra_brings_cuda
        family = self.candidate.family
        return family.cuda_from_package or (family.cuda_extra is not None and family.cuda_extra in self.extras)


@record
class Stack:
    requirements: tuple[str, ...]
    """The requirements as the user gave them (validated)."""
    host: HostFacts
    python: str
    """'3.11'."""
    system: str
    arch: str
    glibc: str | None
    """The glibc wheels are chosen for (Linux): the host's, else the newest floor among the builds."""
    pins: tuple[Pin, ...]
    matrix_version: str | None
    allow_forward_compat: bool = False
    """The user deploys cuda-compat (--allow-forward-compat): the image installs it."""

    @property
    def platform_key(self) -> str:
        return platform_key(self.system, self.arch)

    @property
    def cuda(self) -> CudaVersion | None:
        """The newest CUDA any build of the stack was built with (or needs at least)."""
        versions = [pin.cuda for pin in self.pins if pin.cuda is not None]
        return max(versions, key=lambda v: (v.major, v.minor or 0), default=None)

    @property
    def cuda_text(self) -> str | None:
        cuda = self.cuda
        return f"{cuda.major}.{cuda.minor or 0}" if cuda else None

    @property
    def bundles_cuda(self) -> bool:
        return all(pin.bundles_cuda for pin in self.pins)

    @property
    def index_options(self) -> tuple[str, ...]:
        """pip options for the builds that are not on the default index.

        An index that serves every dependency of its family (the family block's index_serves_dependencies:
        PyTorch's, as its install selector uses it) is the only index for a stack of that family alone; any other
        mix adds each index as an extra one.
        """
        urls = sorted({pin.index_url for pin in self.pins if pin.index_url})
        if sole_index(urls, self.pins):
            return ("--index-url", urls[0])
        options: list[str] = []
        for url in urls:
            options += [pip_source_option(url), url]
        return tuple(options)

    @property
    def platform_tags(self) -> tuple[str, ...]:
        """pip --platform values for the target (pip expands a macOS tag to the older releases, not manylinux_2_X)."""
        if self.system == "linux":
            # pip takes each tag literally: name every glibc from the target's down to manylinux2014's 2.17,
            # then the legacy aliases.
            major, minor = (int(part) for part in (self.glibc or DEFAULT_GLIBC).split("."))
            tags = [f"manylinux_{major}_{m}_{self.arch}" for m in range(minor, 16, -1)] if major == 2 else []
            tags.append(f"manylinux2014_{self.arch}")
            if self.arch == "x86_64":
                tags += ["manylinux2010_x86_64", "manylinux1_x86_64"]
            return tuple(tags)
        other = _PLATFORM_TAGS.get(self.platform_key)
        if other is None:
            # Without --platform pip would resolve for the machine dlenv runs on, not for the target.
            raise InputError(
                f"dlenv cannot name pip's wheel platform for {self.platform_key}",
                where="--os/--arch",
                fix="target linux-x86_64, linux-aarch64, macos-arm64, macos-x86_64 or windows-x86_64",
            )
        return other


def sole_index(urls: Sequence[str], pins: Sequence[Pin]) -> bool:
    """Can the one index of `urls` be pip's only index for `pins`? Only where every pin's family says its index
    serves all dependencies."""
    return len(urls) == 1 and all(pin.candidate.family.index_serves_dependencies for pin in pins)


def _pin(candidate: Candidate, platform_key: str) -> Pin:
    build = candidate.build
    on_default_index = platform_key in build.default_on or not build.index_url
    version = candidate.release.version
    if not _VERSION.match(version) or not NAME.match(build.build) or not NAME.match(candidate.package):
        raise InputError(f"the matrix row {candidate.label} has characters a pin cannot hold", fix="correct the matrix")
    if candidate.local_tag and not on_default_index:
        version = f"{version}+{build.build}"
    elif version.count(".") < 2:
        version = f"{version}.*"  # a release series such as RAPIDS 24.10 ships as 24.10.0, 24.10.1, ...
    index_url = None if on_default_index else check_url(build.index_url or "", f"matrix row {candidate.label}")
    extra = candidate.extra or candidate.family.cuda_extra
    extras = (extra,) if extra and build.accelerator == "cuda" and extra in build.extras else ()
    return Pin(candidate, version, index_url, extras)


def _python(host: HostFacts) -> str:
    version = host.platform.python_version
    if not version:
        raise InputError("the target's Python version is unknown", where="--python", fix="pass --python 3.11")
    return ".".join(version.split(".")[:2])


def build_stack(
    host: HostFacts, matrix: Matrix, requirements: Sequence[str], *, allow_forward_compat: bool = False
) -> Stack:
    """Resolve `requirements` for `host` with the engine; ProblemsError when no combination works.

    Forward compatibility (NVIDIA's cuda-compat package) is considered only with `allow_forward_compat`.
    """
    from dlenv.compat.requirements import RequirementInput, parse_requirement
    from dlenv.compat.resolve import resolve

    if not requirements:
        raise InputError("nothing to provision", where="arguments", fix="name frameworks, e.g. torch or cudf-cu12")
    texts = tuple(check_requirement_text(text, f"argument {i + 1}") for i, text in enumerate(requirements))
    inputs: list[RequirementInput] = [parse_requirement(text, f"argument {i + 1}") for i, text in enumerate(texts)]
    python = _python(host)
    resolution = resolve(host, matrix, inputs, allow_forward_compat=allow_forward_compat)
    if not resolution.resolved:
        reasons = [
            f.message for t in resolution.targets if t.chosen is None for r in t.rejected_newer for f in r.reasons
        ]
        reasons += [f.message for f in resolution.conflicts if f.severity is Severity.ERROR]
        unresolved = ", ".join(t.requirement.text for t in resolution.targets if t.chosen is None) or "the stack"
        detail = f": {reasons[0]}" if reasons else ""
        raise ProblemsError(f"no build of {unresolved} works on this host{detail} (see `dlenv resolve --explain`)")
    platform_key = host.platform.key
    pins = tuple(_pin(t.chosen.candidate, platform_key) for t in resolution.targets if t.chosen is not None)
    glibc = host.platform.glibc
    if host.platform.system == "linux" and glibc is None:
        floors = [pin.candidate.build.glibc for pin in pins if pin.candidate.build.glibc]
        glibc = max(floors, key=lambda v: tuple(int(p) for p in v.split(".")), default=DEFAULT_GLIBC)
    if glibc is not None:
        glibc = ".".join(glibc.split(".")[:2])
        if not _GLIBC.match(glibc):
            raise InputError(f"glibc {glibc!r} is not a version", where="host", fix="give glibc as 2.35")
    return Stack(
        requirements=texts,
        host=host,
        python=python,
        system=host.platform.system,
        arch=host.platform.arch,
        glibc=glibc if host.platform.system == "linux" else None,
        pins=pins,
        matrix_version=resolution.matrix_version,
        allow_forward_compat=allow_forward_compat,
    )


def cuda_floor(stack: Stack, matrix: Matrix) -> str | None:
    """NVIDIA_REQUIRE_CUDA for the stack: the oldest driver that runs every build.

    With minor version compatibility (the matrix gives the major's driver floor) a CUDA M.x build runs on any driver
    of CUDA M.0 or newer at or above that floor; without it, the build's own CUDA version.
    """
    cuda = stack.cuda
    if cuda is None:
        return None
    from dlenv.compat.cuda_facts import CudaFacts

    floor = CudaFacts(matrix).minor_compat_min_driver(cuda.major, "linux")
    if floor is not None and re.match(r"^[0-9.]+$", floor):
        return f"cuda>={cuda.major}.0,driver>={floor}"
    return f"cuda>={cuda.major}.{cuda.minor or 0}"
