"""Findings from what went wrong while probing the driver (NVML errors and their fallbacks)."""

from __future__ import annotations

from dlenv.host.model import Finding, HostFacts, ProbeProblem, Severity


def _no_driver(host: HostFacts) -> Finding:
    platform = host.platform
    if platform.wsl:
        fix = (
            "install the NVIDIA driver on Windows (not inside WSL) and make sure /usr/lib/wsl/lib, where WSL "
            "exposes libcuda and libnvidia-ml, is on the loader path"
        )
    elif platform.container:
        fix = (
            "start the container with GPU access: `docker run --gpus all …` (or `--device nvidia.com/gpu=all` "
            "with CDI; on Kubernetes request an nvidia.com/gpu resource), with NVIDIA_DRIVER_CAPABILITIES "
            "including compute,utility"
        )
    else:
        fix = "install the NVIDIA driver from your distribution or NVIDIA, then reboot; CPU-only builds work without it"
    where = f" inside this {platform.container} container" if platform.container else ""
    return Finding(
        "no_driver",
        Severity.WARNING,
        f"No NVIDIA driver found{where}: libnvidia-ml could not be loaded and no kernel module is "
        "loaded, so only CPU builds of the frameworks can run here.",
        fix,
        "driver",
    )


def _library_missing(host: HostFacts, module: str) -> Finding:
    fix = (
        "install the user-space driver package matching kernel module "
        + module
        + (
            " and give the container the utility capability (NVIDIA_DRIVER_CAPABILITIES=compute,utility)"
            if host.platform.container
            else ""
        )
    )
    return Finding(
        "nvml_library_not_found",
        Severity.ERROR,
        f"The NVIDIA kernel module {module} is loaded, but its user-space library libnvidia-ml "
        "was not found, so CUDA programs cannot talk to the GPU.",
        fix,
        "driver",
    )


def _mismatch(host: HostFacts) -> Finding:
    driver = host.driver
    module = driver.kernel_module_version if driver else None
    library = driver.library_version if driver else None
    if module and library and module != library:
        versions = f"the loaded kernel module is {module} but the user-space library libnvidia-ml is {library}"
    elif module and library:
        # Both files agree, yet NVML reports the mismatch: another libnvidia-ml is the one being loaded.
        versions = (
            f"the kernel module and the libnvidia-ml found on disk are both {module}, but the library NVML loaded is "
            "another version (check LD_LIBRARY_PATH and libraries mounted into the container)"
        )
    else:
        versions = (
            f"the loaded kernel module (/proc/driver/nvidia/version) is {module or 'unreadable'} and the user-space "
            f"library libnvidia-ml is {library or 'of an unreadable version'}"
        )
    return Finding(
        "driver_library_mismatch",
        Severity.ERROR,
        f"Driver/library version mismatch: {versions}. This follows a driver upgrade without a reboot, or "
        "driver libraries baked into a container image; every CUDA program fails to initialise.",
        "reboot, or unload and reload the kernel module (`sudo rmmod nvidia_uvm nvidia_drm nvidia_modeset "
        "nvidia && sudo modprobe nvidia`) so that it matches the library; in a container, do not install "
        "driver libraries in the image — the container toolkit injects the host's",
        "driver",
    )


# Problem code -> (finding code, severity, message, fix) for the failures that need no host context.
_SIMPLE: dict[str, tuple[str, Severity, str, str]] = {
    "nvml_driver_not_loaded": (
        "driver_not_loaded",
        Severity.ERROR,
        "The NVIDIA user-space libraries are installed but the kernel module is not loaded.",
        "load it with `sudo modprobe nvidia`; if that fails, check `dmesg` (Secure Boot blocks unsigned modules) "
        "and reinstall the driver for the running kernel",
    ),
    "nvml_no_permission": (
        "gpu_no_permission",
        Severity.ERROR,
        "NVML was refused access to the GPU device files.",
        "check the permissions of /dev/nvidia* (the user may need the video group); in a container, grant "
        "the GPU with --gpus or the device plugin rather than by mounting device files",
    ),
    "nvml_gpu_lost": (
        "gpu_lost",
        Severity.ERROR,
        "A GPU has fallen off the bus (NVML_ERROR_GPU_IS_LOST); CUDA programs using it will fail.",
        "look for Xid 79 in `dmesg`, then reset the GPU (`nvidia-smi -r`) or reboot; recurring loss points at "
        "power, cooling or the PCIe slot",
    ),
    "nvml_not_supported": (
        "nvml_not_supported",
        Severity.WARNING,
        "The driver does not support an NVML query dlenv needs; some GPU facts are missing.",
        "upgrade the driver if the missing facts matter",
    ),
    "nvml_function_not_found": (
        "nvml_function_not_found",
        Severity.WARNING,
        "The installed driver's NVML lacks a function the bindings call (driver older than the bindings).",
        "upgrade the driver, or ignore it if the facts shown are enough",
    ),
    "nvml_uninitialized": (
        "nvml_uninitialized",
        Severity.ERROR,
        "NVML reported that it was not initialised while dlenv queried it.",
        "rerun; if it persists, report it with the output of `nvidia-smi -q`",
    ),
    "nvml_hung": (
        "driver_hung",
        Severity.ERROR,
        "The driver did not answer NVML queries in time; the GPU or driver is likely hung.",
        "check `dmesg` for Xid errors and whether `nvidia-smi` answers; a GPU reset or reboot usually clears it",
    ),
    "nvml_insufficient_power": (
        "gpu_insufficient_power",
        Severity.ERROR,
        "A GPU reports insufficient power (power cables not connected properly).",
        "check the GPU's auxiliary power connectors",
    ),
    "nvml_reset_required": (
        "gpu_reset_required",
        Severity.ERROR,
        "A GPU needs a reset before it can be used.",
        "reset it with `nvidia-smi -r` or reboot",
    ),
    "nvml_bindings_missing": (
        "nvml_bindings_missing",
        Severity.WARNING,
        "The NVML Python bindings are not installed; GPU facts came from the fallbacks and may be incomplete.",
        "`pip install nvidia-ml-py`",
    ),
}


def _problem_finding(host: HostFacts, problem: ProbeProblem) -> Finding:
    driver = host.driver
    module = driver.kernel_module_version if driver else None
    if problem.code == "nvml_library_not_found":
        return _library_missing(host, module) if module else _no_driver(host)
    if problem.code == "nvml_version_mismatch":
        return _mismatch(host)
    simple = _SIMPLE.get(problem.code)
    if simple is None:
        return Finding(
            "nvml_error",
            Severity.ERROR,
            f"NVML failed: {problem.detail}.",
            "check `nvidia-smi`; if it fails too, reinstall the driver",
            problem.source,
        )
    code, severity, message, fix = simple
    subject = problem.source if problem.source.startswith("gpu") else "driver"
    detail = f" ({problem.source}: {problem.detail})" if problem.source.startswith("gpu") else ""
    return Finding(code, severity, message.rstrip(".") + detail + ".", fix, subject)


def probe_findings(host: HostFacts) -> list[Finding]:
    findings = [_problem_finding(host, problem) for problem in host.problems]
    if host.driver is None and not host.problems and host.origin == "probe":
        findings.append(_no_driver(host))
    return findings
