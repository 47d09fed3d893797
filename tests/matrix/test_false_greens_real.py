"""Known answers on the real matrix, one per class of false "compatible" users hit (issue "No false greens").
Each case cites the source of the fact that decides it."""

from __future__ import annotations

from dlenv.compat.check import check
from dlenv.compat.requirements import from_arguments
from dlenv.compat.resolve import resolve
from dlenv.host.model import Driver, Gpu, HostFacts, Platform
from dlenv.matrix.model import Matrix
from tests.matrix.conftest import framework


def _codes(matrix: Matrix, host: HostFacts, requirement: str, **options: bool) -> tuple[str, dict[str, str]]:
    (result,) = check(host, matrix, from_arguments([requirement]), **options).results
    return result.status, {finding.code: finding.severity.value for finding in result.findings}


def _described(matrix: Matrix, driver: str, gpu: str, python: str = "3.12", system: str = "linux") -> HostFacts:
    """A host as `--driver DRIVER --gpu GPU` describes it."""
    from dlenv.compat.knowledge import MatrixGpuKnowledge

    described = MatrixGpuKnowledge(matrix).gpu_by_name(gpu)
    assert described is not None, gpu
    name, capability, _ = described
    return HostFacts(
        platform=Platform(system, "x86_64", python_version=python, glibc="2.35"),
        origin="flags",
        driver=Driver(version=driver, source="flag"),
        gpus=(Gpu(index=0, name=name, compute_capability=capability, source="flag"),),
    )


def test_cuda_12_6_builds_have_no_kernel_image_for_blackwell(matrix: Matrix) -> None:
    # torch 2.6.0+cu126 and 2.8.0+cu126 target sm_50-sm_90 without PTX (the 2.6.0 and 2.8.0 wheels' own lists;
    # pytorch PR 145616 strips PTX on the 2.6 branch): "no kernel image is available" on sm_120.
    framework(matrix, "pytorch")
    for requirement in ("torch==2.6.0+cu126", "torch==2.8.0+cu126"):
        status, codes = _codes(matrix, _described(matrix, "570.86.15", "RTX 5090"), requirement)
        assert status == "incompatible" and codes.get("gpu_arch_unsupported") == "error", requirement


def test_cuda_12_8_builds_dropped_pascal(matrix: Matrix) -> None:
    # torch 2.7.0+cu128 targets 7.5-12.0 (users' get_arch_list of the 2.7 release branch; uv#14742): a GTX 1080
    # (6.1) has no kernel image.
    framework(matrix, "pytorch")
    status, codes = _codes(matrix, _described(matrix, "570.86.15", "GTX 1080"), "torch==2.7.0+cu128")
    assert status == "incompatible" and codes.get("gpu_arch_unsupported") == "error"


def test_an_unrecorded_arch_list_is_never_a_bare_green(matrix: Matrix) -> None:
    # No source ties the arch list of torch 2.9.0+cu129 to the release (pytorch.yaml arch_left_out): within its
    # compiler's targets a GTX 1080 is unverified, a warning that --strict fails.
    framework(matrix, "pytorch")
    host = _described(matrix, "580.65.06", "GTX 1080")
    report = check(host, matrix, from_arguments(["torch==2.9.0+cu129"]))
    assert report.results[0].status == "warning" and report.exit_code(strict=True) == 1
    assert "gpu_arch_unknown" in {f.code for f in report.results[0].findings}


def test_blackwell_on_a_driver_branch_before_570_is_not_seen(matrix: Matrix) -> None:
    # Blackwell needs R570 (gpus.yaml first_driver_branch: CUDA 12.8's driver floor 570.26; open-gpu-kernel-modules
    # names the RTX 5090 from 570.86.16).
    framework(matrix, "pytorch")
    status, codes = _codes(matrix, _described(matrix, "535.104.05", "RTX 5090"), "torch==2.9.1")
    assert status == "incompatible" and codes.get("gpu_needs_newer_driver") == "error"
    from dlenv.doctor.verdicts import doctor_report

    report = doctor_report(_described(matrix, "535.104.05", "RTX 5090"), lambda: matrix)
    assert [f.code for f in report.findings] == ["gpu_needs_newer_driver"]


def test_a_gpu_host_that_falls_to_a_cpu_build_is_told(matrix: Matrix) -> None:
    # torch 2.4.1's CUDA builds have no sm_120 kernels (builder release/2.4 arch lists), so an RTX 5090 host
    # gets the CPU build: said, and --strict fails.
    framework(matrix, "pytorch")
    host = _described(matrix, "570.86.15", "RTX 5090")
    resolution = resolve(host, matrix, from_arguments(["torch==2.4.1"]))
    (target,) = resolution.targets
    assert target.chosen is not None and target.chosen.candidate.build.accelerator == "cpu"
    assert target.chosen.has("cpu_build_on_gpu_host") and resolution.exit_code(strict=True) == 1


def test_tensorflow_has_no_native_windows_gpu_build_after_2_10(matrix: Matrix) -> None:
    # TensorFlow 2.10 was the last release supporting GPU on native Windows (tensorflow/docs install/pip.md).
    framework(matrix, "tensorflow")
    host = _described(matrix, "570.86.15", "RTX 4090", python="3.11", system="windows")
    (result,) = check(host, matrix, from_arguments(["tensorflow==2.15.1"])).results
    (finding,) = [f for f in result.findings if f.code == "cpu_build_on_gpu_host"]
    assert finding.severity.value == "warning" and "no CUDA build for windows-x86_64" in finding.message


def test_rapids_patch_releases_and_driver_floors(matrix: Matrix) -> None:
    # cudf-cu12 26.10.2 is on the index (index:cudf-cu12/26.10.2); 25.12+ CUDA 12 builds need driver >= 535
    # (rapidsai/docs platform_support.yml, RSN 54), a floor minor-version compatibility does not lower.
    framework(matrix, "rapids")
    a100_550 = _described(matrix, "550.54.15", "A100", python="3.11")
    (target,) = resolve(a100_550, matrix, from_arguments(["cudf-cu12==26.10.2"])).targets
    assert target.chosen is not None and target.chosen.candidate.requirement == "cudf-cu12==26.10.2"
    status, codes = _codes(matrix, _described(matrix, "530.30.02", "A100", python="3.11"), "cudf-cu12==26.10.2")
    assert status == "incompatible" and codes.get("driver_too_old") == "error"
    host_530 = _described(matrix, "530.30.02", "A100", python="3.11")
    (old,) = resolve(host_530, matrix, from_arguments(["cudf-cu12"])).targets
    assert old.chosen is not None and old.chosen.candidate.release.version.startswith(("25.", "24."))


def test_xla_run_time_compilers_bound_jax_and_tensorflow(matrix: Matrix) -> None:
    # XLA compiles kernels with the ptxas of its build's CUDA (openxla ptx_compiler_impl.cc): JAX 0.4.30 (CUDA
    # 12.3, the plugin's PTX ISA 8.3) and TensorFlow 2.17.0 (CUDA 12.3) fail on sm_120 (tensorflow#99592); JAX
    # 0.7.1 (CUDA 12.9, ISA 8.8) runs there.
    framework(matrix, "jax")
    rtx5090 = _described(matrix, "575.57.08", "RTX 5090", python="3.11")
    for requirement in ("jax[cuda12]==0.4.30", "tensorflow[and-cuda]==2.17.0"):
        status, codes = _codes(matrix, rtx5090, requirement)
        assert status == "incompatible" and codes.get("runtime_compiler_too_old") == "error", requirement
    assert _codes(matrix, rtx5090, "jax[cuda12]==0.7.1")[0] == "ok"


def test_jax_compute_targets_carry_sass(matrix: Matrix) -> None:
    # .bazelrc: "compute_90" means cubin and PTX for 9.0, and the 0.5.3 plugin's fatbin has sm_90 SASS: an H100
    # has native kernels, so --strict passes.
    framework(matrix, "jax")
    report = check(
        _described(matrix, "570.86.15", "H100", python="3.11"), matrix, from_arguments(["jax[cuda12]==0.5.3"])
    )
    assert report.results[0].status == "ok" and report.exit_code(strict=True) == 0


def test_historic_jax_extras_select_the_cuda_build(matrix: Matrix) -> None:
    # jax 0.4.20-0.4.25 provide cuda12_pip and cuda12_local (index:jax/0.4.25 METADATA Provides-Extra): they install
    # the CUDA jaxlib, so a driver 470 host cannot run them.
    framework(matrix, "jax")
    for extra in ("cuda12_pip", "cuda12-pip", "cuda12_local"):
        (result,) = check(
            _described(matrix, "470.82.01", "A100", python="3.11"), matrix, from_arguments([f"jax[{extra}]==0.4.25"])
        ).results
        assert result.evaluation is not None and result.evaluation.candidate.build.accelerator == "cuda", extra
        assert result.status == "incompatible", extra


def test_an_x86_64_arch_list_is_not_taken_for_the_aarch64_wheels(matrix: Matrix) -> None:
    # torch 2.7.1+cu128's list was read for x86_64; no source ties its aarch64 wheel's list to the release
    # (pytorch.yaml arch_platforms): on a Grace Hopper host the GPU is unverified, on x86_64 it is covered.
    framework(matrix, "pytorch")
    x86 = _described(matrix, "580.65.06", "H100")
    arm = HostFacts(
        platform=Platform("linux", "aarch64", python_version="3.12", glibc="2.35"),
        origin="flags",
        driver=x86.driver,
        gpus=x86.gpus,
    )
    assert _codes(matrix, x86, "torch==2.7.1+cu128")[0] == "ok"
    status, codes = _codes(matrix, arm, "torch==2.7.1+cu128")
    assert status == "warning" and codes.get("gpu_arch_unknown") == "warning"


def test_a_product_drivers_name_only_later_is_unverified_on_older_branches(matrix: Matrix) -> None:
    # open-gpu-kernel-modules names the H200 from 550.40.65 (g_nv_name_released.h): on 535 it is unverified, not an
    # error (drivers accept GPUs by chip). "H100" is several products; the earliest (H100 PCIe, 520.56.06) decides.
    framework(matrix, "pytorch")
    status, codes = _codes(matrix, _described(matrix, "535.104.05", "H200"), "torch==2.7.1+cu118")
    assert status == "warning" and codes.get("gpu_driver_unverified") == "warning"
    assert (
        "gpu_driver_unverified" not in _codes(matrix, _described(matrix, "530.30.02", "H100"), "torch==2.7.1+cu118")[1]
    )
