"""Evaluate candidates on a host: every rule, then the ranking that picks the best candidate."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dlenv.compat.cuda_rules import driver_rule, host_fault_rule
from dlenv.compat.gpu_rules import gpu_rule, ptx_jit_rule
from dlenv.compat.platform_rules import accelerator_rule, cuda_libraries_rule, platform_rule, python_rule
from dlenv.host.model import Finding, Severity, has_errors
from dlenv.records import record
from dlenv.versions import sortable_version

if TYPE_CHECKING:
    from packaging.version import Version

    from dlenv.compat.candidate import Candidate, RuleContext

RULES = (
    platform_rule,
    python_rule,
    host_fault_rule,
    driver_rule,
    gpu_rule,
    cuda_libraries_rule,
    accelerator_rule,
    ptx_jit_rule,
)


@record
class Evaluation:
    candidate: Candidate
    findings: tuple[Finding, ...]

    @property
    def compatible(self) -> bool:
        return not has_errors(self.findings)

    @property
    def clean(self) -> bool:
        return not any(finding.severity in (Severity.ERROR, Severity.WARNING) for finding in self.findings)

    def has(self, code: str) -> bool:
        return any(finding.code == code for finding in self.findings)


def evaluate(ctx: RuleContext, candidate: Candidate) -> Evaluation:
    cached: Evaluation | None = ctx.evaluations.get(candidate.identity)
    if cached is None:
        cached = ctx.evaluations[candidate.identity] = _evaluate(ctx, candidate)
    return cached


def _evaluate(ctx: RuleContext, candidate: Candidate) -> Evaluation:
    findings = [finding for rule in RULES for finding in rule(ctx, candidate)]
    return Evaluation(candidate, tuple(findings))


# How the driver runs a build's CUDA, best first: natively, through minor-version compatibility (no JIT of newer
# PTX, so no run-time-compiled kernels newer than the driver), through the cuda-compat package (an opt-in).
DRIVER_TIERS = ("native", "minor_version_compat", "forward_compat_required")


def driver_tier(evaluation: Evaluation) -> int:
    """The rank of how the driver runs the build: 2 natively, 1 through minor-version compatibility, 0 through
    forward compatibility."""
    for index, code in enumerate(reversed(DRIVER_TIERS[1:])):
        if evaluation.has(code):
            return index
    return len(DRIVER_TIERS) - 1


def rank(ctx: RuleContext, evaluation: Evaluation) -> tuple[bool, bool, int, Version, bool, tuple[int, int]]:
    """Higher is better: compatible, a GPU build on a GPU host (a CPU build elsewhere), the driver runs the build
    natively (then through minor-version compatibility, then forward compatibility), newest release, no
    warnings, newest CUDA."""
    candidate = evaluation.candidate
    wants_gpu = bool(ctx.host.gpus) or bool(ctx.host.driver and ctx.host.driver.version)
    cuda = candidate.cuda
    return (
        evaluation.compatible,
        (candidate.build.accelerator == "cuda") == wants_gpu,
        driver_tier(evaluation),
        sortable_version(candidate.release.version),
        evaluation.clean,
        (cuda.major, cuda.minor or 0) if cuda else (0, 0),
    )


def best(ctx: RuleContext, evaluations: list[Evaluation]) -> Evaluation | None:
    # Ties after the rank fall to the build name, so the answer is deterministic.
    return max(evaluations, key=lambda e: (rank(ctx, e), e.candidate.build.build), default=None)
