"""CUDA libraries: pip wheels (nvidia-*-cuXX and CUDA 13's unsuffixed names), conda packages, system files."""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

from dlenv.host.model import Library
from dlenv.records import replace

if TYPE_CHECKING:
    from pathlib import Path

    from dlenv.host.context import ProbeContext
    from dlenv.host.distributions import CondaPackage, Distribution

_PIP_LIBRARY = re.compile(r"^nvidia-(cuda-runtime|cudnn|nccl|cublas)(?:-cu(\d+))?$")
# conda package name -> the library it provides
_CONDA_LIBRARIES = {
    "cuda-cudart": "cuda-runtime",
    "cudatoolkit": "cuda-runtime",
    "cudnn": "cudnn",
    "nccl": "nccl",
    "libcublas": "cublas",
    "libnccl": "nccl",
}
_CUDNN_DEFINE = re.compile(r"#define\s+CUDNN_(MAJOR|MINOR|PATCHLEVEL)\s+(\d+)")
_SYSTEM_LIBRARY = re.compile(r"^lib(cudnn|nccl|cudart|cublas)\.so\.(\d+(?:\.\d+)*)$")
_SYSTEM_LIBRARY_PREFIXES = ("libcudnn.so.", "libnccl.so.", "libcudart.so.", "libcublas.so.")
_SYSTEM_LIBRARY_NAMES = {"cudnn": "cudnn", "nccl": "nccl", "cudart": "cuda-runtime", "cublas": "cublas"}

SYSTEM_INCLUDE_DIRS = (
    "/usr/include",
    "/usr/include/x86_64-linux-gnu",
    "/usr/include/aarch64-linux-gnu",
    "/usr/local/cuda/include",
)
SYSTEM_LIBRARY_DIRS = (
    "/usr/lib/x86_64-linux-gnu",
    "/usr/lib/aarch64-linux-gnu",
    "/lib/x86_64-linux-gnu",
    "/usr/lib64",
    "/usr/local/cuda/lib64",
)


def _major(version: str) -> int | None:
    head = version.split(".", 1)[0]
    return int(head) if head.isdigit() else None


def pip_libraries(distributions: dict[str, Distribution]) -> list[Library]:
    libraries = []
    for name, dist in sorted(distributions.items()):
        match = _PIP_LIBRARY.match(name)
        if not match:
            continue
        kind, suffix = match.groups()
        # Unsuffixed CUDA 13 wheels (nvidia-cuda-runtime 13.0.96) carry the CUDA major in their version.
        cuda_major = int(suffix) if suffix else (_major(dist.version) if kind in {"cuda-runtime", "cublas"} else None)
        libraries.append(Library(kind, dist.version, "pip", f"{name} ({dist.metadata_dir.parent})", cuda_major))
    return libraries


def conda_libraries(packages: dict[str, CondaPackage]) -> list[Library]:
    return [
        Library(
            _CONDA_LIBRARIES[name],
            package.version,
            "conda",
            f"{name} ({package.prefix})",
            _major(package.version) if _CONDA_LIBRARIES[name] == "cuda-runtime" else None,
        )
        for name, package in sorted(packages.items())
        if name in _CONDA_LIBRARIES
    ]


def _cudnn_header(ctx: ProbeContext) -> Library | None:
    for directory in SYSTEM_INCLUDE_DIRS:
        for header in ("cudnn_version.h", "cudnn.h"):
            path = ctx.path(directory) / header
            try:
                text = path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            parts = dict(_CUDNN_DEFINE.findall(text))
            if "MAJOR" in parts:
                version = ".".join(parts[key] for key in ("MAJOR", "MINOR", "PATCHLEVEL") if key in parts)
                return Library("cudnn", version, "system", ctx.host_path(path))
    return None


def library_dirs(ctx: ProbeContext) -> list[str]:
    """System library folders, LD_LIBRARY_PATH first (it is searched first by the loader)."""
    ordered = [entry for entry in ctx.env.get("LD_LIBRARY_PATH", "").split(":") if entry]
    ordered += [entry for entry in SYSTEM_LIBRARY_DIRS if entry not in ordered]
    return ordered


def _library_files(ctx: ProbeContext) -> list[Library]:
    """The most specific versioned file of each CUDA library in each library folder."""
    libraries = []
    on_loader_path = set(library_dirs(ctx)) - set(SYSTEM_LIBRARY_DIRS)
    for directory in library_dirs(ctx):
        # A toolkit's own cudart/cublas are reported with the toolkit; outside LD_LIBRARY_PATH they shadow nothing.
        kinds = {"cudnn", "nccl"} if directory not in on_loader_path else set(_SYSTEM_LIBRARY_NAMES.values())
        best: dict[str, tuple[str, Path]] = {}
        folder = ctx.path(directory)
        try:
            # Library folders hold thousands of files: filter names as strings before anything else.
            names = sorted(name for name in os.listdir(folder) if name.startswith(_SYSTEM_LIBRARY_PREFIXES))
        except OSError:
            continue
        for name in names:
            entry = folder / name
            match = _SYSTEM_LIBRARY.match(name)
            if not match:
                continue
            kind, version = _SYSTEM_LIBRARY_NAMES[match.group(1)], match.group(2)
            if kind not in kinds:
                continue
            if kind not in best or version.count(".") > best[kind][0].count("."):
                best[kind] = (version, entry)
        libraries += [Library(kind, version, "system", ctx.host_path(path)) for kind, (version, path) in best.items()]
    return libraries


def system_libraries(ctx: ProbeContext) -> list[Library]:
    """System cuDNN and NCCL files; a cuDNN library file takes the full version of a header of its major."""
    header = _cudnn_header(ctx)
    files = _library_files(ctx)
    if header is None:
        return files
    major = header.version.split(".")[0]
    matching = [library for library in files if library.name == "cudnn" and library.version.split(".")[0] == major]
    if not matching:
        return [header, *files]
    return [replace(library, version=header.version) if library in matching else library for library in files]
