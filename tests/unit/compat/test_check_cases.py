"""Table-driven real cases for `dlenv check`, over the frozen mini-matrix (tests/data/engine-matrix)."""

from __future__ import annotations

import pytest

from dlenv.compat.check import check
from dlenv.compat.requirements import from_arguments
from tests.unit.compat.engine import host, mini_matrix

RTX5090 = ("GeForce RTX 5090", "12.0")
A100 = ("A100", "8.0")
RTX3090 = ("GeForce RTX 3090", "8.6")
GTX1080TI = ("GeForce GTX 1080 Ti", "6.1")
K80 = ("Tesla K80", "3.7")
T4 = ("Tesla T4", "7.5")
H100 = ("H100", "9.0")

# (requirement, host, expected status, expected codes, the build evaluated) — each case cites why.
CASES = [
    # torch 2.6.0 cu124 has no sm_120 SASS or PTX: RTX 5090 users hit "no kernel image" (pytorch/pytorch#145949).
    (
        "torch==2.6.0+cu124",
        host("570.86.15", gpus=(RTX5090,), python="3.12"),
        "incompatible",
        {"gpu_arch_unsupported"},
        "cu124",
    ),
    # cu128 builds of 2.7 added sm_120 (PyTorch 2.7 release notes: Blackwell support).
    ("torch==2.7.1+cu128", host("570.86.15", gpus=(RTX5090,), python="3.12"), "ok", set(), "cu128"),
    # The plain pin means the default-index build: for 2.6.0 on Linux that is cu124.
    ("torch==2.6.0", host("550.54.15", gpus=(A100,)), "ok", set(), "cu124"),
    # Driver 535 (CUDA 12.2) runs cu124 only through minor-version compatibility (CUDA compatibility guide).
    ("torch==2.6.0+cu124", host("535.104.05", gpus=(A100,)), "warning", {"minor_version_compat"}, "cu124"),
    # Driver 470 is below CUDA 12's minor-version floor 525.60.13: insufficient driver on a GeForce GPU...
    ("torch==2.6.0+cu124", host("470.82.01", gpus=(RTX3090,)), "incompatible", {"driver_too_old"}, "cu124"),
    # ...and a data-center GPU could use the cuda-compat package on a supported branch, but that package is a
    # deployment choice (CUDA compatibility guide, forward compatibility): refused unless the user opts in.
    ("torch==2.6.0+cu124", host("470.82.01", gpus=(T4,)), "incompatible", {"forward_compat_required"}, "cu124"),
    # Pascal (sm_61) runs cu126's sm_60 SASS but cu128 starts at sm_75 (uv#14742: GTX 1080 Ti got cu128 wheels).
    ("torch==2.7.1+cu126", host("560.35.03", gpus=(GTX1080TI,)), "ok", set(), "cu126"),
    ("torch==2.7.1+cu128", host("570.86.15", gpus=(GTX1080TI,)), "incompatible", {"gpu_arch_unsupported"}, "cu128"),
    # Kepler's last driver branch is 470; a 550 driver no longer supports a K80.
    ("torch==2.4.1+cu118", host("550.54.15", gpus=(K80,)), "incompatible", {"gpu_unsupported_by_driver"}, "cu118"),
    # Python too new and too old.
    ("torch==2.4.1", host("550.54.15", gpus=(A100,), python="3.13"), "incompatible", {"python_unsupported"}, "cu121"),
    ("torch==2.8.0", host("570.86.15", gpus=(A100,), python="3.8"), "incompatible", {"python_unsupported"}, "cu128"),
    # manylinux_2_28 wheels on a glibc 2.17 host (CentOS 7).
    ("torch==2.8.0", host("570.86.15", gpus=(A100,), glibc="2.17"), "incompatible", {"platform_unsupported"}, "cu128"),
    # A CUDA build with no driver at all: runs on the CPU only.
    ("torch==2.8.0+cu128", host(), "warning", {"no_driver"}, "cu128"),
    # A range picks the newest release and build that works: 2.8.0 has no CUDA 11 build for driver 470.
    ("torch>=2.4,<2.9", host("470.82.01", gpus=(RTX3090,)), "warning", {"minor_version_compat"}, "cu118"),
    # RAPIDS 24.10 needs compute capability 7.0 (Pascal dropped in 24.02, RAPIDS support notice RSN 34).
    ("cudf-cu12==24.10", host("550.54.15", gpus=(GTX1080TI,)), "incompatible", {"gpu_arch_unsupported"}, "cu12"),
    # The mini-matrix records no arch list for it: within its compiler's targets, but unverified, never a bare ok.
    ("cudf-cu12==24.10", host("550.54.15", gpus=(H100,)), "warning", {"gpu_arch_unknown"}, "cu12"),
    # CUDA 13 build on a driver whose CUDA is 12.x.
    ("torch==2.8.0+cu128", host(max_cuda="12.4", gpus=(A100,)), "warning", {"minor_version_compat"}, "cu128"),
]


@pytest.mark.parametrize(
    ("requirement", "target", "status", "codes", "build"),
    CASES,
    ids=[f"{case[0]}-{case[2]}-{i}" for i, case in enumerate(CASES)],
)
def test_case(requirement, target, status, codes, build) -> None:  # type: ignore[no-untyped-def]
    report = check(target, mini_matrix(), from_arguments([requirement]))
    (result,) = report.results
    assert result.status == status, [f.message for f in result.findings]
    assert {f.code for f in result.findings if f.severity.value != "info"} == codes
    assert result.evaluation is not None
    assert result.evaluation.candidate.build.build == build


def test_incompatible_build_names_builds_that_work() -> None:
    report = check(
        host("570.86.15", gpus=(RTX5090,), python="3.12"), mini_matrix(), from_arguments(["torch==2.6.0+cu124"])
    )
    (result,) = report.results
    labels = [alternative.candidate.label for alternative in result.alternatives]
    assert labels and labels[0] == "torch==2.8.0+cu128"
    assert all(alternative.compatible for alternative in result.alternatives)


def test_no_such_build_names_the_ones_that_exist() -> None:
    (result,) = check(host("550.54.15"), mini_matrix(), from_arguments(["torch==2.6.0+cu125"])).results
    (finding,) = result.findings
    assert finding.code == "no_such_build"
    assert "cpu, cu118, cu124, cu126" in finding.message
    (missing,) = check(host("550.54.15"), mini_matrix(), from_arguments(["torch==2.5.0"])).results
    assert missing.findings[0].code == "no_such_build"
    assert "2.4.1, 2.6.0" in (missing.findings[0].fix or "")


def test_unknown_packages_are_not_judged() -> None:
    (result,) = check(host("550.54.15"), mini_matrix(), from_arguments(["numpy<2"])).results
    assert (result.status, result.compatible) == ("unknown", True)


def test_conflicting_cudnn_pins_between_frameworks() -> None:
    report = check(
        host("550.54.15", gpus=(A100,)), mini_matrix(), from_arguments(["torch==2.6.0", "tensorflow==2.15.1"])
    )
    assert [f.code for f in report.conflicts] == ["conflict"]
    assert "nvidia-cudnn-cu12" in report.conflicts[0].message
    assert not report.compatible


def test_different_cuda_majors_are_a_warning() -> None:
    report = check(
        host("550.54.15", gpus=(A100,)), mini_matrix(), from_arguments(["torch==2.6.0+cu118", "cudf-cu12==24.10"])
    )
    assert [(f.code, f.severity.value) for f in report.conflicts] == [("conflict", "warning")]
    assert report.compatible


def test_conda_override_cuda_decides_over_the_driver_version() -> None:
    # conda's CONDA_OVERRIDE_CUDA states the CUDA the driver supports: a cu128 build on a 580 driver taken as
    # CUDA 12.4 gets what such a driver gives it, not what the 580 version alone would allow.
    from dlenv.host.model import Override
    from dlenv.records import replace

    plain = host("580.65.06", max_cuda="12.4", gpus=(A100,))
    overridden = replace(plain, overrides=(Override("CONDA_OVERRIDE_CUDA", "12.4", "driver's maximum CUDA: 12.4"),))
    requirement = from_arguments(["torch==2.8.0+cu128"])
    assert check(plain, mini_matrix(), requirement).compatible
    (result,) = check(overridden, mini_matrix(), requirement).results
    assert "minor_version_compat" in {finding.code for finding in result.findings}
