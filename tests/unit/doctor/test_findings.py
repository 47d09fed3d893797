"""Each doctor finding, with a host that triggers it and one that does not."""

from __future__ import annotations

import pytest

from dlenv.doctor.diagnose import diagnose
from dlenv.doctor.verdicts import doctor_report
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
    has_errors,
)
from dlenv.records import replace
from tests.unit.compat.engine import mini_matrix

HEALTHY = HostFacts(
    platform=Platform(system="linux", arch="x86_64"),
    driver=Driver(version="550.54.15", max_cuda="12.4", kernel_module_version="550.54.15"),
    gpus=(Gpu(index=0, name="NVIDIA A100-SXM4-80GB", compute_capability="8.0", brand="nvidia"),),
)


def torch(tag: str | None, cuda: str | None, version: str = "2.6.0") -> Framework:
    return Framework(
        name="torch", version=version, origin="pip", location="/site", family="pytorch", local_version=tag, cuda=cuda
    )


def codes(host: HostFacts) -> list[str]:
    return [finding.code for finding in diagnose(host)]


def doctor_codes(host: HostFacts) -> list[str]:
    """Doctor's findings with the installed frameworks judged by the engine (the frozen mini-matrix)."""
    return [finding.code for finding in doctor_report(host, mini_matrix).findings]


def test_healthy_host_has_no_findings() -> None:
    assert codes(HEALTHY) == []


def test_host_findings_judge_no_framework() -> None:
    # one rule per fact: a framework against the driver is the engine's (doctor.verdicts), never diagnose's
    assert codes(replace(HEALTHY, frameworks=(torch("cu130", "13.0"),))) == []


@pytest.mark.parametrize(
    ("tag", "cuda", "expected"),
    [
        ("cu124", "12.4", []),
        ("cu118", "11.8", []),
        ("cpu", None, ["cpu_build_on_gpu_host"]),
        ("cu126", "12.6", ["minor_version_compat"]),
        # not a build of 2.6.0 in the matrix: judged from its metadata, and said to be unverified
        ("cu130", "13.0", ["driver_too_old", "gpu_arch_unknown", "installed_build_unverified"]),
    ],
)
def test_framework_cuda_against_the_driver(tag: str, cuda: str | None, expected: list[str]) -> None:
    assert doctor_codes(replace(HEALTHY, frameworks=(torch(tag, cuda),))) == expected


def test_driver_too_old_is_an_error_that_names_the_build_and_both_drivers() -> None:
    report = doctor_report(replace(HEALTHY, frameworks=(torch("cu130", "13.0"),)), mini_matrix)
    (finding,) = [f for f in report.findings if f.severity is Severity.ERROR]
    assert finding.code == "driver_too_old" and finding.subject == "torch"
    assert "torch==2.6.0+cu130" in finding.message and "580.65.06" in finding.message
    assert "550.54.15" in finding.message
    assert has_errors(report.findings)


def test_no_driver_is_said_once_for_the_host() -> None:
    # a probed host without a driver: doctor's own no_driver (with the fix for this host) stands for the engine's
    # no_driver on each CUDA build, whose verdict keeps its status
    host = replace(HEALTHY, driver=None, gpus=(), frameworks=(torch("cu121", "12.1", "2.4.1"),))
    report = doctor_report(host, mini_matrix)
    assert [(f.code, f.subject) for f in report.findings] == [("no_driver", "driver")]
    assert [(v.requirement.text, v.status) for v in report.verdicts] == [("torch==2.4.1+cu121", "warning")]


def test_an_engine_finding_more_severe_than_the_hosts_is_kept() -> None:
    # GPUs listed without a driver: the engine's no_driver is an error, doctor's a warning; neither hides the other
    host = replace(HEALTHY, driver=None, frameworks=(torch("cu121", "12.1", "2.4.1"),))
    report = doctor_report(host, mini_matrix)
    assert [(f.code, f.severity, f.subject) for f in report.findings if f.code == "no_driver"] == [
        ("no_driver", Severity.ERROR, "torch"),
        ("no_driver", Severity.WARNING, "driver"),
    ]


def test_an_unknown_cuda_build_without_a_driver_is_judged_by_the_engine() -> None:
    host = replace(HEALTHY, driver=None, gpus=(), frameworks=(torch("cu121.acme", "12.1"),), origin="flags")
    report = doctor_report(host, mini_matrix)
    assert [(f.code, f.severity) for f in report.findings] == [
        ("no_driver", Severity.WARNING),
        ("installed_build_unverified", Severity.WARNING),
    ]
    assert [(v.requirement.text, v.status) for v in report.verdicts] == [("torch==2.6.0+cu121.acme", "warning")]
    assert doctor_codes(replace(host, frameworks=(torch("cpu", None),))) == []


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
