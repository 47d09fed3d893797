"""Parsing of the version strings the CUDA world writes in many spellings."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# Every number is bounded in length: no real version part has more than 6 digits, and int() of a string over 4,300
# digits raises (CPython's conversion limit), so an unbounded pattern turned `--driver 9…9.1` into an internal error.
_DOTTED = re.compile(r"^(\d{1,6})(?:\.(\d{1,6}))?(?:\.\d{1,6}){0,4}$")
# cu121 / cu118 / cu130 (torch), cuda12x / cuda13x (CuPy), cuda102 (old CuPy), cuda12 (JAX), cu12 (RAPIDS)
_TAGGED = re.compile(r"^(?:cuda|cu)(\d{1,3})(x)?$")
_DRIVER = re.compile(r"^\d{1,6}(\.\d{1,6}){0,2}$")
_CAPABILITY = re.compile(r"^(\d{1,3})\.(\d{1,3})[af]?$")
_SM = re.compile(r"^(?:sm|compute)_?(\d{1,3})(\d)[af]?$", re.IGNORECASE)
MAX_VERSION_LENGTH = 64
"""Longer text is no version in any spelling; parsers return None for it before matching."""


@dataclass(frozen=True, order=True)
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
    """'535.104.05' -> (535, 104, 5); comparable as tuples."""
    value = text.strip()
    if len(value) > MAX_VERSION_LENGTH or not _DRIVER.match(value):
        return None
    return tuple(int(part) for part in value.split("."))


def driver_branch(text: str) -> int | None:
    parsed = parse_driver(text)
    return parsed[0] if parsed else None


def parse_compute_capability(text: str) -> str | None:
    """'8.6', '8.6a', 'sm_86', 'sm86', 'compute_90' -> '8.6' / '9.0' (architecture suffixes dropped)."""
    value = text.strip()
    if len(value) > MAX_VERSION_LENGTH:
        return None
    match = _CAPABILITY.match(value) or _SM.match(value)
    if not match:
        return None
    return f"{int(match.group(1))}.{int(match.group(2))}"
