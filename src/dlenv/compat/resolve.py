"""`dlenv resolve`: the newest mutually compatible builds of several frameworks for a host.

Each target is ranked on its own (compatible, a GPU build on a GPU host, how the driver runs the build's CUDA —
natively, then through minor-version compatibility, then through forward compatibility when allowed —, newest
release, no warnings, newest CUDA),
then a bounded backtracking search picks the first combination, in that order, with no co-installation error.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dlenv.compat.check import candidates_for, cpu_build_on_gpu_host, matches_requirement, rule_context
from dlenv.compat.coinstall import coinstall_findings
from dlenv.compat.evaluate import DRIVER_TIERS, Evaluation, evaluate, rank
from dlenv.compat.sources import hooks as input_hooks
from dlenv.errors import InputError, verdict_exit_code
from dlenv.host.model import Finding, Severity, has_errors, has_warnings
from dlenv.records import record
from dlenv.versions import canonical_name, sortable_version

if TYPE_CHECKING:
    from collections.abc import Sequence

    from dlenv.compat.candidate import Candidate, RuleContext
    from dlenv.compat.requirements import RequirementInput
    from dlenv.host.model import HostFacts
    from dlenv.matrix.model import Matrix

SEARCH_LIMIT = 20_000


@record
class Rejection:
    release: str
    reasons: tuple[Finding, ...]
    runs: bool = False
    """The release runs here, but only in a lower driver tier than the chosen one (its reasons say which)."""


@record
class TargetResolution:
    requirement: RequirementInput
    chosen: Evaluation | None
    rejected_newer: tuple[Rejection, ...]


@record
class Resolution:
    host: HostFacts
    matrix_version: str | None
    targets: tuple[TargetResolution, ...]
    conflicts: tuple[Finding, ...]

    @property
    def resolved(self) -> bool:
        return all(target.chosen is not None for target in self.targets) and not has_errors(self.conflicts)

    @property
    def has_warnings(self) -> bool:
        findings = [f for t in self.targets if t.chosen is not None for f in t.chosen.findings]
        return has_warnings([*findings, *self.conflicts])

    def exit_code(self, *, strict: bool = False) -> int:
        """0 resolved, 1 nothing works (or, with strict, what was chosen carries a warning)."""
        return verdict_exit_code(self.resolved, self.has_warnings, strict=strict)


def _ranked(ctx: RuleContext, requirement: RequirementInput) -> list[Evaluation]:
    package = canonical_name(requirement.name)
    framework = ctx.matrix.framework_for_package(package)
    if framework is None:
        raise InputError(
            f"{package} is not in the compatibility matrix",
            where=requirement.origin,
            fix="name a framework package such as torch, tensorflow, jax, cupy-cuda12x or cudf-cu12",
        )
    # the same reading of a requirement as check's, so `torch==2.8.0+cu128` names that build here too
    matching = [
        candidate
        for candidate in candidates_for(framework, package, requirement.requirement.extras)
        if candidate.build.accelerator in ("cuda", "cpu") and matches_requirement(requirement, candidate)
    ]
    # input side (compat/sources/hooks.py): the builds the line's index or CUDA pin selects, with its extras
    evaluations = [
        evaluate(ctx, candidate)
        for candidate in input_hooks.with_extras(requirement, input_hooks.select_builds(requirement, matching))
    ]
    return sorted(evaluations, key=lambda e: (rank(ctx, e), e.candidate.build.build), reverse=True)


def _nearest_to_working(evaluation: Evaluation) -> tuple[int, tuple[int, int], str]:
    """The build of a rejected release that comes closest: fewest errors, then the oldest CUDA (the lowest driver
    floor), so the explanation names what it would take to run that release at all."""
    errors = sum(1 for finding in evaluation.findings if finding.severity is Severity.ERROR)
    cuda = evaluation.candidate.cuda
    return (errors, (cuda.major, cuda.minor or 0) if cuda else (0, 0), evaluation.candidate.build.build)


def _rejections(ctx: RuleContext, ranked: list[Evaluation], chosen: Evaluation | None) -> tuple[Rejection, ...]:
    """For each release newer than the chosen one: why its best build of the wanted kind was not taken."""
    floor = sortable_version(chosen.candidate.release.version) if chosen else sortable_version("0")
    per_release: dict[str, list[Evaluation]] = {}
    for evaluation in ranked:
        per_release.setdefault(evaluation.candidate.release.version, []).append(evaluation)
    rejections = []
    for release, evaluations in sorted(per_release.items(), key=lambda item: sortable_version(item[0]), reverse=True):
        if sortable_version(release) <= floor:
            break
        # On a GPU host a CPU build "works" but is not what was asked for: explain the GPU builds.
        wanted = [e for e in evaluations if rank(ctx, e)[1]] or evaluations
        best_of_release = min(wanted, key=_nearest_to_working)
        errors = tuple(f for f in best_of_release.findings if f.severity is Severity.ERROR)
        # A release that runs, but only in a lower driver tier than the chosen one (minor-version compatibility
        # where the chosen build runs natively), was passed over for that reason.
        lower_tier = tuple(f for f in best_of_release.findings if f.code in DRIVER_TIERS)
        rejections.append(
            Rejection(
                release,
                errors
                or lower_tier
                or (
                    Finding(
                        "conflict",
                        Severity.ERROR,
                        f"{best_of_release.candidate.label} conflicts with the other frameworks chosen.",
                        None,
                        best_of_release.candidate.package,
                    ),
                ),
                runs=not errors and bool(lower_tier),
            )
        )
    return tuple(rejections)


def _search(options: list[list[Evaluation]]) -> list[Evaluation] | None:
    budget = [SEARCH_LIMIT]

    def extend(chosen: list[Evaluation]) -> list[Evaluation] | None:
        if len(chosen) == len(options):
            return chosen
        for option in options[len(chosen)]:
            budget[0] -= 1
            if budget[0] < 0:
                return None
            findings = coinstall_findings([e.candidate for e in [*chosen, option]])
            if has_errors(findings):
                continue
            found = extend([*chosen, option])
            if found is not None:
                return found
        return None

    return extend([])


def _with_stack_findings(
    ctx: RuleContext, chosen: Evaluation | None, stack: list[Candidate], requirement: RequirementInput
) -> Evaluation | None:
    unused = cpu_build_on_gpu_host(ctx, chosen, stack, requirement) if chosen is not None else None
    if chosen is None or unused is None:
        return chosen
    return Evaluation(chosen.candidate, (*chosen.findings, unused))


def _owned(
    matrix: Matrix, evaluation: Evaluation | None, companions: dict[str, RequirementInput]
) -> dict[str, RequirementInput]:
    """The companion lines that belong to `evaluation`'s framework."""
    if evaluation is None:
        return {}
    subject = evaluation.candidate.subject
    return {n: r for n, r in companions.items() if matrix.companion_owner(n) == subject}


def resolve(
    host: HostFacts,
    matrix: Matrix,
    requirements: Sequence[RequirementInput],
    *,
    allow_forward_compat: bool = False,
) -> Resolution:
    ctx = rule_context(host, matrix, allow_forward_compat=allow_forward_compat)
    # companions (torchvision) are resolved from their framework's choice, which their versions narrow
    requirements, companions = input_hooks.split_companions(matrix, requirements)
    ranked = [_ranked(ctx, requirement) for requirement in requirements]
    options = [
        [e for e in evaluations if e.compatible and input_hooks.companions_fit(_owned(matrix, e, companions), e)]
        for evaluations in ranked
    ]
    combination = _search(options)
    if combination is None:
        # No joint answer: give each target its own best, and report the conflicts between them.
        combination_or_partial = [evaluations[0] if evaluations else None for evaluations in options]
    else:
        combination_or_partial = list(combination)
    stack = [chosen.candidate for chosen in combination_or_partial if chosen is not None]
    targets = tuple(
        TargetResolution(
            requirement, _with_stack_findings(ctx, chosen, stack, requirement), _rejections(ctx, ranked_list, chosen)
        )
        for requirement, chosen, ranked_list in zip(requirements, combination_or_partial, ranked, strict=True)
    )
    targets += tuple(
        TargetResolution(companion, evaluation, ())
        for target in targets
        for companion, evaluation in input_hooks.companion_targets(
            target.chosen, _owned(matrix, target.chosen, companions)
        )
    )
    orphans = set(companions) - {canonical_name(t.requirement.name) for t in targets}
    targets += tuple(TargetResolution(companions[name], None, ()) for name in sorted(orphans))
    chosen_candidates = [t.chosen.candidate for t in targets if t.chosen is not None]
    return Resolution(host, matrix.matrix_version, targets, tuple(coinstall_findings(chosen_candidates)))
