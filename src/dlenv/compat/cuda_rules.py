"""Driver against a build's CUDA: the toolkit's own floor, minor-version compatibility, forward compatibility."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dlenv.compat.brands import SEGMENT_BRANDS
from dlenv.compat.cuda_facts import floor_for
from dlenv.host.model import CUDA_BLOCKING_PROBLEMS, FACT_HIDING_PROBLEMS, Finding, Severity
from dlenv.versions import parse_cuda, parse_driver

if TYPE_CHECKING:
    from dlenv.compat.candidate import Candidate, RuleContext


def _segments(ctx: RuleContext) -> set[str]:
    segments = set()
    for gpu in ctx.host.gpus:
        product = ctx.matrix.find_gpu(gpu.name) if gpu.name else None
        if product is not None:
            segments.add(product.segment)
        elif gpu.brand in SEGMENT_BRANDS["datacenter"]:
            segments.add("datacenter")
    return segments


def _forward_compat_package(ctx: RuleContext, candidate: Candidate, driver: str) -> str | None:
    """The cuda-compat package that lets this driver run the build, where NVIDIA supports it on these GPUs."""
    cuda = candidate.cuda
    branch = driver.split(".", maxsplit=1)[0]
    segments = _segments(ctx)
    for row in ctx.matrix.cuda.forward_compat:
        if parse_cuda(row.cuda) == cuda and branch in row.driver_branches and segments & set(row.segments):
            return f"cuda-compat-{row.cuda.replace('.', '-')}"
    return None


def driver_rule(ctx: RuleContext, candidate: Candidate) -> list[Finding]:
    cuda = candidate.cuda
    if cuda is None:
        return []
    host = ctx.host
    label = candidate.label
    system = host.platform.system
    driver = host.driver.version if host.driver else None
    max_cuda_text = host.driver.max_cuda if host.driver else None
    if any(override.name == "CONDA_OVERRIDE_CUDA" for override in host.overrides):
        driver = None  # the user states the CUDA the driver supports; the version no longer decides
    if driver is None and max_cuda_text is None:
        severity = Severity.ERROR if host.gpus else Severity.WARNING
        return [
            Finding(
                "no_driver",
                severity,
                f"{label} is a CUDA {cuda} build, but the host has no NVIDIA driver: CUDA cannot initialise, only CPU "
                "code paths run.",
                f"install an NVIDIA driver that supports CUDA {cuda}, or use a CPU build",
                candidate.package,
            )
        ]
    build_floor = floor_for(candidate.build.min_driver, system)
    floor = build_floor or ctx.cuda.toolkit_min_driver(cuda, system) if cuda.minor is not None else build_floor
    minor_floor = ctx.cuda.minor_compat_min_driver(cuda.major, system)
    if candidate.build.cuda_range is not None and not build_floor:
        floor = minor_floor  # built to run on any driver of the major line
    if build_floor is not None:
        # The project states this floor for the build (RAPIDS' platform support, JAX's installation guide): below
        # it nothing is promised, minor-version compatibility included.
        minor_floor = None
    if driver is not None and floor is not None:
        return _against_floor(ctx, candidate, driver, floor, minor_floor)
    max_cuda = parse_cuda(max_cuda_text) if max_cuda_text else ctx.cuda.max_cuda_for_driver(driver or "", system)
    if max_cuda is None:
        return [
            Finding(
                "driver_unknown",
                Severity.INFO,
                f"No driver floor is known for CUDA {cuda}; {label} was not checked against the driver.",
                None,
                candidate.package,
            )
        ]
    if cuda.major < max_cuda.major or (cuda.major == max_cuda.major and (cuda.minor or 0) <= (max_cuda.minor or 0)):
        return []
    if cuda.major == max_cuda.major:
        return [_minor_compat(candidate, f"CUDA {max_cuda}")]
    return [_too_old(candidate, f"supports CUDA {max_cuda} at most", None)]


def _against_floor(
    ctx: RuleContext, candidate: Candidate, driver: str, floor: str, minor_floor: str | None
) -> list[Finding]:
    parsed = parse_driver(driver)
    if parsed is None or parsed >= (parse_driver(floor) or ()):
        return []
    if minor_floor and parsed >= (parse_driver(minor_floor) or ()):
        return [_minor_compat(candidate, f"driver {driver} (below {floor}, the CUDA {candidate.cuda} toolkit's own)")]
    compat = _forward_compat_package(ctx, candidate, driver)
    if compat is not None and ctx.allow_forward_compat:
        return [
            Finding(
                "forward_compat_required",
                Severity.WARNING,
                f"{candidate.label} needs driver ≥ {floor}; driver {driver} runs it only with NVIDIA's forward-"
                f"compatibility package {compat}, which this data-center GPU supports (allowed by "
                "--allow-forward-compat).",
                f"install {compat} on the host or in the image, or upgrade the driver to ≥ {floor}",
                candidate.package,
            )
        ]
    if compat is not None:
        # An extra package on the host or in the image, for data-center GPUs only: a deployment choice, never a
        # default (the container toolkit refuses an image whose NVIDIA_REQUIRE_CUDA the bare driver misses).
        return [
            Finding(
                "forward_compat_required",
                Severity.ERROR,
                f"{candidate.label} needs driver ≥ {floor}; driver {driver} runs it only with NVIDIA's forward-"
                f"compatibility package {compat}, which is not assumed to be installed.",
                f"upgrade the driver to ≥ {floor}, choose a build for an older CUDA, or deploy {compat} and pass "
                "--allow-forward-compat",
                candidate.package,
            )
        ]
    return [_too_old(candidate, f"is {driver}", floor, minor_floor)]


def _minor_compat(candidate: Candidate, have: str) -> Finding:
    return Finding(
        "minor_version_compat",
        Severity.WARNING,
        f"{candidate.label} (CUDA {candidate.cuda}) runs on {have} only through CUDA minor-version compatibility: "
        "PTX that is newer than the driver cannot be JIT-compiled ('the provided PTX was compiled with an "
        "unsupported toolchain').",
        "upgrade the driver to the CUDA toolkit's own minimum to lift the limitation",
        candidate.package,
    )


def _too_old(candidate: Candidate, have: str, floor: str | None, minor_floor: str | None = None) -> Finding:
    need = f"driver ≥ {floor}" if floor else f"a driver that supports CUDA {candidate.cuda}"
    if floor and minor_floor:
        need += f" (≥ {minor_floor} through CUDA minor-version compatibility)"
    return Finding(
        "driver_too_old",
        Severity.ERROR,
        f"{candidate.label} needs {need}; the host's driver {have} ('CUDA driver version is insufficient for CUDA "
        "runtime version').",
        f"upgrade the driver{f' to ≥ {floor}' if floor else ''}, or choose a build for an older CUDA",
        candidate.package,
    )


def host_fault_rule(ctx: RuleContext, candidate: Candidate) -> list[Finding]:
    """A CUDA build on a host whose driver or GPUs failed the probe: it cannot run there now (a broken driver is
    never a green preflight), or the facts it is checked against are missing (unverified)."""
    if candidate.build.accelerator != "cuda":
        return []
    problems = ctx.host.problems
    driver = ctx.host.driver
    blocking = [
        p
        for p in problems
        if p.code in CUDA_BLOCKING_PROBLEMS
        # libnvidia-ml missing while the kernel module is loaded: a broken install, not a host without a driver
        or (p.code == "nvml_library_not_found" and driver is not None and driver.kernel_module_version)
    ]
    if blocking:
        problem = blocking[0]
        return [
            Finding(
                "host_cuda_unusable",
                Severity.ERROR,
                f"{candidate.label} needs CUDA, which cannot run on this host as it is: the NVIDIA driver probe "
                f"failed ({problem.code.removeprefix('nvml_')}: {problem.detail}).",
                "repair the driver first (see `dlenv doctor`), then check again",
                candidate.package,
            )
        ]
    hiding = [p for p in problems if p.code in FACT_HIDING_PROBLEMS]
    if hiding:
        problem = hiding[0]
        return [
            Finding(
                "host_facts_unverified",
                Severity.WARNING,
                f"unverified: the driver probe could not read every fact {candidate.label} is checked against "
                f"({problem.code.removeprefix('nvml_')}: {problem.source}: {problem.detail}).",
                "run the check where NVML answers fully (as a user with access to the GPUs), or give the facts "
                "with --driver/--gpu; --strict fails on this",
                candidate.package,
            )
        ]
    return []
