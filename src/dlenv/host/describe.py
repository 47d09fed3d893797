"""Hosts that are not this one: a host file (`--host FILE`) and host flags (--driver, --gpu, --python, --os,
--arch) replace probing; flags given with a file correct it. Peers' overrides apply to every host."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Protocol

from dlenv.errors import InputError
from dlenv.host.model import Driver, Gpu, HostFacts, Platform
from dlenv.host.overrides import apply_overrides
from dlenv.host.serialize import read_host_file
from dlenv.records import field, record, replace
from dlenv.versions import parse_compute_capability, parse_driver

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from pathlib import Path

# Numbers are bounded in length (int() refuses strings over 4,300 digits; no real version has more than 6).
_PYTHON = re.compile(r"^3\.\d{1,3}(\.\d{1,4})?$")
_SYSTEMS = {"linux": "linux", "windows": "windows", "win": "windows", "macos": "macos", "darwin": "macos"}
_ARCHES = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64", "ppc64le": "ppc64le"}


class GpuKnowledge(Protocol):
    """What describing a host needs from the matrix."""

    def gpu_by_name(self, name: str) -> tuple[str, str, str | None] | None:
        """(product name, compute capability, architecture) of a product name or alias."""

    def gpu_names(self) -> Sequence[str]: ...

    def architecture_of(self, compute_capability: str) -> str | None: ...

    def max_cuda_for_driver(self, driver_version: str, system: str) -> str | None: ...


@record
class HostSpec:
    host_file: Path | None = None
    driver: str | None = None
    gpus: tuple[str, ...] = field(default=())
    python: str | None = None
    system: str | None = None
    arch: str | None = None

    @property
    def describes_host(self) -> bool:
        return any((self.driver, self.gpus, self.python, self.system, self.arch))

    def to_argv(self) -> list[str]:
        """The flags that name this host again (the order is fixed, so a regenerate line is stable)."""
        argv = ["--host", str(self.host_file)] if self.host_file is not None else []
        argv += ["--driver", self.driver] if self.driver else []
        for gpu in self.gpus:
            argv += ["--gpu", gpu]
        for flag, value in (("--python", self.python), ("--os", self.system), ("--arch", self.arch)):
            argv += [flag, value] if value else []
        return argv


def _gpu_from_flag(text: str, index: int, knowledge: GpuKnowledge) -> Gpu:
    value = text.strip()
    cc = parse_compute_capability(value)
    if cc is not None:
        return Gpu(index=index, compute_capability=cc, architecture=knowledge.architecture_of(cc), source="flag")
    product = knowledge.gpu_by_name(value)
    if product is None:
        import difflib

        close = difflib.get_close_matches(value, list(knowledge.gpu_names()), n=3, cutoff=0.5)
        hint = f"did you mean {', '.join(repr(name) for name in close)}? " if close else ""
        raise InputError(
            f"unknown GPU {value if len(value) <= 40 else value[:40] + '…'!r}",
            where="--gpu",
            fix=f"{hint}give a product name from the GPU table or a compute capability such as 8.6 or sm_86",
        )
    name, cc, architecture = product
    return Gpu(index=index, name=name, compute_capability=cc, architecture=architecture, source="flag")


def _checked(value: str | None, valid: Callable[[str], object], flag: str, example: str) -> str | None:
    if value is not None and not valid(value.strip()):
        shown = value if len(value) <= 40 else value[:40] + "…"
        raise InputError(f"{shown!r} is not valid", where=flag, fix=f"give a value such as {example}")
    return value.strip() if value is not None else None


def _choice(value: str | None, choices: Mapping[str, str], flag: str) -> str | None:
    if value is None:
        return None
    try:
        return choices[value.strip().lower()]
    except KeyError:
        raise InputError(
            f"{value!r} is not valid", where=flag, fix=f"use one of {', '.join(sorted(set(choices.values())))}"
        ) from None


def apply_flags(host: HostFacts, spec: HostSpec, knowledge: Callable[[], GpuKnowledge]) -> HostFacts:
    driver_version = _checked(spec.driver, parse_driver, "--driver", "535.104.05")
    python = _checked(spec.python, _PYTHON.fullmatch, "--python", "3.11")
    system = _choice(spec.system, _SYSTEMS, "--os")
    arch = _choice(spec.arch, _ARCHES, "--arch")
    platform = replace(
        host.platform,
        system=system or host.platform.system,
        arch=arch or host.platform.arch,
        python_version=python or host.platform.python_version,
    )
    driver = host.driver
    if driver_version is not None:
        driver = Driver(
            version=driver_version,
            source="flag",
            max_cuda=knowledge().max_cuda_for_driver(driver_version, platform.system),
        )
    gpus = host.gpus
    if spec.gpus:
        matrix = knowledge()
        gpus = tuple(_gpu_from_flag(text, index, matrix) for index, text in enumerate(spec.gpus))
    return replace(host, platform=platform, driver=driver, gpus=gpus)


def flag_host() -> HostFacts:
    """A host described only by flags starts empty: Linux x86_64, no driver, no GPU, nothing installed."""
    return HostFacts(platform=Platform(system="linux", arch="x86_64"), origin="flags")


def resolve_host(
    spec: HostSpec, *, probe: Callable[[], HostFacts], knowledge: Callable[[], GpuKnowledge], env: Mapping[str, str]
) -> HostFacts:
    if spec.host_file is not None:
        base = read_host_file(spec.host_file)
    elif spec.describes_host:
        base = flag_host()
    else:
        base = probe()
    return apply_overrides(apply_flags(base, spec, knowledge), env)
