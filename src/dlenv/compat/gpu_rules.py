"""GPUs against a build: SASS for the GPU's compute capability, else PTX to JIT, else no kernel image.

CUDA binary compatibility: SASS for sm_X.y runs on X.z for z >= y (same major); an 'a' (architecture-specific)
target runs only on exactly X.y, an 'f' (family) target on the same major; PTX for compute_X.y is JIT-compiled for
any GPU of capability >= X.y.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dlenv.compat.cuda_rules import driver_rule
from dlenv.host.model import Finding, Gpu, Severity
from dlenv.records import replace
from dlenv.versions import ComputeCapability, CudaVersion, driver_branch, parse_cuda

if TYPE_CHECKING:
    from dlenv.compat.candidate import Candidate, RuleContext
    from dlenv.matrix.model import Matrix


def sass_runs_on(target: ComputeCapability, gpu: ComputeCapability) -> bool:
    if target.suffix == "a":
        return (target.major, target.minor) == (gpu.major, gpu.minor)
    return target.major == gpu.major and target.minor <= gpu.minor


def ptx_runs_on(target: ComputeCapability, gpu: ComputeCapability) -> bool:
    if target.suffix == "a":
        return (target.major, target.minor) == (gpu.major, gpu.minor)
    if target.suffix == "f":
        return target.major == gpu.major and target.minor <= gpu.minor
    return (target.major, target.minor) <= (gpu.major, gpu.minor)


def coverage(candidate: Candidate, gpu: ComputeCapability, platform: str) -> str | None:
    """'sass', 'ptx' or 'none' for a build whose targets are known on `platform`; None when they are not."""
    sass_texts, ptx_texts = candidate.build.targets_on(platform)
    sass = [c for text in sass_texts if (c := ComputeCapability.parse(text))]
    ptx = [c for text in ptx_texts if (c := ComputeCapability.parse(text))]
    if not sass and not ptx:
        return None
    if any(sass_runs_on(target, gpu) for target in sass):
        return "sass"
    if any(ptx_runs_on(target, gpu) for target in ptx):
        return "ptx"
    return "none"


def _name(gpu: Gpu) -> str:
    facts = [gpu.name] if gpu.name else []
    facts += [f"compute capability {gpu.compute_capability}"] if gpu.compute_capability else []
    return f"GPU {gpu.index}" + (f" ({', '.join(facts)})" if facts else "")


def _indices(gpus: list[Gpu]) -> str:
    """'GPUs 0-7' for a run of indices, 'GPUs 0, 2, 5' otherwise."""
    indices = [gpu.index for gpu in gpus]
    if indices == list(range(indices[0], indices[0] + len(indices))):
        return f"GPUs {indices[0]}-{indices[-1]}"
    return "GPUs " + ", ".join(str(index) for index in indices)


def _with_capability(ctx: RuleContext, gpu: Gpu) -> Gpu:
    """NVML may not say a GPU's compute capability (NOT_SUPPORTED) where the GPU table knows the product."""
    if gpu.compute_capability is None and gpu.name and (product := ctx.matrix.find_gpu(gpu.name)) is not None:
        return replace(gpu, compute_capability=product.compute_capability)
    return gpu


def _targets(candidate: Candidate, platform: str) -> str:
    sass_texts, ptx_texts = candidate.build.targets_on(platform)
    return f"SASS {', '.join(sass_texts) or 'none'}; PTX {', '.join(ptx_texts) or 'none'}"


def gpu_kinds(ctx: RuleContext) -> list[list[Gpu]]:
    """The host's GPUs grouped by kind (name and compute capability), worked out once per context."""
    kinds: list[list[Gpu]] | None = ctx.derived.get("gpu_kinds")
    if kinds is None:
        groups: dict[tuple[str | None, str | None], list[Gpu]] = {}
        for gpu in (_with_capability(ctx, probed) for probed in ctx.host.gpus):
            groups.setdefault((gpu.name, gpu.compute_capability), []).append(gpu)
        kinds = ctx.derived["gpu_kinds"] = list(groups.values())
    return kinds


def gpu_rule(ctx: RuleContext, candidate: Candidate) -> list[Finding]:
    """Each kind of GPU on the host once (a node of eight identical GPUs is judged once and said once)."""
    if candidate.build.accelerator != "cuda":
        return []
    findings: list[Finding] = []
    for group in gpu_kinds(ctx):
        found = _gpu_findings(ctx, candidate, group[0])
        if len(group) > 1:
            one, many = f"GPU {group[0].index}", _indices(group)
            found = [
                replace(f, message=f.message.replace(_name(group[0]), _name(group[0]).replace(one, many, 1)))
                for f in found
            ]
        findings += found
    return findings


def _gpu_findings(ctx: RuleContext, candidate: Candidate, gpu: Gpu) -> list[Finding]:
    findings: list[Finding] = []
    capability = ComputeCapability.parse(gpu.compute_capability) if gpu.compute_capability else None
    if capability is None:
        findings.append(
            Finding(
                "gpu_arch_unknown",
                Severity.WARNING,
                f"unverified: {_name(gpu)} has no known compute capability, so {candidate.label} was not "
                "checked against it.",
                "give the GPU with --gpu (a product name or a compute capability); --strict fails on this",
                candidate.package,
            )
        )
        return findings
    driver = ctx.host.driver.version if ctx.host.driver else None
    if (branch := driver_branch_finding(ctx.matrix, driver, gpu, candidate.package)) is not None:
        findings.append(branch)
    minimum = ComputeCapability.parse(candidate.build.min_compute_capability or "")
    if minimum is not None and (capability.major, capability.minor) < (minimum.major, minimum.minor):
        findings.append(
            Finding(
                "gpu_arch_unsupported",
                Severity.ERROR,
                f"{candidate.label} needs compute capability ≥ {minimum}; {_name(gpu)} has less.",
                "use a GPU of that generation or newer, or an older release that still supports this GPU",
                candidate.package,
            )
        )
        return findings
    if (runtime := _runtime_compiler_bound(ctx, candidate, gpu, capability)) is not None:
        # Kernels compiled at run time fail on this GPU whatever the wheel carries ahead of time.
        findings.append(runtime)
        return findings
    covered = coverage(candidate, capability, ctx.platform_key)
    if covered is None and (bound := _compiler_bound(ctx, candidate, gpu, capability)) is not None:
        findings.append(bound)
    elif covered is None:
        findings.append(
            Finding(
                "gpu_arch_unknown",
                Severity.WARNING,
                f"unverified: the matrix does not record which GPU architectures {candidate.label} carries "
                f"kernels for on {ctx.platform_key}, so whether it has a kernel image for {_name(gpu)} was "
                "not checked (its CUDA release's compiler can target this GPU, so it may).",
                "pin a build whose arch list the matrix records (see alternatives), or confirm on the host "
                "that the build runs on this GPU; --strict fails on this",
                candidate.package,
            )
        )
    elif covered == "ptx":
        findings.append(
            Finding(
                "gpu_arch_ptx_only",
                Severity.WARNING,
                f"{candidate.label} has no SASS for {_name(gpu)}; its kernels "
                "are JIT-compiled from PTX at first use (a slow first start, impossible under CUDA "
                f"minor-version compatibility). Targets: {_targets(candidate, ctx.platform_key)}.",
                "prefer a build whose SASS covers this GPU",
                candidate.package,
            )
        )
    elif covered == "none":
        findings.append(
            Finding(
                "gpu_arch_unsupported",
                Severity.ERROR,
                f"{candidate.label} has no kernel image for {_name(gpu)}: CUDA "
                f"fails with 'no kernel image is available for execution on the device'. Targets: "
                f"{_targets(candidate, ctx.platform_key)}.",
                "choose a build whose SASS or PTX covers this GPU",
                candidate.package,
            )
        )
    return findings


def ptx_jit_rule(ctx: RuleContext, candidate: Candidate) -> list[Finding]:
    """PTX JIT needs the driver of the PTX's own toolkit: a build that reaches a GPU only through PTX (gpu_rule's
    gpu_arch_ptx_only) fails outright under CUDA minor-version compatibility (driver_rule's minor_version_compat)."""
    if candidate.build.accelerator != "cuda":
        return []
    # identical GPUs (a node of eight A100s) are one capability to cover
    texts = {group[0].compute_capability for group in gpu_kinds(ctx)}
    capabilities = [c for text in sorted(t for t in texts if t) if (c := ComputeCapability.parse(text))]
    # cheap first (most builds have SASS for the GPU): PTX-only coverage of some GPU; then the two rules' own verdicts
    if not any(coverage(candidate, capability, ctx.platform_key) == "ptx" for capability in capabilities):
        return []
    codes = {finding.code for finding in (*gpu_rule(ctx, candidate), *driver_rule(ctx, candidate))}
    if not {"gpu_arch_ptx_only", "minor_version_compat"} <= codes:
        return []
    return [
        Finding(
            "ptx_jit_unavailable",
            Severity.ERROR,
            f"{candidate.label} reaches this GPU only through PTX JIT, which fails under CUDA minor-version "
            "compatibility ('the provided PTX was compiled with an unsupported toolchain').",
            "upgrade the driver to the build's CUDA toolkit minimum, or choose a build with SASS for this GPU",
            candidate.package,
        )
    ]


def _compiler_targets(ctx: RuleContext, candidate: Candidate) -> tuple[CudaVersion | None, list[tuple[int, int]]]:
    """The CUDA release the build was made with and the compute capabilities its nvcc/ptxas can target
    (cuda.yaml), without the a/f-suffixed variants."""
    built_with = parse_cuda(candidate.build.cuda) if candidate.build.cuda else None
    targets = (
        [c for text in ctx.cuda.compiler_targets(built_with) if (c := ComputeCapability.parse(text))]
        if built_with
        else []
    )
    return built_with, [(c.major, c.minor) for c in targets if not c.suffix]


def _compiler_bound(ctx: RuleContext, candidate: Candidate, gpu: Gpu, capability: ComputeCapability) -> Finding | None:
    """Without the build's arch list, the compiler it was built with still bounds it: nvcc of CUDA X.Y targets only
    the compute capabilities that release supports (cuda.yaml), so an older GPU cannot be covered at all and a newer
    one only through PTX JIT."""
    built_with, plain = _compiler_targets(ctx, candidate)
    if not plain:
        return None
    have = (capability.major, capability.minor)
    lowest, highest = min(plain), max(plain)
    if have < lowest:
        return Finding(
            "gpu_arch_unsupported",
            Severity.ERROR,
            f"{candidate.label} was built with CUDA {built_with}, whose compiler targets compute capability "
            f"{lowest[0]}.{lowest[1]} and newer, so it has no kernel image for {_name(gpu)}: CUDA fails with 'no "
            "kernel image is available for execution on the device'.",
            "choose a build made with an older CUDA that still targets this GPU",
            candidate.package,
        )
    if have > highest and capability.major not in {major for major, _ in plain}:
        return Finding(
            "gpu_arch_newer_than_cuda",
            Severity.WARNING,
            f"unverified: {candidate.label} was built with CUDA {built_with}, whose compiler predates {_name(gpu)}: "
            "the GPU can run it only by JIT-compiling PTX, if the build carries PTX (its arch list is not recorded); "
            "otherwise 'no kernel image is available for execution on the device'.",
            "prefer a build made with a CUDA release that targets this GPU; --strict fails on this",
            candidate.package,
        )
    return None


def _runtime_compiler_bound(
    ctx: RuleContext, candidate: Candidate, gpu: Gpu, capability: ComputeCapability
) -> Finding | None:
    """Frameworks whose family compiles kernels at run time with the ptxas of the build's CUDA (XLA: JAX,
    TensorFlow) fail on a GPU that ptxas cannot target, whatever PTX the wheel ships."""
    framework = ctx.matrix.framework(candidate.subject)
    if framework is None or framework.family.runtime_compiler != "build_cuda":
        return None
    built_with, plain = _compiler_targets(ctx, candidate)
    if not plain or (capability.major, capability.minor) <= max(plain):
        return None
    newest = max(plain)
    return Finding(
        "runtime_compiler_too_old",
        Severity.ERROR,
        f"{candidate.label} compiles its GPU kernels at run time with the PTX compiler of CUDA {built_with}, which "
        f"targets compute capability {newest[0]}.{newest[1]} at most, so it fails on {_name(gpu)} ('ptxas fatal: "
        f"Value 'sm_{capability.major}{capability.minor}' is not defined for option 'gpu-name'', "
        "CUDA_ERROR_INVALID_PTX).",
        "choose a release built with a CUDA whose compiler targets this GPU",
        candidate.package,
    )


# The driver-branch findings are facts of the host (GPU and driver), whatever the build: doctor reports them once per
# GPU, and the engine repeats them on every CUDA build, which cannot run there either.
DRIVER_BRANCH_CODES = frozenset({"gpu_needs_newer_driver", "gpu_unsupported_by_driver", "gpu_driver_unverified"})


def driver_branch_finding(matrix: Matrix, driver: str | None, gpu: Gpu, subject: str | None) -> Finding | None:
    """The driver branches that support the GPU's architecture: from the first (older drivers do not see the GPU)
    to the last (newer ones dropped it); and for a product that drivers name only from a later branch than its
    architecture's first, a warning (the driver accepts GPUs by chip, so naming alone does not prove support)."""
    architecture = matrix.architecture_of(gpu.compute_capability or "")
    branch = driver_branch(driver) if driver else None
    if architecture is None or branch is None:
        return None
    first = int(architecture.first_driver_branch) if architecture.first_driver_branch else None
    last = int(architecture.last_driver_branch) if architecture.last_driver_branch else None
    if first is not None and branch < first:
        return Finding(
            "gpu_needs_newer_driver",
            Severity.ERROR,
            f"{_name(gpu)} is a {architecture.name} GPU, first supported by the {first} driver branch; driver "
            f"{driver} does not support it (CUDA reports no device).",
            f"upgrade the driver to the {first} branch or newer",
            subject,
        )
    if last is not None and branch > last:
        return Finding(
            "gpu_unsupported_by_driver",
            Severity.ERROR,
            f"{_name(gpu)} is a {architecture.name} GPU, whose last supporting driver branch is {last}; driver "
            f"{driver} does not support it.",
            f"stay on the {last} driver branch, with builds whose CUDA that branch supports",
            subject,
        )
    named_from = matrix.product_first_driver_branch(gpu.name) if gpu.name else None
    if named_from is not None and branch < named_from:
        return Finding(
            "gpu_driver_unverified",
            Severity.WARNING,
            f"unverified: NVIDIA's drivers name {_name(gpu)} from the {named_from} branch on; driver {driver} "
            "predates that, so whether it supports this product is not known.",
            f"upgrade the driver to the {named_from} branch or newer; --strict fails on this",
            subject,
        )
    return None
