"""`dlenv check`: each requirement against a host — the build it means, the problems, and what to pin instead.

Meaning of a requirement: `torch==2.4.1+cu121` is that build; `torch==2.4.1` is the build a plain pip install gets
from the default index on the host's platform; a range is compatible when some release and build in it works,
and the report names the best one.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from dlenv.compat.candidate import Candidate, RuleContext
from dlenv.compat.coinstall import coinstall_findings
from dlenv.compat.cuda_facts import CudaFacts
from dlenv.compat.evaluate import Evaluation, best, evaluate, rank
from dlenv.compat.sources import hooks as input_hooks
from dlenv.errors import verdict_exit_code
from dlenv.host.model import Finding, Severity, has_errors, has_warnings
from dlenv.records import record, replace
from dlenv.versions import canonical_name, parse_version, sortable_version

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable, Sequence

    from dlenv.compat.requirements import RequirementInput
    from dlenv.host.model import HostFacts
    from dlenv.matrix.model import Framework, Matrix

ALTERNATIVES = 3


_REQUIREMENT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


@record
class RequirementResult:
    requirement: RequirementInput
    subject: str | None
    evaluation: Evaluation | None
    findings: tuple[Finding, ...]
    alternatives: tuple[Evaluation, ...] = ()

    @property
    def status(self) -> str:
        if self.subject is None:
            return "unknown"
        if has_errors(self.findings):
            return "incompatible"
        if has_warnings(self.findings):
            return "warning"
        return "ok"

    @property
    def compatible(self) -> bool:
        return self.status != "incompatible"


@record
class CheckReport:
    host: HostFacts
    matrix_version: str | None
    results: tuple[RequirementResult, ...]
    conflicts: tuple[Finding, ...]

    @property
    def compatible(self) -> bool:
        return all(result.compatible for result in self.results) and not has_errors(self.conflicts)

    @property
    def has_warnings(self) -> bool:
        findings = [f for result in self.results for f in result.findings] + list(self.conflicts)
        return has_warnings(findings)

    def exit_code(self, *, strict: bool = False) -> int:
        """0 compatible, 1 incompatible (or, with strict, compatible with warnings)."""
        return verdict_exit_code(self.compatible, self.has_warnings, strict=strict)


def candidates_for(framework: Framework, package: str, extras: Collection[str] = ()) -> list[Candidate]:
    """Every (release, build) of `framework` that installs `package`: the builds that are `package`, and the builds
    an extra of it pulls in (`jax[cuda12]` installs the jax-cuda12-plugin build). With `extras` named, the builds
    those extras pull in, if any do."""
    # extras compare normalised, as names do (PEP 685): jax[cuda12_pip] is the extra the metadata spells cuda12-pip
    extras = {canonical_name(extra) for extra in extras}
    direct, through_extras = [], []
    for release in framework.releases:
        builds = framework.builds_of(release.version)
        # Only a CPU front package (jax, whose extras add the CUDA plugin) reaches builds through extras; a GPU
        # package such as jax-cuda12-plugin is its build.
        front = any(package in build.packages and build.accelerator == "cpu" for build in builds)
        for build in builds:
            if package in build.packages:
                direct.append(Candidate(framework.subject, package, release, build, family=framework.family))
                continue
            if not front:
                continue
            # The extra named like the build (jax[cuda12] for the cuda12 build) before its aliases (jax[cuda]).
            named = sorted(build.extras.items(), key=lambda item: (item[0] != build.build, item[0]))
            pulling = [name for name, pins in named if _names_any(pins, build.packages)]
            if extras:
                through_extras += [
                    Candidate(framework.subject, package, release, build, e, framework.family)
                    for e in pulling
                    if canonical_name(e) in extras
                ]
            elif pulling:
                # Unasked, take the extra that brings the CUDA libraries with it (jax[cuda12], not cuda12-local).
                candidates = [
                    Candidate(framework.subject, package, release, build, e, framework.family) for e in pulling
                ]
                through_extras.append(next((c for c in candidates if c.extra_brings_cuda), candidates[0]))
    if extras:
        return through_extras or direct
    return direct + through_extras


def _names_any(requirements: Iterable[str], packages: Iterable[str]) -> bool:
    wanted = {canonical_name(package) for package in packages}
    names = (match.group() for requirement in requirements if (match := _REQUIREMENT_NAME.match(requirement)))
    return any(canonical_name(name) in wanted for name in names)


def matches_requirement(requirement: RequirementInput, candidate: Candidate) -> bool:
    version = candidate.release.version
    if candidate.local_tag:
        version = f"{version}+{candidate.build.build}"
    return requirement.requirement.specifier.contains(version, prereleases=True) or (
        # a pin without a local tag also matches 2.4.1+cu121 under PEP 440; other families have no tag
        requirement.requirement.specifier.contains(candidate.release.version, prereleases=True)
        and "+" not in str(requirement.requirement.specifier)
    )


def _nearest(framework: Framework, package: str, version: str) -> str:
    wanted = parse_version(version.split("+", maxsplit=1)[0])
    releases = sorted({c.release.version for c in candidates_for(framework, package)}, key=sortable_version)
    if wanted is None or not releases:
        return ", ".join(releases[-3:])
    below = [r for r in releases if sortable_version(r) < wanted][-2:]
    above = [r for r in releases if sortable_version(r) > wanted][:2]
    return ", ".join(below + above)


def _no_such_build(requirement: RequirementInput, framework: Framework, package: str) -> Finding:
    exact = requirement.exact_version
    if exact is not None:
        release, _, tag = exact.partition("+")
        candidates = [c for c in candidates_for(framework, package) if c.release.version == release]
        builds = sorted({c.build.build for c in candidates})
        if builds and tag:
            # a family that selects builds by name has no local tags: its pins name no build
            why = "" if any(c.local_tag for c in candidates) else f" ({package} names no build by a local tag)"
            return Finding(
                "no_such_build",
                Severity.ERROR,
                f"{package} {release} has no build {tag!r}{why}; its builds are {', '.join(builds)}.",
                f"pin one of: {', '.join(sorted({c.label for c in candidates}))}",
                package,
            )
    return Finding(
        "no_such_build",
        Severity.ERROR,
        f"No {package} release in the matrix matches {requirement.text!r}.",
        f"nearest releases: {_nearest(framework, package, exact or '')}",
        package,
    )


def _default_build(ctx: RuleContext, candidates: list[Candidate]) -> Candidate | None:
    """The build a plain pin installs: the only one, or the one the default index serves for this platform."""
    if len(candidates) == 1:
        return candidates[0]
    return next((c for c in candidates if ctx.platform_key in c.build.default_on), None)


def _alternatives(
    ctx: RuleContext, framework: Framework, package: str, failed: Evaluation | None
) -> tuple[Evaluation, ...]:
    evaluations = [evaluate(ctx, candidate) for candidate in candidates_for(framework, package)]
    working = [e for e in evaluations if e.compatible and e.candidate.build.accelerator not in ("rocm", "xpu")]
    same_release = failed.candidate.release.version if failed else None
    # A GPU build that works beats a CPU one on a GPU host; one without warnings beats one with; one whose GPU
    # coverage the matrix confirms beats one it could not check; then the smallest change (same release); then rank.
    working.sort(
        key=lambda e: (
            rank(ctx, e)[1],
            e.clean,
            not e.has("gpu_arch_unknown"),
            e.candidate.release.version == same_release,
            rank(ctx, e),
            e.candidate.build.build,
        ),
        reverse=True,
    )
    return tuple(working[:ALTERNATIVES])


def check_requirement(ctx: RuleContext, requirement: RequirementInput) -> RequirementResult:
    package = canonical_name(requirement.name)
    framework = ctx.matrix.framework_for_package(package)
    if framework is None:
        return RequirementResult(
            requirement,
            None,
            None,
            (
                Finding(
                    "not_in_matrix",
                    Severity.INFO,
                    f"{package} is not in the compatibility matrix; it was not checked.",
                    "add it with a matrix overlay (docs/matrix.md) if it has GPU builds",
                    package,
                ),
            ),
        )
    extras = requirement.requirement.extras
    matching = [c for c in candidates_for(framework, package, extras) if matches_requirement(requirement, c)]
    # input side (compat/sources/hooks.py): the builds the line's index, wheel or CUDA pin selects, its extras
    matching = input_hooks.with_extras(requirement, input_hooks.select_builds(requirement, matching))
    if not matching:
        finding = _no_such_build(requirement, framework, package)
        return RequirementResult(
            requirement, framework.subject, None, (finding,), _alternatives(ctx, framework, package, None)
        )
    exact = requirement.exact_version
    if exact is not None and "+" not in exact and len({c.release.version for c in matching}) == 1:
        chosen = _default_build(ctx, matching)
        if chosen is None:
            finding = Finding(
                "platform_unsupported",
                Severity.ERROR,
                f"{package}=={exact} has no build on the default index for {ctx.platform_key}.",
                "pin a build from its own index (see alternatives) or use another platform",
                package,
            )
            return RequirementResult(
                requirement, framework.subject, None, (finding,), _alternatives(ctx, framework, package, None)
            )
        evaluation = evaluate(ctx, chosen)
    else:
        applicable = [c for c in matching if c.build.accelerator not in ("rocm", "xpu") or "+" in (exact or "")]
        evaluation = best(ctx, [evaluate(ctx, c) for c in applicable]) or evaluate(ctx, matching[0])
    findings = (*evaluation.findings, *input_hooks.input_findings(ctx, requirement))
    if (unknown := _extras_unknown(framework, requirement, evaluation.candidate)) is not None:
        findings = (*findings, unknown)
    alternatives = () if evaluation.compatible else _alternatives(ctx, framework, package, evaluation)
    return RequirementResult(requirement, framework.subject, evaluation, findings, alternatives)


def _extras_unknown(framework: Framework, requirement: RequirementInput, candidate: Candidate) -> Finding | None:
    """Extras the matrix does not record for the release install something it could not judge (jax[cuda12_pip]
    pulls in a CUDA jaxlib): what pip installs for them is not what was evaluated."""
    known = {canonical_name(name) for build in framework.builds_of(candidate.release.version) for name in build.extras}
    unknown = sorted(e for e in requirement.requirement.extras if canonical_name(e) not in known)
    if not unknown:
        return None
    return Finding(
        "extra_unknown",
        Severity.WARNING,
        f"unverified: the matrix does not record what the extra {', '.join(repr(e) for e in unknown)} of "
        f"{candidate.package} {candidate.release.version} installs, so only {candidate.label} "
        f"({candidate.build.accelerator}) was judged, not what the extra adds.",
        "name the build's own package or a recorded extra, or add the extra with a matrix overlay; --strict fails "
        "on this",
        candidate.package,
    )


def cpu_build_on_gpu_host(
    ctx: RuleContext, evaluation: Evaluation, stack: Sequence[Candidate], requirement: RequirementInput
) -> Finding | None:
    """A CPU build chosen for a host with NVIDIA GPUs leaves them unused: say so, with why no CUDA build was taken.
    A CUDA build of the same framework elsewhere in the stack (jax beside its CUDA plugin) uses them."""
    candidate = evaluation.candidate
    if candidate.build.accelerator != "cpu" or not ctx.host.gpus:
        return None
    if any(other.subject == candidate.subject and other.build.accelerator == "cuda" for other in stack):
        return None
    framework = ctx.matrix.framework(candidate.subject)
    every_build = candidates_for(framework, candidate.package) if framework else []
    release = candidate.release.version
    on_platform = [
        c
        for c in every_build
        if c.release.version == release and c.build.accelerator == "cuda" and ctx.platform_key in c.build.platforms
    ]
    if not on_platform:
        why = f"{candidate.package} {release} publishes no CUDA build for {ctx.platform_key}"
    else:
        failing = [f for c in on_platform for f in evaluate(ctx, c).findings if f.severity is Severity.ERROR]
        why = (
            f"its CUDA builds do not run here ({failing[0].code}: {failing[0].message.rstrip('.')})"
            if failing
            else f"a CUDA build exists ({on_platform[0].label}) but was not asked for"
        )
    # Asked for by name (+cpu, or a package with no CUDA build at all such as tensorflow-cpu), a CPU build is a
    # choice; one that a GPU host merely fell to is the silent downgrade users report.
    chosen_by_name = "+cpu" in requirement.text or not any(c.build.accelerator == "cuda" for c in every_build)
    return Finding(
        "cpu_build_on_gpu_host",
        Severity.INFO if chosen_by_name else Severity.WARNING,
        f"{candidate.label} is a CPU build: the host's NVIDIA GPUs will not be used; {why}.",
        "choose a release with a CUDA build that runs here (dlenv resolve)"
        + ("" if chosen_by_name else ", or pin the CPU build by name (+cpu) to accept it; --strict fails on this"),
        candidate.package,
    )


def _meaning(requirement: RequirementInput) -> object | None:
    """What a line asks for, without where it was written; None where the input cannot be compared."""
    try:
        key = replace(requirement, text=str(requirement.requirement), origin="")
        hash(key)
    except TypeError:
        return None
    return key


def rule_context(host: HostFacts, matrix: Matrix, *, allow_forward_compat: bool = False) -> RuleContext:
    return RuleContext(host=host, matrix=matrix, cuda=CudaFacts(matrix), allow_forward_compat=allow_forward_compat)


def check(
    host: HostFacts,
    matrix: Matrix,
    requirements: Sequence[RequirementInput],
    *,
    allow_forward_compat: bool = False,
) -> CheckReport:
    ctx = rule_context(host, matrix, allow_forward_compat=allow_forward_compat)
    # identical lines (a pin repeated across files, a large lock) are judged once
    judged: dict[object, RequirementResult] = {}
    results = []
    for requirement in requirements:
        key = _meaning(requirement)
        if key is None:
            results.append(check_requirement(ctx, requirement))
            continue
        if key not in judged:
            judged[key] = check_requirement(ctx, requirement)
        results.append(replace(judged[key], requirement=requirement))
    results = input_hooks.companion_results(ctx, results)  # torchvision against its torch (compat/sources/hooks.py)
    chosen = [result.evaluation.candidate for result in results if result.evaluation is not None]
    for index, result in enumerate(results):
        if result.evaluation is not None:
            unused = cpu_build_on_gpu_host(ctx, result.evaluation, chosen, result.requirement)
            if unused is not None:
                results[index] = replace(result, findings=(*result.findings, unused))
    return CheckReport(host, matrix.matrix_version, tuple(results), tuple(coinstall_findings(chosen)))
