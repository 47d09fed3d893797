"""Python version, operating system and CPU architecture, glibc (manylinux), the cuDNN of a family whose CUDA
libraries come with an extra (TensorFlow's and-cuda), and the accelerator a build is made for (dlenv checks NVIDIA
hosts)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dlenv.host.model import Finding, Severity

if TYPE_CHECKING:
    from dlenv.compat.candidate import Candidate, RuleContext


def _python_key(version: str) -> tuple[int, int]:
    major, _, minor = version.rstrip("t").partition(".")
    return int(major), int(minor or 0)


def python_rule(ctx: RuleContext, candidate: Candidate) -> list[Finding]:
    python = ctx.python
    supported = candidate.python
    if python is None or not supported or python in supported:
        return []
    listed = sorted((p for p in supported if not p.endswith("t")), key=_python_key)
    nearest = listed[-1] if _python_key(python) > _python_key(listed[-1]) else listed[0]
    return [
        Finding(
            "python_unsupported",
            Severity.ERROR,
            f"{candidate.label} supports Python {', '.join(listed)}; the host has Python {python}.",
            f"use Python {nearest}, or a release that supports Python {python}",
            candidate.package,
        )
    ]


def _glibc_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def platform_rule(ctx: RuleContext, candidate: Candidate) -> list[Finding]:
    platforms = candidate.build.platforms
    if platforms and ctx.platform_key not in platforms:
        return [
            Finding(
                "platform_unsupported",
                Severity.ERROR,
                f"{candidate.label} is published for {', '.join(platforms)}, not {ctx.platform_key}.",
                "choose a build published for this platform",
                candidate.package,
            )
        ]
    glibc = ctx.host.platform.glibc
    needed = candidate.build.glibc
    if ctx.host.platform.system == "linux" and glibc and needed and _glibc_key(glibc) < _glibc_key(needed):
        return [
            Finding(
                "platform_unsupported",
                Severity.ERROR,
                f"{candidate.label}'s Linux wheels need glibc ≥ {needed} (manylinux_{needed.replace('.', '_')}); the "
                f"host has glibc {glibc}.",
                "use a newer OS or container base image, or an older release built for an older manylinux",
                candidate.package,
            )
        ]
    return []


def cuda_libraries_rule(ctx: RuleContext, candidate: Candidate) -> list[Finding]:
    """A family whose CUDA libraries come with an extra (tensorflow[and-cuda]) loads CUDA and cuDNN of the majors
    its build was made with from the system or from that extra's wheels; a probed host with neither is a warning."""
    build = candidate.build
    extra = candidate.family.cuda_extra
    if extra is None or build.accelerator != "cuda" or not build.cudnn:
        return []
    if ctx.host.origin != "probe":
        return []  # a described host does not say which libraries it has
    major = build.cudnn.split(".")[0]
    if any(lib.name == "cudnn" and lib.version.split(".")[0] == major for lib in ctx.host.libraries):
        return []
    fix = (
        f"pip install '{candidate.package}[{extra}]=={candidate.release.version}'"
        if extra in build.extras
        else f"install cuDNN {major} and the CUDA {build.cuda} libraries"
    )
    return [
        Finding(
            "cudnn_missing",
            Severity.WARNING,
            f"{candidate.label} was built with CUDA {build.cuda} and cuDNN {build.cudnn}, and no cuDNN {major} was "
            "found on this host: it will skip the GPU and run on the CPU only.",
            fix,
            candidate.package,
        )
    ]


def accelerator_rule(ctx: RuleContext, candidate: Candidate) -> list[Finding]:
    """A ROCm or XPU build needs an AMD or Intel GPU; dlenv checks NVIDIA hosts."""
    accelerator = candidate.build.accelerator
    if accelerator not in ("rocm", "xpu"):
        return []
    return [
        Finding(
            "accelerator_unsupported",
            Severity.ERROR,
            f"{candidate.label} is a {accelerator.upper()} build; it needs an AMD (ROCm) or Intel (XPU) GPU, and "
            "dlenv checks NVIDIA hosts.",
            "choose a CUDA or CPU build",
            candidate.package,
        )
    ]
