"""Platform facts: Python, OS and distribution, glibc, CPU architecture, container and WSL."""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING

from dlenv.host.model import Platform

if TYPE_CHECKING:
    from dlenv.host.context import ProbeContext

# Environment variables that decide which GPUs and CUDA libraries a process sees.
RELEVANT_VARIABLES = (
    "NVIDIA_VISIBLE_DEVICES",
    "CUDA_VISIBLE_DEVICES",
    "NVIDIA_DRIVER_CAPABILITIES",
    "NVIDIA_REQUIRE_CUDA",
    "NVIDIA_DISABLE_REQUIRE",
    "LD_LIBRARY_PATH",
    "CUDA_HOME",
    "CUDA_PATH",
    "CONDA_PREFIX",
    "VIRTUAL_ENV",
    "CONDA_OVERRIDE_CUDA",
    "UV_CUDA_DRIVER_VERSION",
    "TORCH_CUDA_ARCH_LIST",
    "CUDA_VERSION",
)


def _os_release(ctx: ProbeContext) -> dict[str, str]:
    text = ctx.read_text("/etc/os-release") or ctx.read_text("/usr/lib/os-release") or ""
    fields = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip():
            try:
                parts = shlex.split(value)
            except ValueError:
                continue
            fields[key.strip()] = parts[0] if parts else ""
    return fields


def _container(ctx: ProbeContext) -> str | None:
    if ctx.env.get("KUBERNETES_SERVICE_HOST"):
        return "kubernetes"
    if ctx.path("/run/.containerenv").exists():
        return "podman"
    if ctx.path("/.dockerenv").exists():
        return "docker"
    cgroup = ctx.read_text("/proc/1/cgroup") or ""
    for marker, kind in (
        ("kubepods", "kubernetes"),
        ("docker", "docker"),
        ("libpod", "podman"),
        ("containerd", "containerd"),
    ):
        if marker in cgroup:
            return kind
    return None


def _is_wsl(ctx: ProbeContext, kernel: str | None) -> bool:
    if kernel and ("microsoft" in kernel.lower() or "wsl" in kernel.lower()):
        return True
    return ctx.path("/dev/dxg").exists()


def probe_platform(ctx: ProbeContext) -> Platform:
    os_release = _os_release(ctx)
    kernel_text = ctx.read_text("/proc/sys/kernel/osrelease")
    kernel = kernel_text.strip() if kernel_text else None
    interpreter = ctx.interpreter
    return Platform(
        system=interpreter.system,
        arch=interpreter.machine,
        python_version=interpreter.python_version,
        python_implementation=interpreter.implementation,
        os_name=os_release.get("PRETTY_NAME") or os_release.get("NAME"),
        os_id=os_release.get("ID"),
        os_version=os_release.get("VERSION_ID"),
        glibc=interpreter.glibc,
        kernel=kernel,
        container=_container(ctx),
        wsl=_is_wsl(ctx, kernel),
    )


def relevant_environment(ctx: ProbeContext) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((name, ctx.env[name]) for name in RELEVANT_VARIABLES if name in ctx.env))
