"""Every finding code dlenv reports: its severity and one-line meaning, and which commands report it.

This is the one home of what a code means. The code tables in README.md (doctor), docs/check.md (check and
resolve) and docs/fleet.md (fleet) are generated from it by scripts/render_code_tables.py, and a test fails when a
code is reported anywhere in src/ without an entry here, or a table is stale. Codes are API: a script may match on
them; a code is renamed only with a CHANGELOG entry.
"""

from __future__ import annotations

from dlenv.records import record


@record
class Code:
    name: str
    severity: str
    """'error', 'warning' or 'info', with the cases where it differs, as the tables print it."""
    meaning: str
    reported_by: tuple[str, ...]
    """Which tables list it: 'doctor', 'check' (check and resolve), 'fleet'."""


DOCTOR, CHECK, FLEET = ("doctor",), ("check",), ("fleet",)
BOTH = ("doctor", "check")

_CODES = (
    # -- the driver and the GPUs as the probe found them (doctor; the preflight turns the broken ones into
    #    host_cuda_unusable / host_facts_unverified for every CUDA build)
    Code("no_driver", "warning (error when the host lists GPUs)", "no NVIDIA driver: only CPU code paths run", BOTH),
    Code("nvml_library_not_found", "error", "the kernel module is loaded but libnvidia-ml is missing", DOCTOR),
    Code(
        "driver_library_mismatch",
        "error",
        "kernel module and user-space library versions differ (both named; reboot or reload the module)",
        DOCTOR,
    ),
    Code("driver_not_loaded", "error", "libraries present, kernel module not loaded", DOCTOR),
    Code("gpu_no_permission", "error", "NVML may not read a GPU (device permissions, cgroups)", DOCTOR),
    Code("gpu_lost", "error", "a GPU fell off the bus (NVML: GPU is lost)", DOCTOR),
    Code("gpu_reset_required", "error", "a GPU needs a reset before CUDA can use it", DOCTOR),
    Code("gpu_insufficient_power", "error", "a GPU's external power cables are not connected properly", DOCTOR),
    Code("driver_hung", "error", "NVML did not answer within its time limit", DOCTOR),
    Code("nvml_uninitialized", "error", "NVML did not initialise", DOCTOR),
    Code("nvml_error", "error", "NVML failed in another way (its message is quoted)", DOCTOR),
    Code("nvml_not_supported", "warning", "NVML does not support a query on this GPU: some facts are missing", DOCTOR),
    Code("nvml_function_not_found", "warning", "the driver's NVML lacks a function: some facts are missing", DOCTOR),
    Code("nvml_bindings_missing", "warning", "the nvidia-ml-py bindings could not be imported", DOCTOR),
    Code("no_gpu", "warning", "a driver is loaded but no GPU is visible", DOCTOR),
    Code("gpus_hidden", "warning", "CUDA_VISIBLE_DEVICES hides GPUs, or names none", DOCTOR),
    Code("gpus_not_requested", "warning", "in a container, NVIDIA_VISIBLE_DEVICES requests no GPU", DOCTOR),
    Code("mig_without_instances", "warning", "MIG is enabled but no MIG instance exists: CUDA sees no device", DOCTOR),
    Code("toolkit_newer_than_driver", "warning", "the CUDA toolkit on PATH is newer than the driver supports", DOCTOR),
    Code("nvcc_torch_mismatch", "warning", "nvcc on PATH and torch's CUDA differ in major (extensions fail)", DOCTOR),
    Code(
        "compat_older_than_driver",
        "error",
        "forward-compatibility libraries older than the driver are on the loader path (CUDA error 803)",
        DOCTOR,
    ),
    Code(
        "compat_on_unsupported_gpu",
        "error",
        "forward-compatibility libraries on the loader path of a GPU they do not support (CUDA error 804)",
        DOCTOR,
    ),
    Code("library_shadowed", "warning", "LD_LIBRARY_PATH puts a system cuDNN/NCCL ahead of a wheel's", DOCTOR),
    Code("override", "info", "an override environment variable (CONDA_OVERRIDE_CUDA, ...) is in effect", DOCTOR),
    # -- a build against the host (check, resolve, and doctor for each installed framework)
    Code(
        "driver_too_old",
        "error",
        "the driver is below the build's CUDA toolkit minimum and below the CUDA major's minor-version-compatibility "
        "floor, with no forward-compatibility package for these GPUs, or below a floor the project itself states "
        "for the build (`min_driver`: RAPIDS, JAX), which minor-version compatibility does not lower",
        BOTH,
    ),
    Code(
        "minor_version_compat",
        "warning",
        "the driver is below the toolkit's own minimum but at or above the major's floor: it runs, but JIT of newer "
        "PTX fails",
        BOTH,
    ),
    Code(
        "forward_compat_required",
        "error (warning with `--allow-forward-compat`)",
        "a data-center GPU on a supported driver branch could run the build only with NVIDIA's cuda-compat package",
        CHECK,
    ),
    Code(
        "driver_unknown", "info", "no driver floor is known for the build's CUDA: not checked against the driver", CHECK
    ),
    Code(
        "host_cuda_unusable",
        "error",
        "the driver probe failed in a way CUDA cannot survive (library/kernel-module mismatch, driver not loaded, "
        "hung, GPU lost, reset required, unknown NVML error): every CUDA build fails the preflight",
        CHECK,
    ),
    Code(
        "host_facts_unverified",
        "warning",
        "unverified: the driver probe could not read every fact (no permission, not supported, bindings missing)",
        CHECK,
    ),
    Code(
        "gpu_arch_unsupported",
        "error",
        "neither SASS (same major, minor not above the GPU's) nor PTX (at or below the GPU's capability) covers a "
        "GPU, or the build's minimum compute capability is not met, or (arch list not recorded) the GPU is older "
        "than every target of the compiler the build's CUDA release ships — 'no kernel image is available'",
        CHECK,
    ),
    Code("gpu_arch_ptx_only", "warning", "only PTX covers the GPU: a slow first start", CHECK),
    Code(
        "gpu_arch_newer_than_cuda",
        "warning",
        "unverified: the build's arch list is not recorded and its CUDA release predates the GPU's architecture: "
        "only PTX JIT could run it",
        CHECK,
    ),
    Code(
        "gpu_arch_unknown",
        "warning",
        "unverified: the matrix records no arch list for the build on this platform (the row's `arch_left_out` or "
        "`arch_platforms` says why), or the GPU's compute capability is unknown, so the GPU was not checked",
        CHECK,
    ),
    Code(
        "runtime_compiler_too_old",
        "error",
        "the framework compiles kernels at run time with the PTX compiler of the build's CUDA (the matrix's "
        "`family.runtime_compiler`: XLA in JAX and TensorFlow), and that compiler cannot target the GPU",
        CHECK,
    ),
    Code(
        "ptx_jit_unavailable",
        "error",
        "PTX-only coverage under minor-version compatibility: the JIT cannot run",
        CHECK,
    ),
    Code(
        "gpu_needs_newer_driver",
        "error",
        "the driver branch is older than the first that supports the GPU's architecture (gpus.yaml "
        "`first_driver_branch`): CUDA sees no device",
        BOTH,
    ),
    Code(
        "gpu_unsupported_by_driver",
        "error",
        "the driver branch is newer than the last that supports the GPU's architecture",
        BOTH,
    ),
    Code(
        "gpu_driver_unverified",
        "warning",
        "unverified: NVIDIA's drivers name the GPU product only from a later branch than the host's (gpus.yaml "
        "product `first_driver_branch`); drivers accept GPUs by chip, so this is not an error",
        BOTH,
    ),
    Code(
        "cpu_build_on_gpu_host",
        "warning (info when the CPU build is asked for by name)",
        "the chosen build is a CPU build on a host with NVIDIA GPUs; the message says whether the release has no "
        "CUDA build for the platform or why its CUDA builds fail",
        CHECK,
    ),
    Code("python_unsupported", "error", "the host's Python is not among the build's", CHECK),
    Code(
        "platform_unsupported",
        "error",
        "no build for the host's OS and CPU architecture, or the host's glibc is older than the wheels' manylinux tag",
        CHECK,
    ),
    Code("cudnn_missing", "warning", "a TensorFlow CUDA build without a cuDNN of its major on the probed host", CHECK),
    Code("accelerator_unsupported", "error", "a ROCm or XPU build pinned for an NVIDIA host", CHECK),
    Code("no_such_build", "error", "the release or build is not in the matrix; the nearest that are are named", CHECK),
    Code(
        "installed_build_unverified",
        "warning",
        "unverified: an installed build the matrix does not record (an unknown local tag, a newer release, an "
        "in-house or conda build) was judged from its installed metadata (version, build tag, the CUDA its build "
        "files or CUDA runtime requirement name), without what the matrix records per build",
        DOCTOR,
    ),
    Code(
        "extra_unknown",
        "warning",
        "unverified: the requirement names an extra the matrix does not record for the release",
        CHECK,
    ),
    Code(
        "conflict",
        "error / warning",
        "two frameworks pin different versions of one nvidia-* library (error), or need different CUDA majors "
        "(warning)",
        CHECK,
    ),
    Code(
        "companion_mismatch",
        "error",
        "a torchvision/torchaudio/torchtext is not the release made for the torch beside it (the matrix's "
        "`companions`); the fix names the pin",
        BOTH,
    ),
    Code(
        "companion_unknown",
        "warning",
        "unverified: the matrix records no companion release made for the torch judged",
        CHECK,
    ),
    Code(
        "range_unresolved",
        "warning",
        "unverified: a range was not resolved for the target (no resolver, offline, or a conda package): the best "
        "build in the range was judged",
        CHECK,
    ),
    Code(
        "wheel_not_installable",
        "error",
        "a direct wheel URL's tags do not install on the target's Python and platform",
        CHECK,
    ),
    Code(
        "wheel_tags_unverified",
        "warning",
        "unverified: the target's Python is unknown, so whether a direct wheel installs was not checked",
        CHECK,
    ),
    Code(
        "built_from_source",
        "warning",
        "unverified: the requirement is built from source on install (an sdist, VCS or path reference)",
        CHECK,
    ),
    Code("not_in_matrix", "info", "the package is not in the matrix (one summary line; --verbose names them)", CHECK),
    Code(
        "image_requirement_unsatisfied",
        "error",
        "the container toolkit would refuse the image (NVIDIA_REQUIRE_CUDA)",
        CHECK,
    ),
    Code(
        "image_requirement_unknown",
        "warning / info",
        "the host facts or the image do not say enough to decide",
        CHECK,
    ),
    Code("image_require_disabled", "info", "the image sets NVIDIA_DISABLE_REQUIRE: the toolkit skips its check", CHECK),
    # -- a whole fleet
    Code(
        "nodes_unreported",
        "warning",
        "unverified: nodes sent no facts (down, failed or timed out), so the answer does not cover them",
        FLEET,
    ),
    Code(
        "facts_from_labels",
        "warning",
        "unverified: nodes known only by GPU Feature Discovery labels, which give no Python, glibc or libraries",
        FLEET,
    ),
    Code(
        "no_joint_stack",
        "error",
        "the releases each framework runs on every node do not install together on some pools",
        FLEET,
    ),
)

CODES: dict[str, Code] = {code.name: code for code in _CODES}


def table(command: str) -> str:
    """The Markdown table of the codes `command` reports, in registry order."""
    rows = ["| code | severity | meaning |", "| --- | --- | --- |"]
    rows += [f"| `{c.name}` | {c.severity} | {c.meaning} |" for c in _CODES if command in c.reported_by]
    return "\n".join(rows) + "\n"
