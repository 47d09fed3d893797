"""The classes of false "compatible" (issue "No false greens"), each on the frozen mini-matrix: unknown arch lists,
run-time compilers, forward compatibility, CPU builds on GPU hosts, GPUs older drivers do not see, unknown extras."""

from __future__ import annotations

from dlenv.compat.check import check
from dlenv.compat.requirements import from_arguments
from dlenv.compat.resolve import resolve
from tests.unit.compat.engine import host, mini_matrix

RTX5090 = ("GeForce RTX 5090", "12.0")
A100 = ("A100", "8.0")
T4 = ("Tesla T4", "7.5")


def _result(requirement: str, target, **options):  # type: ignore[no-untyped-def]
    (result,) = check(target, mini_matrix(), from_arguments([requirement]), **options).results
    return result


def _codes(result) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {finding.code: finding.severity.value for finding in result.findings}


def test_an_unknown_arch_list_is_a_warning_that_strict_fails() -> None:
    # cudf-cu12 24.10 has no arch list in the mini-matrix: checked against its compiler's targets only.
    report = check(host("550.54.15", gpus=(A100,)), mini_matrix(), from_arguments(["cudf-cu12==24.10"]))
    assert _codes(report.results[0]).get("gpu_arch_unknown") == "warning"
    assert report.compatible and report.exit_code(strict=False) == 0 and report.exit_code(strict=True) == 1


def test_a_runtime_compiler_older_than_the_gpu_fails_whatever_ptx_the_wheel_ships() -> None:
    # TensorFlow 2.17.0 was built with CUDA 12.3, whose ptxas targets 9.0 at most: XLA cannot compile for sm_120,
    # although the wheel carries PTX that the driver could JIT.
    result = _result("tensorflow==2.17.0", host("570.86.15", gpus=(RTX5090,)))
    assert result.status == "incompatible"
    assert _codes(result) == {"runtime_compiler_too_old": "error"}
    finding = result.findings[0]
    assert "CUDA 12.3" in finding.message and "sm_120" in finding.message
    # On a GPU that CUDA 12.3 targets, the same build is judged by its arch list as before.
    assert _result("tensorflow==2.17.0", host("570.86.15", gpus=(A100,))).status == "ok"


def test_frameworks_without_a_runtime_compiler_keep_the_ptx_rule() -> None:
    # torch compiles ahead of time: torch 2.6.0+cu124 on an RTX 5090 is judged by its SASS/PTX list.
    assert "runtime_compiler_too_old" not in _codes(_result("torch==2.6.0+cu124", host("570.86.15", gpus=(RTX5090,))))


def test_forward_compatibility_needs_the_opt_in_and_never_wins_the_ranking() -> None:
    t4_on_470 = host("470.82.01", gpus=(T4,))
    refused = _result("torch==2.6.0+cu124", t4_on_470)
    assert _codes(refused) == {"forward_compat_required": "error"}
    assert "--allow-forward-compat" in (refused.findings[0].fix or "")
    allowed = _result("torch==2.6.0+cu124", t4_on_470, allow_forward_compat=True)
    assert _codes(allowed) == {"forward_compat_required": "warning"}
    # Ranked: native support, then minor-version compatibility, then forward compatibility, then the release.
    (target,) = resolve(t4_on_470, mini_matrix(), from_arguments(["torch"]), allow_forward_compat=True).targets
    assert target.chosen is not None and target.chosen.candidate.label == "torch==2.7.1+cu118"
    assert target.chosen.has("minor_version_compat") and not target.chosen.has("forward_compat_required")


def test_native_support_outranks_a_newer_release_under_minor_version_compatibility() -> None:
    # Driver 535 runs CUDA 12.2 natively: 2.7.1+cu118 natively beats 2.8.0+cu126/cu128 under minor-version compat.
    (target,) = resolve(host("535.104.05", gpus=(A100,)), mini_matrix(), from_arguments(["torch"])).targets
    assert target.chosen is not None and target.chosen.candidate.label == "torch==2.7.1+cu118"
    reasons = {r.release: {f.code for f in r.reasons} for r in target.rejected_newer}
    assert reasons == {"2.8.0": {"minor_version_compat"}}


def test_a_cpu_build_on_a_gpu_host_says_so() -> None:
    rtx5090 = host("570.86.15", gpus=(RTX5090,), python="3.12")
    (target,) = resolve(rtx5090, mini_matrix(), from_arguments(["torch==2.4.1"])).targets
    assert target.chosen is not None and target.chosen.candidate.build.accelerator == "cpu"
    assert target.chosen.has("cpu_build_on_gpu_host")
    resolution = resolve(rtx5090, mini_matrix(), from_arguments(["torch==2.4.1"]))
    assert resolution.exit_code(strict=False) == 0 and resolution.exit_code(strict=True) == 1
    # asked for by name, it is a choice: said, but not a warning
    assert _codes(_result("torch==2.4.1+cpu", rtx5090)) == {"cpu_build_on_gpu_host": "info"}
    # no GPU, nothing to say
    assert "cpu_build_on_gpu_host" not in _codes(_result("torch==2.4.1+cpu", host(python="3.12")))


def test_a_gpu_the_driver_branch_predates_is_not_seen() -> None:
    # Blackwell needs the R570 branch (CUDA 12.8 release notes): an RTX 5090 on 535 has no CUDA device at all.
    result = _result("torch==2.8.0+cu128", host("535.104.05", gpus=(RTX5090,), python="3.12"))
    assert result.status == "incompatible" and _codes(result).get("gpu_needs_newer_driver") == "error"
    (finding,) = [f for f in result.findings if f.code == "gpu_needs_newer_driver"]
    assert "570" in (finding.fix or "")


def test_an_extra_the_matrix_does_not_know_is_not_judged_as_the_plain_build() -> None:
    result = _result("tensorflow[and-cuda,unheard-of]==2.17.0", host("570.86.15", gpus=(A100,)))
    assert _codes(result).get("extra_unknown") == "warning"
    assert "'unheard-of'" in next(f.message for f in result.findings if f.code == "extra_unknown")
    assert "extra_unknown" not in _codes(_result("tensorflow[and-cuda]==2.17.0", host("570.86.15", gpus=(A100,))))


def test_identical_gpus_are_judged_once_and_said_once() -> None:
    eight = host("570.86.15", gpus=(RTX5090,) * 8, python="3.12")
    result = _result("torch==2.6.0+cu124", eight)
    (finding,) = [f for f in result.findings if f.code == "gpu_arch_unsupported"]
    assert "GPUs 0-7 (GeForce RTX 5090, compute capability 12.0)" in finding.message
    mixed = host("570.86.15", gpus=(RTX5090, A100, RTX5090), python="3.12")
    (finding,) = [f for f in _result("torch==2.6.0+cu124", mixed).findings if f.code == "gpu_arch_unsupported"]
    assert "GPUs 0, 2 (GeForce RTX 5090" in finding.message
