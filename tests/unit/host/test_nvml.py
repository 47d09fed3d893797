"""NVML probing against fakes: healthy hosts, MIG, multi-GPU, and every NVML failure."""

from __future__ import annotations

from pathlib import Path

import pynvml
import pytest

from dlenv.host.context import Interpreter, ProbeContext
from dlenv.host.nvml import brand_name, cuda_version_from_int, probe_nvml
from tests.fakes import FakeDevice, FakeMig, FakeNvml, a100


def context(nvml: FakeNvml, tmp_path: Path, timeout: float = 5.0) -> ProbeContext:
    return ProbeContext(
        env={},
        root=tmp_path,
        nvml_loader=lambda: nvml,
        nvml_timeout_s=timeout,
        interpreter=Interpreter("3.11.7", "CPython", "linux", "x86_64", "2.36"),
    )


def test_healthy_single_gpu(tmp_path: Path) -> None:
    result = probe_nvml(context(FakeNvml(), tmp_path))
    assert result.problems == []
    assert result.driver is not None
    assert (result.driver.version, result.driver.max_cuda, result.driver.nvml_version) == (
        "580.159.04",
        "13.0",
        "13.580.159.04",
    )
    (gpu,) = result.gpus
    assert (gpu.name, gpu.compute_capability, gpu.architecture, gpu.brand) == (
        "NVIDIA H100 80GB HBM3",
        "9.0",
        "Hopper",
        "nvidia",
    )
    assert (gpu.memory_total_mib, gpu.pci_bus_id, gpu.persistence_mode, gpu.mig_enabled) == (
        81559,
        "00000000:00:06.0",
        True,
        False,
    )


def test_eight_gpus_of_two_kinds(tmp_path: Path) -> None:
    devices = [FakeDevice(uuid=f"GPU-h100-{i}") for i in range(4)] + [a100(i) for i in range(4, 8)]
    result = probe_nvml(context(FakeNvml(devices=devices), tmp_path))
    assert [gpu.compute_capability for gpu in result.gpus] == ["9.0"] * 4 + ["8.0"] * 4
    assert [gpu.architecture for gpu in result.gpus] == ["Hopper"] * 4 + ["Ampere"] * 4
    assert [gpu.index for gpu in result.gpus] == list(range(8))


def test_mig_devices_are_listed(tmp_path: Path) -> None:
    migs = [FakeMig("NVIDIA H100 80GB HBM3 MIG 3g.40gb", f"MIG-{i}", 40 * 1024**3) for i in range(2)]
    device = FakeDevice(mig_mode=(1, 1), mig_devices=[migs[0], None, migs[1]])
    (gpu,) = probe_nvml(context(FakeNvml(devices=[device]), tmp_path)).gpus
    assert gpu.mig_enabled is True
    assert [(mig.index, mig.uuid, mig.memory_total_mib) for mig in gpu.mig_devices] == [
        (0, "MIG-0", 40960),
        (2, "MIG-1", 40960),
    ]


def test_unsupported_queries_leave_fields_unknown(tmp_path: Path) -> None:
    device = FakeDevice(unsupported=frozenset({"mig", "persistence", "brand"}))
    (gpu,) = probe_nvml(context(FakeNvml(devices=[device]), tmp_path)).gpus
    assert (gpu.mig_enabled, gpu.persistence_mode, gpu.brand) == (None, None, None)
    assert gpu.compute_capability == "9.0"


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (pynvml.NVML_ERROR_LIBRARY_NOT_FOUND, "nvml_library_not_found"),
        (pynvml.NVML_ERROR_DRIVER_NOT_LOADED, "nvml_driver_not_loaded"),
        (pynvml.NVML_ERROR_LIB_RM_VERSION_MISMATCH, "nvml_version_mismatch"),
        (pynvml.NVML_ERROR_NO_PERMISSION, "nvml_no_permission"),
        (pynvml.NVML_ERROR_GPU_IS_LOST, "nvml_gpu_lost"),
        (pynvml.NVML_ERROR_NOT_SUPPORTED, "nvml_not_supported"),
        (pynvml.NVML_ERROR_UNINITIALIZED, "nvml_uninitialized"),
        (pynvml.NVML_ERROR_UNKNOWN, "nvml_error"),
    ],
)
def test_init_failures_become_problems(tmp_path: Path, error: int, code: str) -> None:
    nvml = FakeNvml(init_error=error)
    result = probe_nvml(context(nvml, tmp_path))
    assert result.driver is None
    assert [problem.code for problem in result.problems] == [code]
    assert "shutdown" not in nvml.calls  # nothing to shut down after a failed init


def test_one_lost_gpu_among_several(tmp_path: Path) -> None:
    devices = [FakeDevice(uuid="GPU-a"), FakeDevice(error=pynvml.NVML_ERROR_GPU_IS_LOST), FakeDevice(uuid="GPU-c")]
    result = probe_nvml(context(FakeNvml(devices=devices), tmp_path))
    assert [gpu.error for gpu in result.gpus] == [None, "nvml_gpu_lost", None]
    assert [(problem.code, problem.source) for problem in result.problems] == [("nvml_gpu_lost", "gpu 1")]


def test_failure_while_counting_keeps_the_driver(tmp_path: Path) -> None:
    result = probe_nvml(context(FakeNvml(count_error=pynvml.NVML_ERROR_NO_PERMISSION), tmp_path))
    assert result.driver is not None
    assert [problem.code for problem in result.problems] == ["nvml_no_permission"]


def test_a_hung_driver_cannot_hang_the_probe(tmp_path: Path) -> None:
    result = probe_nvml(context(FakeNvml(hang_seconds=2.0), tmp_path, timeout=0.1))
    assert [problem.code for problem in result.problems] == ["nvml_hung"]


def test_missing_bindings(tmp_path: Path) -> None:
    def missing() -> None:
        raise ImportError("No module named 'pynvml'")

    ctx = ProbeContext(env={}, root=tmp_path, nvml_loader=missing)
    assert [problem.code for problem in probe_nvml(ctx).problems] == ["nvml_bindings_missing"]


def test_unexpected_exception_is_contained(tmp_path: Path) -> None:
    class Broken(FakeNvml):
        def nvmlSystemGetDriverVersion(self) -> str:
            raise RuntimeError("ctypes exploded")

    result = probe_nvml(context(Broken(), tmp_path))
    assert [problem.code for problem in result.problems] == ["nvml_error"]
    assert "ctypes exploded" in result.problems[0].detail


@pytest.mark.parametrize(("value", "text"), [(13000, "13.0"), (12040, "12.4"), (11080, "11.8"), (10010, "10.1")])
def test_cuda_version_from_int(value: int, text: str) -> None:
    assert cuda_version_from_int(value) == text


@pytest.mark.parametrize(
    ("suffix", "word"),
    [
        ("TESLA", "tesla"),
        ("NVIDIA_RTX", "nvidiartx"),
        ("NVIDIA_VAPPS", "vapps"),
        ("QUADRO_RTX", "quadrortx"),
        ("NVIDIA_CLOUD_GAMING", "cloudgaming"),
        ("GEFORCE_RTX", "geforcertx"),
        ("NVIDIA", "nvidia"),
    ],
)
def test_brand_names_follow_the_container_toolkit(suffix: str, word: str) -> None:
    assert brand_name(suffix) == word
