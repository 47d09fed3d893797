"""Findings from the host's facts: GPU visibility, MIG, toolkits against the driver and the system nvcc against the
framework that builds extensions with it, forward-compatibility libraries, and system libraries that shadow a
wheel's bundled copy. Installed frameworks against the driver and the GPUs are the engine's (doctor.verdicts,
compat.installed)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from dlenv.host.model import CudaToolkit, Finding, Framework, HostFacts, Library, Severity
from dlenv.versions import CudaVersion, parse_cuda, parse_driver

if TYPE_CHECKING:
    from dlenv.matrix.families import FamilyIndex


def _label(framework: Framework) -> str:
    tag = f"+{framework.local_version}" if framework.local_version and framework.origin == "pip" else ""
    return f"{framework.name} {framework.version}{tag}"


def visibility_findings(host: HostFacts) -> list[Finding]:
    findings = []
    cuda_visible = host.env("CUDA_VISIBLE_DEVICES")
    if cuda_visible is not None and cuda_visible.strip() in {"", "-1", "none"} and host.gpus:
        findings.append(
            Finding(
                "gpus_hidden",
                Severity.WARNING,
                f"CUDA_VISIBLE_DEVICES={cuda_visible!r} hides every GPU from CUDA programs.",
                "unset CUDA_VISIBLE_DEVICES, or list the GPU indices or UUIDs to use",
                "environment",
            )
        )
    nvidia_visible = host.env("NVIDIA_VISIBLE_DEVICES")
    if nvidia_visible in {"void", "none", ""} and not host.gpus:
        findings.append(
            Finding(
                "gpus_not_requested",
                Severity.WARNING,
                f"NVIDIA_VISIBLE_DEVICES={nvidia_visible!r}: the container was started without GPUs.",
                "start it with `--gpus all` or set NVIDIA_VISIBLE_DEVICES=all",
                "environment",
            )
        )
    if host.driver is not None and host.driver.version and not host.gpus and host.origin == "probe":
        findings.append(
            Finding(
                "no_gpu",
                Severity.WARNING,
                f"Driver {host.driver.version} is loaded but no GPU is visible.",
                "check `nvidia-smi -L`, NVIDIA_VISIBLE_DEVICES and CUDA_VISIBLE_DEVICES",
                "driver",
            )
        )
    for gpu in host.gpus:
        if gpu.mig_enabled and not gpu.mig_devices:
            findings.append(
                Finding(
                    "mig_without_instances",
                    Severity.WARNING,
                    f"GPU {gpu.index} has MIG mode on but no MIG instances: CUDA programs see no device on it.",
                    "create instances (`nvidia-smi mig -cgi PROFILE -C`) or turn MIG off (`nvidia-smi -i "
                    f"{gpu.index} -mig 0`)",
                    f"gpu {gpu.index}",
                )
            )
    return findings


def _driver_max_cuda(host: HostFacts) -> CudaVersion | None:
    if host.driver is None or not host.driver.max_cuda:
        return None
    return parse_cuda(host.driver.max_cuda)


def _toolkit_on_path(host: HostFacts) -> CudaToolkit | None:
    return next((toolkit for toolkit in host.toolkits if "PATH" in toolkit.found_via), None)


def toolkit_findings(host: HostFacts, families: FamilyIndex | None = None) -> list[Finding]:
    """Toolkits against the driver, and the nvcc on PATH against the framework that builds extensions with it;
    `families` (default: the matrix this run uses) says which framework that is."""
    findings = []
    max_cuda = _driver_max_cuda(host)
    for toolkit in host.toolkits:
        version = parse_cuda(toolkit.version)
        if version and max_cuda and version.major > max_cuda.major:
            findings.append(
                Finding(
                    "toolkit_newer_than_driver",
                    Severity.WARNING,
                    f"CUDA toolkit {toolkit.version} at {toolkit.path} is newer than the driver supports (CUDA "
                    f"{max_cuda}); programs built with its nvcc will not start here.",
                    f"upgrade the driver, or build with a CUDA {max_cuda.major}.x toolkit",
                    "toolkit",
                )
            )
    nvcc = _toolkit_on_path(host)
    nvcc_version = parse_cuda(nvcc.version) if nvcc else None
    builder = _extension_builder(host, families) if nvcc and nvcc_version else None
    builder_cuda = None
    if builder is not None:
        from dlenv.compat.installed import installed_cuda  # the engine loads only where a framework is installed

        builder_cuda = installed_cuda(builder)
    if nvcc and nvcc_version and builder and builder_cuda and nvcc_version.major != builder_cuda.major:
        findings.append(
            Finding(
                "nvcc_torch_mismatch",
                Severity.WARNING,
                f"nvcc on PATH is CUDA {nvcc.version} but {_label(builder)} was built with CUDA {builder_cuda}: "
                "building CUDA extensions (torch.utils.cpp_extension) fails with 'The detected CUDA version "
                "mismatches'.",
                f"put a CUDA {builder_cuda.major}.x toolkit first on PATH and in CUDA_HOME, or install a "
                f"{builder.name} build for CUDA {nvcc_version.major}",
                "toolkit",
            )
        )
    return findings


def _extension_builder(host: HostFacts, families: FamilyIndex | None) -> Framework | None:
    """The first installed framework that builds CUDA extensions with the system nvcc (the family blocks'
    cuda_extensions: torch)."""
    if not host.frameworks:
        return None
    if families is None:
        from dlenv.matrix.families import current_families

        families = current_families()
    builders = set(families.cuda_extension_builders(framework.name for framework in host.frameworks))
    return next((framework for framework in host.frameworks if framework.name in builders), None)


def _loader_path(host: HostFacts) -> list[str]:
    return [entry.rstrip("/") for entry in (host.env("LD_LIBRARY_PATH") or "").split(":") if entry]


def compat_findings(host: HostFacts) -> list[Finding]:
    """Forward-compatibility libcuda (cuda-compat) on the loader path must be newer than the driver, on
    GPUs that support it."""
    findings = []
    driver = parse_driver(host.driver.version) if host.driver and host.driver.version else None
    loader_path = _loader_path(host)
    for toolkit in host.toolkits:
        compat = toolkit.compat_driver_version
        compat_dir = f"{toolkit.path.rstrip('/')}/compat"
        if not compat or compat_dir not in loader_path:
            continue
        compat_version = parse_driver(compat)
        if driver and compat_version and compat_version < driver:
            findings.append(
                Finding(
                    "compat_older_than_driver",
                    Severity.ERROR,
                    f"LD_LIBRARY_PATH loads forward-compatibility libcuda {compat} from {compat_dir}, older than the "
                    f"driver {host.driver.version if host.driver else ''}: CUDA fails to initialise (error 803).",
                    f"remove {compat_dir} from LD_LIBRARY_PATH: the driver is new enough on its own",
                    "toolkit",
                )
            )
        consumer = [gpu for gpu in host.gpus if gpu.brand in {"geforce", "geforcertx", "titan", "titanrtx"}]
        if consumer:
            findings.append(
                Finding(
                    "compat_on_unsupported_gpu",
                    Severity.ERROR,
                    f"Forward-compatibility libraries from {compat_dir} are on the loader path, but GPU "
                    f"{consumer[0].index} ({consumer[0].name}) is a consumer GPU: CUDA fails with 'forward "
                    "compatibility was attempted on non supported HW' (error 804).",
                    f"remove {compat_dir} from LD_LIBRARY_PATH and upgrade the driver instead",
                    "toolkit",
                )
            )
    return findings


def _shadowing(system: Library, wheel: Library) -> Finding:
    names = {"cudnn": "cuDNN", "nccl": "NCCL", "cuda-runtime": "the CUDA runtime", "cublas": "cuBLAS"}
    directory = str(Path(system.location).parent)
    return Finding(
        "library_shadowed",
        Severity.WARNING,
        f"LD_LIBRARY_PATH puts the system {names.get(system.name, system.name)} {system.version} ({directory}) "
        f"ahead of the {wheel.version} wheel ({wheel.location.split(' ')[0]}) that the frameworks were built "
        "against; a mismatch shows as 'cuDNN version incompatibility' or undefined-symbol errors.",
        f"remove {directory} from LD_LIBRARY_PATH",
        "libraries",
    )


def shadowing_findings(host: HostFacts) -> list[Finding]:
    loader_path = set(_loader_path(host))
    wheels = {library.name: library for library in host.libraries if library.origin == "pip"}
    findings = []
    for library in host.libraries:
        wheel = wheels.get(library.name)
        directory = str(Path(library.location).parent)
        if (
            library.origin == "system"
            and wheel
            and directory in loader_path
            and library.version.split(".")[:2] != wheel.version.split(".")[:2]
        ):
            findings.append(_shadowing(library, wheel))
    return findings
