"""What `check` and `resolve` ask of the input side, kept out of the engine: the builds a line selects (its index,
direct wheel, the environment's CUDA), findings about the line itself, extras kept on the install line, and
companions (torchvision, torchaudio, torchtext) judged against the framework release they were made for."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dlenv.compat.sources.target import (
    companion_allows,
    companion_candidate,
    companion_finding,
    companion_of,
    input_findings,
    select_builds,
)
from dlenv.host.model import Finding, Severity
from dlenv.records import replace
from dlenv.versions import canonical_name

if TYPE_CHECKING:
    from collections.abc import Sequence

    from dlenv.compat.candidate import Candidate, RuleContext
    from dlenv.compat.check import RequirementResult
    from dlenv.compat.evaluate import Evaluation
    from dlenv.compat.sources.model import RequirementInput
    from dlenv.matrix.model import Matrix

__all__ = [
    "companion_results",
    "companion_targets",
    "companions_fit",
    "input_findings",
    "select_builds",
    "split_companions",
    "with_extras",
]


def with_extras(requirement: RequirementInput, candidates: list[Candidate]) -> list[Candidate]:
    """Keep the extras asked for on each candidate's install line (`tensorflow[and-cuda]`), where the candidate is
    the package itself rather than a build an extra pulls in."""
    extras = ",".join(sorted(requirement.requirement.extras))
    if not extras:
        return candidates
    return [c if c.extra is not None else replace(c, extra=extras) for c in candidates]


def companion_results(ctx: RuleContext, results: list[RequirementResult]) -> list[RequirementResult]:
    """Results for the companion lines: the release made for the chosen framework build, or an error naming it."""
    from dlenv.compat.check import RequirementResult
    from dlenv.compat.evaluate import Evaluation

    primaries = [
        (r.subject, r.requirement.origin, r.evaluation.candidate) for r in results if r.evaluation and r.subject
    ]
    judged = []
    for result in results:
        owner = ctx.matrix.companion_owner(result.requirement.name) if result.subject is None else None
        primary = _primary_for(primaries, owner, result.requirement.origin) if owner else None
        if owner is None or primary is None:
            judged.append(result)
            continue
        requirement = result.requirement
        expected = companion_of(primary, requirement.name)
        if expected is None:
            finding = Finding(
                "companion_unknown",
                Severity.WARNING,
                f"unverified: the matrix records no {canonical_name(requirement.name)} release made for "
                f"{primary.label}, so {requirement.text} was not checked against it.",
                "add the release's companions with a matrix overlay; --strict fails on this",
                canonical_name(requirement.name),
            )
            judged.append(RequirementResult(requirement, owner, None, (finding,)))
            continue
        mismatch = companion_finding(primary, requirement, expected, ctx.platform_key)
        findings = (mismatch,) if mismatch else ()
        evaluation = Evaluation(companion_candidate(primary, requirement, expected), findings)
        judged.append(RequirementResult(requirement, owner, evaluation, findings))
    return judged


def _scope(origin: str) -> str:
    """The part of an input a line belongs to: its file for requirements files (path:LINE), its table for
    pyproject and conda files (path:project.optional-dependencies.cu124), as written otherwise."""
    head, _, tail = origin.rpartition(":")
    return head if tail.isdigit() else origin


def _primary_for(primaries: list[tuple[str, str, Candidate]], owner: str, origin: str) -> Candidate | None:
    """The framework build a companion line goes with: the one of the same scope (the torch of the same extra),
    else the only or last one asked for."""
    of_owner = [(o, c) for subject, o, c in primaries if subject == owner]
    same = [c for o, c in of_owner if _scope(o) == _scope(origin)]
    chosen = same or [c for _o, c in of_owner]
    return chosen[-1] if chosen else None


def split_companions(
    matrix: Matrix, requirements: Sequence[RequirementInput]
) -> tuple[list[RequirementInput], dict[str, RequirementInput]]:
    """The framework requirements, and the companion lines keyed by name, of a `resolve`: a companion is resolved
    from the framework it belongs to, which the input must name too."""
    companions: dict[str, RequirementInput] = {}
    frameworks = []
    for requirement in requirements:
        if matrix.framework_for_package(requirement.name) is None and matrix.companion_owner(requirement.name):
            companions[canonical_name(requirement.name)] = requirement
        else:
            frameworks.append(requirement)
    return frameworks, companions


def companion_targets(
    chosen: Evaluation | None, companions: dict[str, RequirementInput]
) -> list[tuple[RequirementInput, Evaluation | None]]:
    """For each companion line, the companion release of `chosen` as an evaluation (None when there is none)."""
    from dlenv.compat.evaluate import Evaluation

    found: list[tuple[RequirementInput, Evaluation | None]] = []
    for name, requirement in companions.items():
        expected = companion_of(chosen.candidate, name) if chosen is not None else None
        if chosen is None or expected is None:
            found.append((requirement, None))
            continue
        found.append((requirement, Evaluation(companion_candidate(chosen.candidate, requirement, expected), ())))
    return found


def companions_fit(companions: dict[str, RequirementInput], evaluation: Evaluation) -> bool:
    return companion_allows(evaluation.candidate, companions)
