"""CUDA toolkits: nvcc on PATH, CUDA_HOME/CUDA_PATH, /usr/local/cuda*, /opt/cuda.

The version comes from version.json, else version.txt, else `nvcc --version`, else cuda.h.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from dlenv.host.model import CudaToolkit
from dlenv.records import replace

if TYPE_CHECKING:
    from pathlib import Path

    from dlenv.host.context import ProbeContext

_VERSION_TXT = re.compile(r"CUDA Version\s+(\d+\.\d+(?:\.\d+)?)")
_NVCC_RELEASE = re.compile(r"release (\d+\.\d+), V(\d+\.\d+\.\d+)")
_CUDA_H = re.compile(r"#define\s+CUDA_VERSION\s+(\d+)")
_COMPAT_LIBCUDA = re.compile(r"^libcuda\.so\.(\d+\.\d+(?:\.\d+)?)$")


def _is_toolkit_root(directory: Path) -> bool:
    markers = ("version.json", "version.txt", "include/cuda.h", "include/cuda_runtime.h", "nvvm")
    return any((directory / marker).exists() for marker in markers)


def _candidates(ctx: ProbeContext) -> list[tuple[Path, str]]:
    found: list[tuple[Path, str]] = []
    nvcc = ctx.which("nvcc")
    if nvcc is not None and _is_toolkit_root(nvcc.resolve().parent.parent):
        found.append((nvcc.resolve().parent.parent, "PATH"))
    for variable in ("CUDA_HOME", "CUDA_PATH", "CUDA_ROOT"):
        value = ctx.env.get(variable)
        if value:
            found.append((ctx.path(value), variable))
    for parent in ("/usr/local", "/opt"):
        try:
            entries = sorted(ctx.path(parent).iterdir())
        except OSError:
            continue
        for entry in entries:
            if entry.name == "cuda" or entry.name.startswith("cuda-"):
                found.append((entry, ctx.host_path(entry)))
    return found


def _version_json(directory: Path) -> str | None:
    try:
        data = json.loads((directory / "version.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    version = data.get("cuda", {}).get("version") if isinstance(data, dict) else None
    return str(version) if version else None


def _version_txt(directory: Path) -> str | None:
    try:
        match = _VERSION_TXT.search((directory / "version.txt").read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return None
    return match.group(1) if match else None


def _nvcc_version(ctx: ProbeContext, directory: Path) -> str | None:
    nvcc = directory / "bin" / "nvcc"
    if not nvcc.is_file():
        return None
    output = ctx.run([str(nvcc), "--version"], ctx.command_timeout_s)
    match = _NVCC_RELEASE.search(output or "")
    return match.group(2) if match else None


def _cuda_h_version(directory: Path) -> str | None:
    for header in (directory / "include" / "cuda.h", directory / "targets" / "x86_64-linux" / "include" / "cuda.h"):
        try:
            match = _CUDA_H.search(header.read_text(encoding="utf-8", errors="replace"))
        except OSError:
            continue
        if match:
            value = int(match.group(1))
            return f"{value // 1000}.{(value % 1000) // 10}"
    return None


def _compat_driver_version(directory: Path) -> str | None:
    try:
        names = sorted(entry.name for entry in (directory / "compat").iterdir())
    except OSError:
        return None
    for name in names:
        match = _COMPAT_LIBCUDA.match(name)
        if match and match.group(1).count(".") >= 1:
            return match.group(1)
    return None


def read_toolkit_version(ctx: ProbeContext, directory: Path) -> tuple[str, str] | None:
    for source, reader in (("version.json", _version_json), ("version.txt", _version_txt)):
        version = reader(directory)
        if version:
            return version, source
    version = _nvcc_version(ctx, directory)
    if version:
        return version, "nvcc"
    version = _cuda_h_version(directory)
    return (version, "cuda.h") if version else None


def _wrapped_nvcc(ctx: ProbeContext, toolkits: list[CudaToolkit]) -> list[CudaToolkit]:
    """An nvcc on PATH outside any toolkit folder (a wrapper script): match it to a toolkit by version."""
    nvcc = ctx.which("nvcc")
    if nvcc is None or _is_toolkit_root(nvcc.resolve().parent.parent):
        return toolkits
    match = _NVCC_RELEASE.search(ctx.run([str(nvcc), "--version"], ctx.command_timeout_s) or "")
    if match is None:
        return toolkits
    for index, toolkit in enumerate(toolkits):
        if toolkit.version in (match.group(1), match.group(2)):
            toolkits[index] = replace(toolkit, found_via=("PATH", *toolkit.found_via))
            return toolkits
    return [*toolkits, CudaToolkit(match.group(2), ctx.host_path(nvcc), "nvcc", ("PATH",))]


def probe_toolkits(ctx: ProbeContext) -> tuple[CudaToolkit, ...]:
    by_real_path: dict[Path, list[str]] = {}
    for directory, how in _candidates(ctx):
        try:
            real = directory.resolve(strict=True)
        except OSError:
            continue
        if real.is_dir():
            by_real_path.setdefault(real, [])
            if how not in by_real_path[real]:
                by_real_path[real].append(how)
    toolkits: list[CudaToolkit] = []
    for real, found_via in by_real_path.items():
        version = read_toolkit_version(ctx, real)
        if version is None:
            continue
        toolkits.append(
            CudaToolkit(
                version=version[0],
                path=ctx.host_path(real),
                version_source=version[1],
                found_via=tuple(found_via),
                compat_driver_version=_compat_driver_version(real),
            )
        )
    return tuple(_wrapped_nvcc(ctx, toolkits))
