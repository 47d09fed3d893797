"""Immutable host facts. Probing fills them, a host file or flags replace probing, checks read them.

Versions stay strings as the host reported them; parsing happens where they are compared.
"""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING

from dlenv.records import field, record

if TYPE_CHECKING:
    from collections.abc import Iterable

HOST_SCHEMA_VERSION = 1


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@record
class MigDevice:
    index: int
    name: str | None = None
    uuid: str | None = None
    memory_total_mib: int | None = None


@record
class Gpu:
    index: int
    name: str | None = None
    uuid: str | None = None
    compute_capability: str | None = None
    architecture: str | None = None
    memory_total_mib: int | None = None
    brand: str | None = None
    pci_bus_id: str | None = None
    persistence_mode: bool | None = None
    mig_enabled: bool | None = None
    mig_devices: tuple[MigDevice, ...] = ()
    error: str | None = None
    """Why some facts of this GPU could not be read (e.g. the GPU fell off the bus)."""
    source: str = "nvml"


@record
class ProbeProblem:
    """Something that went wrong while probing: the raw observation, turned into a finding by diagnosis."""

    code: str
    detail: str
    source: str


# Probe problems after which CUDA cannot run on the host as it is (the driver or a GPU is broken, hung or not
# loaded; the library does not match the kernel module), and those that only hide facts a check needs.
CUDA_BLOCKING_PROBLEMS = frozenset(
    {
        "nvml_version_mismatch",
        "nvml_driver_not_loaded",
        "nvml_gpu_lost",
        "nvml_hung",
        "nvml_timeout",
        "nvml_uninitialized",
        "nvml_reset_required",
        "nvml_insufficient_power",
        "nvml_error",
    }
)
FACT_HIDING_PROBLEMS = frozenset(
    {"nvml_no_permission", "nvml_not_supported", "nvml_function_not_found", "nvml_bindings_missing"}
)


@record
class Driver:
    version: str | None = None
    max_cuda: str | None = None
    """The newest CUDA version this driver supports (what nvidia-smi prints as 'CUDA Version'); not a toolkit."""
    nvml_version: str | None = None
    kernel_module_version: str | None = None
    library_version: str | None = None
    """Version of the user-space libnvidia-ml found on disk (differs from the kernel module after an upgrade)."""
    source: str = "nvml"


@record
class CudaToolkit:
    version: str
    path: str
    version_source: str
    """Where the version was read: version.json, version.txt, nvcc, cuda.h."""
    found_via: tuple[str, ...] = ()
    """How the toolkit was found: PATH, CUDA_HOME, CUDA_PATH, /usr/local/cuda, ..."""
    compat_driver_version: str | None = None
    """Driver version of the forward-compatibility libraries in <toolkit>/compat, when present."""


@record
class Library:
    name: str
    """cuda-runtime, cudnn, nccl or cublas."""
    version: str
    origin: str
    """pip, conda or system."""
    location: str
    cuda_major: int | None = None


@record
class Framework:
    name: str
    """The distribution name (torch, tensorflow, jax-cuda12-plugin, cupy-cuda12x, cudf-cu12, ...)."""
    version: str
    origin: str
    location: str
    family: str
    """The matrix subject whose family block names this distribution (pytorch, jax, ... or an in-house one)."""
    local_version: str | None = None
    """The build tag: cu121, cpu, rocm6.1 (torch's version.py), or a conda build string."""
    cuda: str | None = None
    """CUDA version the build was made with, where its files say so."""
    cudnn: str | None = None
    compute_capabilities: tuple[str, ...] = ()
    """Targets the build carries (sm_XY SASS, compute_XY PTX), where its files list them (TensorFlow)."""
    cuda_requirements: tuple[str, ...] = ()
    """The CUDA library requirements of its metadata (nvidia-*, cuda-toolkit)."""


@record
class Platform:
    system: str
    """linux, windows or macos."""
    arch: str
    python_version: str | None = None
    python_implementation: str | None = None
    os_name: str | None = None
    os_id: str | None = None
    os_version: str | None = None
    glibc: str | None = None
    kernel: str | None = None
    container: str | None = None
    """docker, podman, kubernetes or None."""
    wsl: bool = False

    @property
    def key(self) -> str:
        return platform_key(self.system, self.arch)


def platform_key(system: str, arch: str) -> str:
    """The matrix's platform name: linux-x86_64, linux-aarch64, windows-x86_64, macos-arm64 ..."""
    # dlenv spells 64-bit ARM aarch64 everywhere; the matrix follows the wheel tags, which say arm64 on macOS
    return f"{system}-{'arm64' if system == 'macos' and arch == 'aarch64' else arch}"


@record
class Override:
    name: str
    value: str
    effect: str


@record
class HostFacts:
    platform: Platform
    origin: str = "probe"
    """probe, file:PATH or flags."""
    driver: Driver | None = None
    gpus: tuple[Gpu, ...] = ()
    toolkits: tuple[CudaToolkit, ...] = ()
    libraries: tuple[Library, ...] = ()
    frameworks: tuple[Framework, ...] = ()
    environment: tuple[tuple[str, str], ...] = ()
    """The CUDA-relevant environment variables that were set, in name order."""
    overrides: tuple[Override, ...] = ()
    problems: tuple[ProbeProblem, ...] = field(default=())

    def env(self, name: str) -> str | None:
        return dict(self.environment).get(name)


@record
class Finding:
    code: str
    severity: Severity
    message: str
    fix: str | None = None
    subject: str | None = None
    """What the finding is about: 'driver', 'gpu 0', 'torch', ..."""


def has_errors(findings: Iterable[Finding]) -> bool:
    """Is any of `findings` an error? (What every verdict's `compatible` rests on.)"""
    return any(finding.severity is Severity.ERROR for finding in findings)


def has_warnings(findings: Iterable[Finding]) -> bool:
    """Is any of `findings` a warning? (What `--strict` fails on.)"""
    return any(finding.severity is Severity.WARNING for finding in findings)
