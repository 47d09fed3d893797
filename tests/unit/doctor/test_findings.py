"""Each doctor finding, with a host that triggers it and one that does not."""

from __future__ import annotations

from dataclasses import replace

import pytest

from dlenv.doctor.diagnose import diagnose, has_errors
from dlenv.host.model import (
    CudaToolkit,
    Driver,
    Framework,
    Gpu,
    HostFacts,
    Library,
    MigDevice,
    Platform,
    ProbeProblem,
    Severity,
)

HEALTHY = HostFacts(
    platform=Platform(system="linux", arch="x86_64"),
    driver=Driver(version="550.54.15", max_cuda="12.4", kernel_module_version="550.54.15"),
    gpus=(Gpu(index=0, name="NVIDIA A100-SXM4-80GB", compute_capability="8.0", brand="nvidia"),),
)


def torch(tag: str, cuda: str | None) -> Framework:
    return Framework(
        name="torch", version="2.5.1", origin="pip", location="/site", family="pytorch", local_version=tag, cuda=cuda
    )


def codes(host: HostFacts) -> list[str]:
    return [finding.code for finding in diagnose(host)]


def test_healthy_host_has_no_findings() -> None:
    assert codes(HEALTHY) == []


@pytest.mark.parametrize(
    ("tag", "cuda", "expected"),
    [
        ("cu124", "12.4", []),
        ("cu121", "12.1", []),
        ("cu118", "11.8", []),
        ("cpu", None, []),
        ("cu126", "12.6", ["minor_version_compat"]),
        ("cu130", "13.0", ["driver_too_old"]),
    ],
)
def test_framework_cuda_against_the_driver(tag: str, cuda: str | None, expected: list[str]) -> None:
    assert codes(replace(HEALTHY, frameworks=(torch(tag, cuda),))) == expected


def test_driver_too_old_is_an_error_that_names_both_versions() -> None:
    (finding,) = diagnose(replace(HEALTHY, frameworks=(torch("cu130", "13.0"),)))
    assert finding.severity is Severity.ERROR
    assert "13.0" in finding.message and "12.4" in finding.message
    assert has_errors([finding])


def test_cuda_build_without_driver() -> None:
    host = replace(HEALTHY, driver=None, gpus=(), frameworks=(torch("cu121", "12.1"),), origin="flags")
    assert codes(host) == ["cuda_build_without_driver"]
    assert codes(replace(host, frameworks=(torch("cpu", None),))) == []


@pytest.mark.parametrize(("value", "expected"), [("", ["gpus_hidden"]), ("-1", ["gpus_hidden"]), ("0", [])])
def test_cuda_visible_devices(value: str, expected: list[str]) -> None:
    assert codes(replace(HEALTHY, environment=(("CUDA_VISIBLE_DEVICES", value),))) == expected


def test_mig_without_instances() -> None:
    mig_on = replace(HEALTHY.gpus[0], mig_enabled=True)
    assert codes(replace(HEALTHY, gpus=(mig_on,))) == ["mig_without_instances"]
    with_instance = replace(mig_on, mig_devices=(MigDevice(index=0),))
    assert codes(replace(HEALTHY, gpus=(with_instance,))) == []


def test_toolkit_newer_than_driver_and_nvcc_mismatch() -> None:
    toolkit = CudaToolkit("13.0.88", "/usr/local/cuda-13.0", "nvcc", ("PATH",))
    host = replace(HEALTHY, toolkits=(toolkit,), frameworks=(torch("cu121", "12.1"),))
    assert codes(host) == ["toolkit_newer_than_driver", "nvcc_torch_mismatch"]
    same_major = replace(toolkit, version="12.4.131")
    assert codes(replace(host, toolkits=(same_major,))) == []


def test_library_shadowing_only_from_ld_library_path() -> None:
    wheel = Library("cudnn", "9.1.0.70", "pip", "nvidia-cudnn-cu12 (/site)", 12)
    system = Library("cudnn", "8.9.7", "system", "/usr/local/cuda/lib64/libcudnn.so.8.9.7")
    host = replace(HEALTHY, libraries=(wheel, system))
    assert codes(host) == []
    on_path = replace(host, environment=(("LD_LIBRARY_PATH", "/usr/local/cuda/lib64"),))
    assert codes(on_path) == ["library_shadowed"]


def test_compat_on_geforce() -> None:
    geforce = Gpu(index=0, name="NVIDIA GeForce RTX 4090", compute_capability="8.9", brand="geforcertx")
    toolkit = CudaToolkit(
        "12.8.0", "/usr/local/cuda-12.8", "version.json", ("/usr/local/cuda-12.8",), compat_driver_version="570.86.10"
    )
    host = replace(
        HEALTHY, gpus=(geforce,), toolkits=(toolkit,), environment=(("LD_LIBRARY_PATH", "/usr/local/cuda-12.8/compat"),)
    )
    assert "compat_on_unsupported_gpu" in codes(host)


@pytest.mark.parametrize(
    ("problem", "code", "severity"),
    [
        ("nvml_driver_not_loaded", "driver_not_loaded", Severity.ERROR),
        ("nvml_no_permission", "gpu_no_permission", Severity.ERROR),
        ("nvml_not_supported", "nvml_not_supported", Severity.WARNING),
        ("nvml_uninitialized", "nvml_uninitialized", Severity.ERROR),
        ("nvml_hung", "driver_hung", Severity.ERROR),
        ("nvml_bindings_missing", "nvml_bindings_missing", Severity.WARNING),
        ("nvml_error", "nvml_error", Severity.ERROR),
    ],
)
def test_probe_problems_become_findings(problem: str, code: str, severity: Severity) -> None:
    host = replace(HEALTHY, problems=(ProbeProblem(problem, "detail", "nvml"),))
    (finding,) = diagnose(host)
    assert (finding.code, finding.severity) == (code, severity)
    assert finding.fix


def test_overrides_are_reported() -> None:
    from dlenv.host.model import Override

    host = replace(HEALTHY, overrides=(Override("CONDA_OVERRIDE_CUDA", "12.4", "driver's maximum CUDA taken as 12.4"),))
    (finding,) = diagnose(host)
    assert (finding.code, finding.severity) == ("override", Severity.INFO)
