"""Parsing of the version strings the CUDA world writes in many spellings: CUDA versions, driver versions, compute
capabilities, package versions to sort by, and distribution names. Every other module parses these through here."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from packaging.version import Version

from dlenv.records import record

# Every number is bounded in length: no real version part has more than 6 digits, and int() of a string over 4,300
# digits raises (CPython's conversion limit), so an unbounded pattern turned `--driver 9…9.1` into an internal error.
_DOTTED = re.compile(r"^(\d{1,6})(?:\.(\d{1,6}))?(?:\.\d{1,6}){0,4}$")
# cu121 / cu118 / cu130 (torch), cuda12x / cuda13x (CuPy), cuda102 (old CuPy), cuda12 (JAX), cu12 (RAPIDS)
_TAGGED = re.compile(r"^(?:cuda|cu)(\d{1,3})(x)?$")
DRIVER_PATTERN = r"\d{1,6}(?:\.\d{1,6}){0,2}"
"""A driver version: '535.104.05', '552.22' (Windows), or a bare branch '535' (see parse_driver)."""
_DRIVER = re.compile(DRIVER_PATTERN)
CAPABILITY_PATTERN = r"(\d{1,3})\.(\d{1,3})([af]?)"
"""A compute capability as NVML, nvidia-smi and the matrix write it: '8.6', '9.0a', '10.0f'."""
_CAPABILITY = re.compile(CAPABILITY_PATTERN)
# sm_86 / sm86 (SASS targets, --gpu), compute_90 (PTX targets); the last digit is the minor (sm_120 is 12.0)
_SM = re.compile(r"(?:sm|compute)_?(\d{1,3})(\d)([af]?)")
_NAME_SEPARATORS = re.compile(r"[-_.]+")
MAX_VERSION_LENGTH = 64
"""Longer text is no version in any spelling; parsers return None for it before matching."""


@record(order=True)
class CudaVersion:
    major: int
    minor: int | None = None
    """None when only the major is known (cuda12x, cu12)."""

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}" if self.minor is not None else f"{self.major}.x"


# Pure and called for every candidate a check evaluates (hundreds of matrix rows): cached.
@lru_cache(maxsize=4096)
def parse_cuda(text: str) -> CudaVersion | None:
    """'12.1', '12.1.105', '13', 'cu121', 'cu130', 'cuda12x', 'cuda12', 'cuda102', 'cu12' -> CudaVersion."""
    value = text.strip().lower()
    if len(value) > MAX_VERSION_LENGTH:
        return None
    dotted = _DOTTED.match(value)
    if dotted:
        return CudaVersion(int(dotted.group(1)), int(dotted.group(2)) if dotted.group(2) else None)
    tagged = _TAGGED.match(value)
    if not tagged:
        return None
    digits, wildcard = tagged.group(1), tagged.group(2)
    if wildcard or (len(digits) == 2 and digits.startswith("1")):
        return CudaVersion(int(digits))  # cuda12x, cu12, cuda13: a major
    if len(digits) == 1:
        return CudaVersion(int(digits))
    return CudaVersion(int(digits[:-1]), int(digits[-1]))  # cu121, cu92, cuda102: the last digit is the minor


@lru_cache(maxsize=4096)
def parse_driver(text: str) -> tuple[int, ...] | None:
    """'535.104.05' -> (535, 104, 5); comparable as tuples.

    A bare branch ('535', as NVIDIA's tables write driver floors, or `--driver 535`) is (535,), which sorts before
    every release of the branch: as a host's driver it is judged as the branch's earliest release, never better."""
    value = text.strip()
    if len(value) > MAX_VERSION_LENGTH or not _DRIVER.fullmatch(value):
        return None
    return tuple(int(part) for part in value.split("."))


def driver_branch(text: str) -> int | None:
    parsed = parse_driver(text)
    return parsed[0] if parsed else None


@record(order=True)
class ComputeCapability:
    """A GPU's compute capability, or a build target: 'a' (architecture-specific) runs only on exactly that
    capability, 'f' (family) on the same major."""

    major: int
    minor: int
    suffix: str = ""
    """'', 'a' or 'f'."""

    @staticmethod
    def parse(text: str) -> ComputeCapability | None:
        """'8.6', '9.0a', '10.0f', 'sm_86', 'sm86', 'sm_90a', 'compute_90' (any case) -> ComputeCapability."""
        return _parse_capability(text)

    @property
    def plain(self) -> str:
        """'9.0' for 9.0a: the capability a GPU reports, without a target's suffix."""
        return f"{self.major}.{self.minor}"

    def __str__(self) -> str:
        return f"{self.plain}{self.suffix}"


# Pure, and called for every build target of every candidate a check judges (hundreds of rows): cached.
@lru_cache(maxsize=4096)
def _parse_capability(text: str) -> ComputeCapability | None:
    value = text.strip().lower()
    if len(value) > MAX_VERSION_LENGTH:
        return None
    match = _CAPABILITY.fullmatch(value) or _SM.fullmatch(value)
    if not match:
        return None
    return ComputeCapability(int(match.group(1)), int(match.group(2)), match.group(3))


def parse_compute_capability(text: str) -> str | None:
    """'8.6', '8.6a', 'sm_86', 'sm86', 'compute_90' -> '8.6' / '9.0' (architecture suffixes dropped): what a GPU
    is, in the spelling NVML reports and the matrix lists."""
    parsed = ComputeCapability.parse(text)
    return parsed.plain if parsed else None


@lru_cache(maxsize=4096)
def parse_version(text: str) -> Version | None:
    """A package version (PEP 440), or None for text that is not one."""
    from packaging.version import Version  # on first use: the probe parses no package version

    try:
        return Version(text)
    except ValueError:  # InvalidVersion, or int() refusing a release number of over 4,300 digits
        return None


def sortable_version(text: str) -> Version:
    """A package version to sort by: text that is not a PEP 440 version sorts as 0, before every release."""
    return parse_version(text) or _zero_version()


@lru_cache(maxsize=1)
def _zero_version() -> Version:
    from packaging.version import Version

    return Version("0")


def canonical_name(name: str) -> str:
    """A distribution name in PEP 503 normal form ('Jax_CUDA12.Plugin' -> 'jax-cuda12-plugin'): the rule of
    packaging.utils.canonicalize_name (tests/unit/test_versions.py checks they agree on any text), without
    importing packaging.utils, which loads packaging.tags and logging (about 11 ms) — more than the probe's whole
    scan of installed distributions."""
    return _NAME_SEPARATORS.sub("-", name).lower()
