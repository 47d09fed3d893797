"""Facts checked against upstream documentation, each with its source. A failure means the data (or the source)
changed: check the cited page before changing either side."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlenv.compat.check import check
from dlenv.compat.requirements import from_arguments
from dlenv.compat.resolve import resolve
from dlenv.host.model import Driver, Gpu, HostFacts, Platform
from dlenv.matrix.model import Matrix
from tests.matrix.conftest import framework, require_file

CUDA_COMPAT = "https://docs.nvidia.com/deploy/cuda-compatibility/index.html"
CUDA_RELEASE_NOTES = "https://docs.nvidia.com/cuda/cuda-toolkit-release-notes/index.html"  # Table 3
CUDA_GPUS = "https://developer.nvidia.com/cuda-gpus"
LEGACY_GPUS = "https://developer.nvidia.com/cuda-legacy-gpus"
KEPLER_EOL = "https://nvidia.custhelp.com/app/answers/detail/a_id/5202"
PYTORCH_PREVIOUS = "https://pytorch.org/get-started/previous-versions/"
TF_TESTED_BUILDS = "https://www.tensorflow.org/install/source#gpu"
TF_WINDOWS = "https://www.tensorflow.org/install/pip#windows-native"


# ---------------------------------------------------------------------------------------------------- CUDA


@pytest.mark.parametrize(
    ("major", "linux", "source"),
    [(11, "450.80.02", CUDA_COMPAT), (12, "525.60.13", CUDA_COMPAT)],
)
def test_minor_version_compatibility_floor(matrix: Matrix, major: int, linux: str, source: str) -> None:
    require_file("cuda")
    row = matrix.cuda_major(major)
    assert row is not None and row.minor_compat_min_driver is not None, source
    assert row.minor_compat_min_driver.linux == linux, source


@pytest.mark.parametrize(
    ("toolkit", "linux", "source"),
    [
        ("11.8.0", "520.61.05", CUDA_RELEASE_NOTES),
        ("12.0.0", "525.60.13", CUDA_RELEASE_NOTES),
        ("12.1.0", "530.30.02", CUDA_RELEASE_NOTES),
        ("12.2.0", "535.54.03", CUDA_RELEASE_NOTES),
        ("12.4.0", "550.54.14", CUDA_RELEASE_NOTES),
        ("12.6.0", "560.28.03", CUDA_RELEASE_NOTES),
        ("13.0.0", "580.65.06", CUDA_RELEASE_NOTES),
    ],
)
def test_toolkit_minimum_driver(matrix: Matrix, toolkit: str, linux: str, source: str) -> None:
    require_file("cuda")
    row = matrix.toolkit(toolkit)
    assert row is not None, f"CUDA {toolkit} missing ({source})"
    assert row.min_driver.linux == linux, source


# ---------------------------------------------------------------------------------------------------- GPUs


@pytest.mark.parametrize(
    ("name", "capability", "source"),
    [
        ("A100", "8.0", CUDA_GPUS),
        ("NVIDIA A100-SXM4-80GB", "8.0", CUDA_GPUS),
        ("RTX 4090", "8.9", CUDA_GPUS),
        ("NVIDIA GeForce RTX 4090", "8.9", CUDA_GPUS),
        ("T4", "7.5", CUDA_GPUS),
        ("Tesla T4", "7.5", CUDA_GPUS),
        ("GTX 1080 Ti", "6.1", LEGACY_GPUS),
        ("RTX 5090", "12.0", CUDA_GPUS),
        ("H100", "9.0", CUDA_GPUS),
        ("NVIDIA H100 80GB HBM3", "9.0", CUDA_GPUS),
        ("V100", "7.0", CUDA_GPUS),
        ("RTX 3090", "8.6", CUDA_GPUS),
        ("L4", "8.9", CUDA_GPUS),
        ("RTX A6000", "8.6", CUDA_GPUS),
    ],
)
def test_gpu_compute_capability(matrix: Matrix, name: str, capability: str, source: str) -> None:
    require_file("gpus")
    product = matrix.find_gpu(name)
    assert product is not None, f"{name} missing ({source})"
    assert product.compute_capability == capability, source


@pytest.mark.parametrize(
    ("capability", "architecture", "source"),
    [
        ("6.1", "Pascal", CUDA_GPUS),
        ("7.0", "Volta", CUDA_GPUS),
        ("7.5", "Turing", CUDA_GPUS),
        ("8.0", "Ampere", CUDA_GPUS),
        ("8.6", "Ampere", CUDA_GPUS),
        ("9.0", "Hopper", CUDA_GPUS),
        ("10.0", "Blackwell", CUDA_GPUS),
        ("12.0", "Blackwell", CUDA_GPUS),
    ],
)
def test_architecture_of_compute_capability(matrix: Matrix, capability: str, architecture: str, source: str) -> None:
    require_file("gpus")
    found = matrix.architecture_of(capability)
    assert found is not None and found.name == architecture, source


@pytest.mark.parametrize(
    ("architecture", "branch", "source"),
    [("Kepler", "470", KEPLER_EOL), ("Pascal", "580", CUDA_RELEASE_NOTES), ("Volta", "580", CUDA_RELEASE_NOTES)],
)
def test_last_driver_branch(matrix: Matrix, architecture: str, branch: str, source: str) -> None:
    require_file("gpus")
    found = matrix.architecture(architecture)
    assert found is not None and found.last_driver_branch == branch, source


# ---------------------------------------------------------------------------------------------------- PyTorch


@pytest.mark.parametrize(
    ("release", "cuda_builds", "default_build"),
    [
        ("2.4.1", {"cu118", "cu121", "cu124"}, "cu121"),
        ("2.5.1", {"cu118", "cu121", "cu124"}, "cu124"),
        ("2.6.0", {"cu118", "cu124", "cu126"}, "cu124"),
        ("2.7.0", {"cu118", "cu126", "cu128"}, "cu126"),
        ("2.8.0", {"cu126", "cu128", "cu129"}, "cu128"),
    ],
)
def test_pytorch_cuda_builds(matrix: Matrix, release: str, cuda_builds: set[str], default_build: str) -> None:
    pytorch = framework(matrix, "pytorch")
    builds = pytorch.builds_of(release)
    assert cuda_builds <= {build.build for build in builds}, PYTORCH_PREVIOUS
    for build in builds:
        if build.build in cuda_builds:
            assert build.cuda == f"{build.build[2:-1]}.{build.build[-1]}", PYTORCH_PREVIOUS
    defaults = {build.build for build in builds if "linux-x86_64" in build.default_on}
    assert defaults == {default_build}, f"plain `pip install torch=={release}` on Linux x86_64 ({PYTORCH_PREVIOUS})"


def test_torch_is_pytorch(matrix: Matrix) -> None:
    pytorch = framework(matrix, "pytorch")
    assert matrix.framework_for_package("torch") is pytorch


# ---------------------------------------------------------------------------------------------------- TensorFlow


@pytest.mark.parametrize(
    ("release", "cuda", "cudnn_major"),
    [
        ("2.12.0", "11.8", "8"),
        ("2.13.0", "11.8", "8"),
        ("2.14.0", "11.8", "8"),
        ("2.15.0", "12.2", "8"),
        ("2.16.1", "12.3", "8"),
        ("2.17.0", "12.3", "8"),
        ("2.18.0", "12.5", "9"),
    ],
)
def test_tensorflow_tested_build_configurations(matrix: Matrix, release: str, cuda: str, cudnn_major: str) -> None:
    tensorflow = framework(matrix, "tensorflow")
    linux_cuda = [
        build
        for build in tensorflow.builds_of(release)
        if build.accelerator == "cuda" and "linux-x86_64" in build.platforms
    ]
    assert linux_cuda, f"tensorflow {release} has a Linux CUDA build ({TF_TESTED_BUILDS})"
    for build in linux_cuda:
        assert build.cuda == cuda, TF_TESTED_BUILDS
        assert build.cudnn is not None and build.cudnn.split(".")[0] == cudnn_major, TF_TESTED_BUILDS


def test_tensorflow_2_10_was_the_last_native_windows_gpu_release(matrix: Matrix) -> None:
    tensorflow = framework(matrix, "tensorflow")
    windows_gpu = {
        build.release
        for build in tensorflow.builds
        if build.accelerator == "cuda" and "windows-x86_64" in build.platforms
    }
    assert windows_gpu, TF_WINDOWS
    newest = max(windows_gpu, key=lambda version: tuple(int(part) for part in version.split(".")))
    assert newest.startswith("2.10."), TF_WINDOWS


# ---------------------------------------------------------------------------------------------------- packages


@pytest.mark.parametrize(
    ("package", "subject"),
    [
        ("tensorflow", "tensorflow"),
        ("jax-cuda12-plugin", "jax"),
        ("cupy-cuda12x", "cupy"),
        ("cudf-cu12", "rapids"),
    ],
)
def test_package_names_map_to_their_framework(matrix: Matrix, package: str, subject: str) -> None:
    expected = framework(matrix, subject)
    assert matrix.framework_for_package(package) is expected


# ---------------------------------------------------------------------------------------------- engine on real data


def _host(driver: str, capability: str, python: str, name: str = "") -> HostFacts:
    return HostFacts(
        platform=Platform("linux", "x86_64", python_version=python, glibc="2.35"),
        origin="flags",
        driver=Driver(version=driver, source="flag"),
        gpus=(Gpu(index=0, name=name or None, compute_capability=capability, source="flag"),),
    )


def test_rtx_5090_has_no_kernel_image_in_torch_2_6_cu124(matrix: Matrix) -> None:
    # torch 2.6.0+cu124 targets sm_50-sm_90 (the wheel's get_arch_list); Blackwell GeForce is sm_120
    # (pytorch/pytorch#150733); cu128 builds carry sm_120.
    framework(matrix, "pytorch")
    (result,) = check(_host("570.86.15", "12.0", "3.12"), matrix, from_arguments(["torch==2.6.0+cu124"])).results
    assert "gpu_arch_unsupported" in {finding.code for finding in result.findings}
    assert result.alternatives and result.alternatives[0].clean
    assert result.alternatives[0].candidate.build.cuda in {"12.8", "12.9"}


def test_driver_470_resolves_to_the_newest_release_it_runs_natively(matrix: Matrix) -> None:
    # Driver 470 supports CUDA 11.4 natively (CUDA release notes, table 3): the newest torch with a CUDA <= 11.4
    # build is 1.12.1+cu113; 2.0-2.7 (cu117/cu118) run there only through minor-version compatibility, and 2.8.0
    # dropped CUDA 11 (previous-versions page). Native support ranks first (issue "No false greens", item 4).
    framework(matrix, "pytorch")
    (target,) = resolve(_host("470.82.01", "8.6", "3.10"), matrix, from_arguments(["torch"])).targets
    assert target.chosen is not None and target.chosen.candidate.label == "torch==1.12.1+cu113", PYTORCH_PREVIOUS
    reasons = {rejection.release: {f.code for f in rejection.reasons} for rejection in target.rejected_newer}
    assert reasons["2.7.1"] == {"minor_version_compat"} and "driver_too_old" in reasons["2.8.0"]
    assert {"2.8.0", "2.15.0"} <= set(reasons) and all(reasons.values())


def test_forward_compatibility_is_never_chosen_unless_allowed(matrix: Matrix) -> None:
    # Driver 535 on an A100: CUDA 13 builds need the cuda-compat package (CUDA compatibility guide, forward
    # compatibility); the default answer is the newest release the driver runs natively: CUDA <= 12.2, i.e. the
    # cu118 build of 2.7.1 (2.8.0 dropped CUDA 11.8; 2.6-2.7 have no cu121 build).
    framework(matrix, "pytorch")
    a100 = _host("535.104.05", "8.0", "3.11", "A100")
    (target,) = resolve(a100, matrix, from_arguments(["torch"])).targets
    assert target.chosen is not None and target.chosen.candidate.label == "torch==2.7.1+cu118"
    assert not target.chosen.has("forward_compat_required")
    (opted,) = resolve(a100, matrix, from_arguments(["torch"]), allow_forward_compat=True).targets
    # opting in makes forward compatibility possible, never preferred over native support
    assert opted.chosen is not None and opted.chosen.candidate.label == "torch==2.7.1+cu118"
    (pinned,) = check(a100, matrix, from_arguments(["torch==2.15.0"])).results
    assert pinned.status == "incompatible" and "forward_compat_required" in {f.code for f in pinned.findings}
    (allowed,) = check(a100, matrix, from_arguments(["torch==2.15.0"]), allow_forward_compat=True).results
    assert allowed.status == "warning"


def test_the_recorded_h100_gets_an_ok_verdict_for_every_installed_framework(matrix: Matrix, tmp_path: Path) -> None:
    # The real H100 capture (shared fixtures): torch 2.11.0+cu130, jax 0.11.2 with the cuda13 plugin, cupy-cuda13x
    # 14.2.0 on driver 580.159.04. torch itself ran there (torch.json), so every verdict must be ok.
    from dlenv.doctor.verdicts import doctor_report
    from dlenv.host.probe import probe_host
    from tests.hosts import h100_context

    report = doctor_report(probe_host(h100_context(tmp_path)), lambda: matrix)
    statuses = {verdict.requirement.name: verdict.status for verdict in report.verdicts}
    for name in ("torch", "jax", "jaxlib", "jax-cuda13-plugin", "jax-cuda13-pjrt", "cupy-cuda13x"):
        assert statuses.get(name) == "ok", (name, statuses)
    assert {companion.name: companion.status for companion in report.companions} == {"torchvision": "ok"}
