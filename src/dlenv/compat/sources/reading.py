"""All of a check's input, made into what the installer would install on the target: markers, constraints, the
resolver's picks for ranges. The value carries what was skipped and what could not be resolved, so that the report
can say so."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dlenv.compat.sources.resolver import apply_resolution, find_uv, resolve_for_target
from dlenv.compat.sources.target import apply_constraints, for_target
from dlenv.host.model import Finding, Severity
from dlenv.records import record, replace
from dlenv.versions import canonical_name

if TYPE_CHECKING:
    from collections.abc import Sequence

    from dlenv.compat.check import CheckReport
    from dlenv.compat.sources.model import RequirementInput, SkippedLine
    from dlenv.host.model import HostFacts
    from dlenv.index.config import IndexConfig
    from dlenv.matrix.model import Matrix


@record
class Reading:
    inputs: tuple[RequirementInput, ...]
    """What is judged: the lines that apply to the target, ranges replaced by the resolver's pins."""
    skipped: tuple[SkippedLine, ...] = ()
    resolver: str | None = None
    """The resolver that chose the versions of ranges ('uv 0.13.8'), if one ran and answered."""
    resolve_problem: str | None = None
    """Why ranges were not resolved, when they were not."""
    unresolved: tuple[str, ...] = ()
    """Origins of the ranges judged without the resolver's answer."""


def _judged(matrix: Matrix, name: str) -> bool:
    return matrix.framework_for_package(name) is not None or matrix.companion_owner(name) is not None


def read_for_target(
    requirements: Sequence[RequirementInput],
    constraints: Sequence[RequirementInput],
    skipped: Sequence[SkippedLine],
    host: HostFacts,
    matrix: Matrix,
    *,
    resolve: bool | None,
    index: IndexConfig | None = None,
) -> Reading:
    """`resolve` None: resolve when some line the matrix judges is a range and uv is there. Conda packages are never
    sent to uv (conda installs them, with its own solver): their ranges are judged unresolved."""
    target = for_target(apply_constraints(requirements, constraints), host)
    kept = list(target.kept)
    every_skip = (*skipped, *target.skipped)
    ranges = [r for r in kept if r.is_range and _judged(matrix, r.name)]
    conda = [_where(r) for r in ranges if r.conda]
    conda_why = "conda packages are judged without conda's solver" if conda else None
    pip_ranges = [r for r in ranges if not r.conda]
    pip_lines = [r for r in kept if not r.conda]
    # asked for (--resolve), a set of pins is resolved too: its members may pull in frameworks it does not name
    if not pip_lines or resolve is False or (resolve is None and (not pip_ranges or find_uv() is None)):
        why = "--no-resolve" if resolve is False else "no resolver (uv) is installed"
        problem = "; ".join(p for p in (why if pip_ranges else None, conda_why) if p) or None
        return Reading(tuple(kept), every_skip, None, problem, tuple(_where(r) for r in ranges))
    if index is None:
        from dlenv.index.config import current_index_config

        index = current_index_config()
    resolution = resolve_for_target(pip_lines, host, index)
    if not resolution.ok:
        problem = "; ".join(p for p in (f"{resolution.resolver}: {resolution.problem}", conda_why) if p)
        return Reading(tuple(kept), every_skip, None, problem, tuple(_where(r) for r in ranges))
    judged = {name for name in resolution.pins if _judged(matrix, name)}
    pip = apply_resolution(pip_lines, resolution, judged)
    return Reading((*pip, *(r for r in kept if r.conda)), every_skip, resolution.resolver, conda_why, tuple(conda))


def _where(requirement: RequirementInput) -> str:
    return f"{requirement.origin}: {requirement.text}"


def mark_unresolved(report: CheckReport, reading: Reading) -> CheckReport:
    """A range judged without the resolver is judged as 'some release in it works', not as what the installer
    picks: a warning on each such result, so --strict fails."""
    if not reading.unresolved:
        return report
    unresolved = set(reading.unresolved)
    results = []
    for result in report.results:
        key = f"{result.requirement.origin}: {result.requirement.text}"
        if key in unresolved and result.subject is not None:
            finding = Finding(
                "range_unresolved",
                Severity.WARNING,
                f"unverified: {result.requirement.text} is a range that was not resolved for the target "
                f"({reading.resolve_problem}); the build judged is the best in the range, which may not be what "
                "the installer picks.",
                (
                    "pin the exact version and build (name=X.Y.Z=build)"
                    if result.requirement.conda
                    else "install uv (pip install uv) and pass --resolve, or pin the version"
                )
                + "; --strict fails on this",
                canonical_name(result.requirement.name),
            )
            results.append(replace(result, findings=(*result.findings, finding)))
            continue
        results.append(result)
    return replace(report, results=tuple(results))
