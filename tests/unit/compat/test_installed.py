"""Installed frameworks through the engine: the matrix's build where it records the installed one, else a candidate
from the installed metadata, judged by the same rules and never ok."""

from __future__ import annotations

from typing import Any

import pytest

from dlenv.compat.installed import check_installed, installed_candidate, installed_cuda
from dlenv.host.model import Driver, Framework, Gpu, HostFacts, Platform
from dlenv.records import replace
from dlenv.versions import CudaVersion
from tests.unit.compat.engine import mini_matrix

A100 = HostFacts(
    platform=Platform(system="linux", arch="x86_64", python_version="3.11.7"),
    driver=Driver(version="550.54.15", max_cuda="12.4"),
    gpus=(Gpu(index=0, name="NVIDIA A100-SXM4-80GB", compute_capability="8.0"),),
)


def installed(
    name: str = "torch", version: str = "2.6.0", family: str = "pytorch", origin: str = "pip", **facts: Any
) -> Framework:
    return Framework(name, version, origin, "/site", family, **facts)


def results(host: HostFacts, *frameworks: Framework) -> dict[str, tuple[str, list[str]]]:
    report = check_installed(replace(host, frameworks=frameworks), mini_matrix())
    return {r.requirement.text: (r.status, [f.code for f in r.findings]) for r in report.results}


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        ({"cuda": "12.1", "local_version": "cu118"}, CudaVersion(12, 1)),  # the build file before the tag
        ({"local_version": "cu121.acme"}, CudaVersion(12, 1)),  # the tag's first segment
        ({"local_version": "cuda12x"}, CudaVersion(12)),  # a CUDA major only (CuPy's naming)
        (
            {"cuda_requirements": ('nvidia-cuda-runtime-cu12==12.4.127; platform_system == "Linux"',)},
            CudaVersion(12, 4),
        ),
        ({"cuda_requirements": ("cuda-toolkit[cudart]==13.0.2",)}, CudaVersion(13, 0)),
        ({"local_version": "cpu"}, None),
        ({"cuda_requirements": ("nvidia-cudnn-cu12==9.1.0.70",)}, None),  # cuDNN's version is not CUDA's
    ],
)
def test_the_cuda_of_an_installed_build(facts: dict[str, Any], expected: CudaVersion | None) -> None:
    assert installed_cuda(installed(**facts)) == expected


def test_a_build_the_matrix_records_is_the_engines_candidate() -> None:
    assert results(A100, installed(local_version="cu124", cuda="12.4")) == {"torch==2.6.0+cu124": ("ok", [])}


def test_an_unknown_local_tag_is_judged_from_its_metadata_and_never_ok() -> None:
    found = results(A100, installed(local_version="cu124.acme", cuda="12.4"))
    # CUDA 12.4 on driver 550.54.15 runs natively; the A100 is within CUDA 12.4's compiler targets, arch list unknown
    assert found == {"torch==2.6.0+cu124.acme": ("warning", ["gpu_arch_unknown", "installed_build_unverified"])}


def test_a_release_newer_than_the_matrix_meets_the_same_driver_rule() -> None:
    minor = installed(version="9.9.0", local_version="cu126", cuda="12.6")
    (status, codes) = results(A100, minor)["torch==9.9.0+cu126"]
    assert status == "warning" and codes[0] == "minor_version_compat" and "installed_build_unverified" in codes
    newer = installed(version="9.9.0", local_version="cu130", cuda="13.0")
    (status, codes) = results(A100, newer)["torch==9.9.0+cu130"]
    assert status == "incompatible" and codes[0] == "driver_too_old"
    # the repair: a matrix build that runs here, as the engine found for the pin
    (result,) = check_installed(replace(A100, frameworks=(newer,)), mini_matrix()).results
    assert result.alternatives and result.alternatives[0].compatible


def test_gpu_targets_from_the_build_file_are_checked() -> None:
    # TensorFlow's build_info lists its targets: sm_XY is SASS, compute_XY SASS and PTX (cuda_configure.bzl)
    tf = installed("tensorflow", "9.0.0", "tensorflow", local_version="cuda", cuda="12.3", cudnn="8")
    candidate = installed_candidate(replace(tf, compute_capabilities=("sm_70", "compute_80")), mini_matrix())
    assert candidate is not None
    assert (candidate.build.sass, candidate.build.ptx) == (("7.0", "8.0"), ("8.0",))
    volta = replace(tf, compute_capabilities=("sm_60",))  # no kernel for the A100's 8.0 at all
    (status, codes) = results(A100, volta)["tensorflow==9.0.0"]
    assert status == "incompatible" and "gpu_arch_unsupported" in codes and "gpu_arch_unknown" not in codes


def test_metadata_that_does_not_say_cpu_or_cuda_is_unverified() -> None:
    found = results(A100, installed(version="2.5.0a0"))
    assert found == {"torch==2.5.0a0": ("warning", ["installed_build_unverified"])}
    (finding,) = check_installed(replace(A100, frameworks=(installed(version="2.5.0a0"),)), mini_matrix()).results
    assert "whether it is a CPU or a CUDA build" in finding.findings[0].message


def test_a_conda_package_is_judged_from_its_build_string() -> None:
    conda = installed("pytorch", "2.1.0", origin="conda", local_version="py3.11_cuda12.6_cudnn8.9.2_0", cuda="12.6")
    (result,) = check_installed(replace(A100, frameworks=(conda,)), mini_matrix()).results
    assert result.requirement.text == "pytorch==2.1.0"
    assert result.findings[0].code == "minor_version_compat"
    assert "pytorch 2.1.0 (conda build py3.11_cuda12.6_cudnn8.9.2_0)" in result.findings[0].message


def test_a_package_the_matrix_does_not_know_is_judged_only_when_its_metadata_names_a_build() -> None:
    plain = installed("dask-cuda", "24.8.2", "rapids")
    assert results(A100, plain) == {"dask-cuda==24.8.2": ("unknown", ["not_in_matrix"])}
    tagged = installed("pylibcudf-cu13", "25.8.0", "rapids", local_version="cu13")
    (status, codes) = results(A100, tagged)["pylibcudf-cu13==25.8.0"]
    assert status == "incompatible" and "driver_too_old" in codes and "installed_build_unverified" in codes


def test_a_companion_without_its_frameworks_pairing_stays_the_engines() -> None:
    # the mini-matrix records companions for torch 2.6.0 only: beside torch 2.4.1, torchaudio is the engine's
    # companion_unknown (its result has no candidate), not a candidate from metadata
    torch = installed(version="2.4.1", local_version="cu121", cuda="12.1")
    found = results(A100, torch, installed("torchaudio", "2.4.1"))
    assert found["torchaudio==2.4.1"] == ("warning", ["companion_unknown"])
    beside_its_torch = results(A100, installed(local_version="cu124", cuda="12.4"), installed("torchaudio", "2.6.0"))
    assert beside_its_torch["torchaudio==2.6.0"] == ("ok", [])


def test_coinstall_covers_candidates_from_metadata() -> None:
    torch = installed(local_version="cu124", cuda="12.4")
    other = installed("cupy-cuda11x", "99.0", "cupy", local_version="cuda11x")
    report = check_installed(replace(A100, frameworks=(torch, other)), mini_matrix())
    assert [(f.code, f.severity.value) for f in report.conflicts] == [("conflict", "warning")]
