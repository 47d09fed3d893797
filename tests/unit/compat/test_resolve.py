"""`resolve` over the mini-matrix, and the properties that tie it to `check`."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from dlenv.compat.check import check
from dlenv.compat.requirements import from_arguments, parse_requirement
from dlenv.compat.resolve import resolve
from tests.unit.compat.engine import host, mini_matrix


def test_old_driver_gets_the_newest_release_with_a_cuda_11_build() -> None:
    resolution = resolve(
        host("470.82.01", gpus=(("RTX 3090", "8.6"),), python="3.10"), mini_matrix(), from_arguments(["torch"])
    )
    (target,) = resolution.targets
    assert target.chosen is not None
    assert target.chosen.candidate.label == "torch==2.7.1+cu118"
    # --explain: the newer release fails for a stated reason.
    assert [rejection.release for rejection in target.rejected_newer] == ["2.8.0"]
    assert {finding.code for finding in target.rejected_newer[0].reasons} == {"driver_too_old"}


def test_constraints_are_honoured_and_install_lines_name_the_index() -> None:
    resolution = resolve(host("550.54.15", gpus=(("A100", "8.0"),)), mini_matrix(), from_arguments(["torch<2.7"]))
    (target,) = resolution.targets
    assert target.chosen is not None
    candidate = target.chosen.candidate
    assert candidate.label == "torch==2.6.0+cu124"
    assert candidate.install_line("linux-x86_64") == "pip install 'torch==2.6.0'"
    assert candidate.install_line("windows-x86_64") == (
        "pip install 'torch==2.6.0+cu124' --index-url https://download.pytorch.org/whl/cu124"
    )


def test_a_pinned_build_is_that_build_as_in_check() -> None:
    a100 = host("580.65.06", gpus=(("A100", "8.0"),))
    requirement = from_arguments(["torch==2.8.0+cu126"])
    (target,) = resolve(a100, mini_matrix(), requirement).targets
    assert target.chosen is not None
    assert target.chosen.candidate.label == "torch==2.8.0+cu126"
    assert check(a100, mini_matrix(), requirement).compatible


def test_frameworks_are_resolved_together_without_conflicts() -> None:
    resolution = resolve(
        host("550.54.15", gpus=(("A100", "8.0"),)), mini_matrix(), from_arguments(["torch", "tensorflow"])
    )
    assert resolution.resolved
    assert not [f for f in resolution.conflicts if f.severity.value == "error"]


def test_cpu_host_gets_cpu_builds() -> None:
    resolution = resolve(
        host(python="3.12", system="macos", arch="arm64", glibc=None), mini_matrix(), from_arguments(["torch"])
    )
    (target,) = resolution.targets
    assert target.chosen is not None
    assert target.chosen.candidate.label == "torch==2.8.0+cpu"


drivers = st.sampled_from(["470.82.01", "525.60.13", "535.104.05", "550.54.15", "560.35.03", "570.86.15", "580.65.06"])
gpus = st.sampled_from(
    [
        ("K80", "3.7"),
        ("GTX 1080 Ti", "6.1"),
        ("V100", "7.0"),
        ("T4", "7.5"),
        ("A100", "8.0"),
        ("RTX 3090", "8.6"),
        ("H100", "9.0"),
        ("RTX 5090", "12.0"),
    ]
)
pythons = st.sampled_from(["3.8", "3.9", "3.10", "3.11", "3.12", "3.13"])
targets = st.sampled_from(["torch", "torch<2.7", "tensorflow", "cudf-cu12", "cudf-cu11"])


@settings(max_examples=150, deadline=None)
@given(drivers, st.lists(gpus, min_size=1, max_size=3), pythons, targets)
def test_whatever_resolve_returns_check_accepts(driver, gpu_list, python, target) -> None:  # type: ignore[no-untyped-def]
    described = host(driver, gpus=tuple(gpu_list), python=python)
    resolution = resolve(described, mini_matrix(), from_arguments([target]))
    (chosen,) = resolution.targets
    if chosen.chosen is None:
        # check agrees: no release in range works
        report = check(described, mini_matrix(), from_arguments([target]))
        assert not report.results[0].compatible
        return
    pin = chosen.chosen.candidate.label
    report = check(described, mini_matrix(), [parse_requirement(pin, "resolved")])
    assert report.results[0].compatible, (pin, [f.message for f in report.results[0].findings])
    # and check of the range agrees that it is satisfiable
    assert check(described, mini_matrix(), from_arguments([target])).results[0].compatible


def test_apple_silicon_described_by_flags_finds_the_macos_arm64_build() -> None:
    # --arch arm64 is read as aarch64; the matrix's platforms follow the wheel tags (macos-arm64)
    apple = host(python="3.12", system="macos", arch="aarch64", glibc=None)
    assert apple.platform.key == "macos-arm64"
    (target,) = resolve(apple, mini_matrix(), from_arguments(["torch"])).targets
    assert target.chosen is not None
    assert target.chosen.candidate.label == "torch==2.8.0+cpu"


def test_every_spelling_of_a_distribution_name_is_one_package() -> None:
    # PEP 503: runs of '-', '_' and '.' are one separator; 'cudf.cu12' was once looked up as written and missed
    a100 = host("550.54.15", gpus=(("A100", "8.0"),))
    labels = set()
    for spelling in ("cudf-cu12", "CUDF_cu12", "cudf.cu12", "cudf__cu12"):
        (result,) = check(a100, mini_matrix(), from_arguments([f"{spelling}==24.10"])).results
        assert result.evaluation is not None and result.compatible, spelling
        (target,) = resolve(a100, mini_matrix(), from_arguments([spelling])).targets
        assert target.chosen is not None, spelling
        labels.add((result.status, result.evaluation.candidate.package, target.chosen.candidate.package))
    assert labels == {("warning", "cudf-cu12", "cudf-cu12")}  # warning: the mini-matrix has no arch list
