"""Driver and GPU facts from the kernel module's files: the fallback when NVML is missing or broken."""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

from dlenv.host.model import Gpu

if TYPE_CHECKING:
    from dlenv.host.context import ProbeContext

_PROC_VERSION = re.compile(r"Kernel Module(?:\s+for\s+\S+)?\s+(\d+\.\d+(?:\.\d+)?)")
_NVML_LIBRARY = re.compile(r"^libnvidia-ml\.so\.(\d+\.\d+(?:\.\d+)?)$")

# Where distributions and the container toolkit put the driver's user-space libraries.
_DRIVER_LIBRARY_DIRS = (
    "/usr/lib/x86_64-linux-gnu",
    "/usr/lib/aarch64-linux-gnu",
    "/lib/x86_64-linux-gnu",
    "/lib/aarch64-linux-gnu",
    "/usr/lib64",
    "/usr/lib",
    "/lib64",
    "/lib",
    "/usr/local/nvidia/lib64",
    "/usr/local/nvidia/lib",
    "/usr/lib/wsl/lib",
)


def kernel_module_version(ctx: ProbeContext) -> str | None:
    text = ctx.read_text("/sys/module/nvidia/version")
    return text.strip() or None if text is not None else None


def proc_driver_version(ctx: ProbeContext) -> str | None:
    text = ctx.read_text("/proc/driver/nvidia/version")
    match = _PROC_VERSION.search(text) if text else None
    return match.group(1) if match else None


def nvml_library_version(ctx: ProbeContext) -> str | None:
    """Version of the user-space libnvidia-ml on disk, read from its file name (libnvidia-ml.so.580.95.05)."""
    for directory in _DRIVER_LIBRARY_DIRS:
        # Library folders hold thousands of files: filter names as strings before anything else.
        try:
            names = sorted(name for name in os.listdir(ctx.path(directory)) if name.startswith("libnvidia-ml.so."))
        except OSError:
            continue
        for name in names:
            match = _NVML_LIBRARY.match(name)
            if match and match.group(1).count(".") >= 1:
                return match.group(1)
    return None


def _information_fields(text: str) -> dict[str, str]:
    fields = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields[key.strip()] = value.strip()
    return fields


def proc_gpus(ctx: ProbeContext) -> tuple[Gpu, ...]:
    """GPUs from /proc/driver/nvidia/gpus/*/information: name, UUID and bus id, no compute capability."""
    try:
        directories = sorted(ctx.path("/proc/driver/nvidia/gpus").iterdir())
    except OSError:
        return ()
    gpus: list[Gpu] = []
    for directory in directories:
        try:
            fields = _information_fields((directory / "information").read_text(encoding="utf-8", errors="replace"))
        except OSError:
            continue
        minor = fields.get("Device Minor", "")
        gpus.append(
            Gpu(
                index=int(minor) if minor.isdigit() else len(gpus),
                name=fields.get("Model"),
                uuid=fields.get("GPU UUID"),
                pci_bus_id=fields.get("Bus Location") or directory.name,
                source="procfs",
            )
        )
    return tuple(sorted(gpus, key=lambda gpu: gpu.index))
