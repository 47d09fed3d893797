"""Recorded hosts as directory trees, laid out from the verbatim capture files in tests/data/captures/."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from dlenv.host.context import Interpreter, ProbeContext
from tests.fakes import FakeDevice, FakeNvml

CAPTURES = Path(__file__).parent / "data" / "captures"
H100 = CAPTURES / "h100-cuda13"

# The captured host's interpreter (python 3.12 in /opt/torch/.venv, Ubuntu 24.04's glibc 2.39).
H100_INTERPRETER = Interpreter(
    python_version="3.12.3", implementation="CPython", system="linux", machine="x86_64", glibc="2.39"
)

# METADATA capture file suffix -> dist-info folder name on the captured host.
_H100_DISTRIBUTIONS = {
    "torch": "torch-2.11.0",
    "torchvision": "torchvision-0.26.0",
    "torchaudio": "torchaudio-2.11.0",
    "jax": "jax-0.11.2",
    "jaxlib": "jaxlib-0.11.2",
    "jax_cuda13_plugin": "jax_cuda13_plugin-0.11.2",
    "jax_cuda13_pjrt": "jax_cuda13_pjrt-0.11.2",
    "cupy_cuda13x": "cupy_cuda13x-14.2.0",
    "nvidia_cudnn_cu13": "nvidia_cudnn_cu13-9.19.0.56",
    "nvidia_nccl_cu13": "nvidia_nccl_cu13-2.28.9",
    "nvidia_cuda_runtime": "nvidia_cuda_runtime-13.0.96",
    "nvidia_cublas": "nvidia_cublas-13.1.0.3",
    "cuda_toolkit": "cuda_toolkit-13.0.2",
}


def write(root: Path, path: str, text: str = "", mode: int | None = None) -> Path:
    target = root / path.lstrip("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    if mode is not None:
        target.chmod(mode)
    return target


def nvcc_script(version_text: str) -> str:
    return "#!/bin/sh\ncat <<'OUT'\n" + version_text + "OUT\n"


def captured_environment() -> dict[str, str]:
    env = {}
    for line in (H100 / "env.txt").read_text().splitlines():
        name, sep, value = line.partition("=")
        if sep:
            env[name] = value
    return env


def build_h100_root(root: Path) -> Path:
    """Lay out the captured H100 host under `root`; returns its site-packages folder."""
    write(root, "/sys/module/nvidia/version", (H100 / "sys-module-nvidia-version.txt").read_text())
    write(root, "/proc/driver/nvidia/version", (H100 / "proc-driver-version.txt").read_text())
    write(root, "/proc/driver/nvidia/gpus/0000:00:06.0/information", (H100 / "proc-gpu-information.txt").read_text())
    write(root, "/etc/os-release", (H100 / "os-release.txt").read_text())
    write(root, "/.dockerenv")
    nvcc_lines = (H100 / "nvcc.txt").read_text().splitlines()[1:]
    write(root, "/usr/local/cuda-13.0/bin/nvcc", nvcc_script("\n".join(nvcc_lines) + "\n"), mode=0o755)
    write(root, "/usr/local/cuda-13.0/include/cuda.h", "#define CUDA_VERSION 13000\n")
    write(root, "/usr/local/cuda-13.0/nvvm/.keep")
    for name in (H100 / "cuda_compat_dir.txt").read_text().split():
        write(root, f"/usr/local/cuda-13.0/compat/{name}")
    os.symlink("cuda-13.0", root / "usr/local/cuda")
    write(root, "/usr/include/x86_64-linux-gnu/cudnn_version.h", (H100 / "cudnn_version.h").read_text())
    for library in ("libcudnn.so.9", "libcudnn.so", "libnccl.so.2", "libnvidia-ml.so.580.159.04"):
        write(root, f"/lib/x86_64-linux-gnu/{library}")
    site = root / "opt/torch/.venv/lib/python3.12/site-packages"
    for capture, folder in _H100_DISTRIBUTIONS.items():
        dist_info = site / f"{folder}.dist-info"
        dist_info.mkdir(parents=True)
        shutil.copy(H100 / f"METADATA.{capture}", dist_info / "METADATA")
    write(site, "torch/version.py", (H100 / "torch_version.py").read_text())
    return site


def h100_nvml() -> FakeNvml:
    """A fake NVML answering with the values the real H100's NVML returned."""
    recorded = json.loads((H100 / "nvml.json").read_text())
    devices = [
        FakeDevice(
            name=device["name"],
            uuid=device["uuid"],
            capability=tuple(device["cc"]),
            architecture=device["arch"],
            memory_bytes=device["mem_total"],
            brand=device["brand"],
            bus_id=device["pci_bus_id"],
            persistence=device["persistence"],
            mig_mode=tuple(device["mig"]),
        )
        for device in recorded["devices"]
    ]
    return FakeNvml(
        devices=devices,
        driver=recorded["driver"],
        cuda_driver=recorded["cuda_driver_v2"],
        nvml_version=recorded["nvml_version"],
    )


def h100_context(root: Path, nvml: FakeNvml | None = None, env: dict[str, str] | None = None) -> ProbeContext:
    site = build_h100_root(root)
    environment = captured_environment() if env is None else env
    environment["PATH"] = environment.get("PATH", "/usr/local/cuda/bin:/usr/bin")
    fake = nvml if nvml is not None else h100_nvml()
    return ProbeContext(
        env=environment,
        root=root,
        site_dirs=(site,),
        nvml_loader=lambda: fake,
        interpreter=H100_INTERPRETER,
        run=run_in_root(root),
    )


def run_in_root(root: Path):  # type: ignore[no-untyped-def]
    """Run commands that live under the fake root (the nvcc script); others are absent."""
    from dlenv.host.context import run_command

    def run(argv, timeout_s):  # type: ignore[no-untyped-def]
        if not str(argv[0]).startswith(str(root)):
            return None
        return run_command(argv, timeout_s)

    return run
