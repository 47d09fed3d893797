"""From what a file asks for to what the installer installs on the target: markers evaluated for the target,
constraints applied, the build an index or a direct wheel selects, and companions judged against their framework."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from packaging.markers import InvalidMarker, UndefinedComparison, UndefinedEnvironmentName
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.tags import Tag, compatible_tags, cpython_tags, mac_platforms
from packaging.version import InvalidVersion, Version

from dlenv.compat.sources.model import SkippedLine
from dlenv.host.model import Finding, Severity
from dlenv.records import record, replace
from dlenv.versions import canonical_name

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from dlenv.compat.candidate import Candidate, RuleContext
    from dlenv.compat.sources.model import RequirementInput
    from dlenv.host.model import HostFacts
    from dlenv.provision.stack import Stack


def marker_environment(host: HostFacts) -> dict[str, str] | None:
    """PEP 508 marker values of the target interpreter; None when the target's Python is not known."""
    from dlenv.provision.closure import marker_environment as for_stack

    python = host.platform.python_version
    if not python:
        return None

    @record
    class _Target:  # the three facts marker_environment reads of a Stack
        system: str
        arch: str
        python: str

    target = _Target(host.platform.system, host.platform.arch, ".".join(python.split(".")[:2]))
    environment = for_stack(cast("Stack", target))  # the Stack is only read for these three
    if python.count(".") >= 2:
        environment["python_full_version"] = environment["implementation_version"] = python
    return environment


@record
class TargetInputs:
    kept: tuple[RequirementInput, ...]
    skipped: tuple[SkippedLine, ...]


def for_target(inputs: Iterable[RequirementInput], host: HostFacts) -> TargetInputs:
    """Drop the lines whose marker is false for the target, as pip would on it. With the target's Python unknown,
    markers that need it are kept (and say so)."""
    environment = marker_environment(host)
    kept, skipped = [], []
    for line in inputs:
        requirement = _choose_index(line, environment) if line.index_choices and environment is not None else line
        marker = requirement.requirement.marker
        if marker is None:
            kept.append(requirement)
            continue
        if environment is None:
            kept.append(requirement.with_note(f"marker '{marker}' not evaluated: the target's Python is unknown"))
            continue
        try:
            applies = marker.evaluate({**environment, "extra": ""})
        except (InvalidMarker, UndefinedComparison, UndefinedEnvironmentName) as error:
            kept.append(requirement.with_note(f"marker '{marker}' could not be evaluated: {error}"))
            continue
        if applies:
            kept.append(requirement)
        else:
            skipped.append(
                SkippedLine(requirement.origin, requirement.text, f"marker '{marker}' is false for the target")
            )
    return TargetInputs(tuple(kept), tuple(skipped))


def _choose_index(requirement: RequirementInput, environment: Mapping[str, str]) -> RequirementInput:
    from packaging.markers import Marker

    for url, marker in requirement.index_choices:
        try:
            applies = Marker(marker).evaluate({**environment, "extra": ""})
        except (InvalidMarker, UndefinedComparison, UndefinedEnvironmentName):
            continue
        if applies:
            return replace(requirement, index_url=url).with_note(f"index {url} (its source's marker {marker} holds)")
    return requirement


def apply_constraints(
    requirements: Sequence[RequirementInput], constraints: Sequence[RequirementInput]
) -> list[RequirementInput]:
    """pip's -c: a constraint narrows the requirement of the same name (it installs nothing by itself)."""
    by_name: dict[str, list[RequirementInput]] = {}
    for constraint in constraints:
        by_name.setdefault(canonical_name(constraint.name), []).append(constraint)
    found = []
    for requirement in requirements:
        narrowed = requirement
        for constraint in by_name.get(canonical_name(requirement.name), ()):
            narrowed = _narrow(narrowed, constraint)
        found.append(narrowed)
    return found


def _narrow(requirement: RequirementInput, constraint: RequirementInput) -> RequirementInput:
    note = f"narrowed by the constraint {constraint.text!r} ({constraint.origin})"
    if constraint.url is not None and requirement.url is None:
        extras = requirement.requirement.extras
        pinned = Requirement(str(constraint.requirement))
        pinned.extras = set(extras)
        pinned.marker = requirement.requirement.marker
        return replace(requirement, requirement=pinned, url=constraint.url, wheel_tags=constraint.wheel_tags).with_note(
            note
        )
    combined = Requirement(str(requirement.requirement))
    combined.specifier = combined.specifier & constraint.requirement.specifier
    return replace(requirement, requirement=combined).with_note(note)


def _same_index(left: str, right: str) -> bool:
    return left.rstrip("/") == right.rstrip("/")


def select_builds(requirement: RequirementInput, candidates: list[Candidate]) -> list[Candidate]:
    """The builds, of those the line's version allows, the installer can get for this line.

    --index-url X (or a uv source index) serves only the builds whose index is X, when the matrix knows X as a
    build's index; an unknown X is taken as a mirror of the default index. --extra-index-url X adds X's builds, and
    pip prefers them: their local tag (+cu118) sorts after the untagged release of the default index. A CUDA pin
    of the environment (conda's cuda-version) keeps the builds for that CUDA."""
    selected = candidates
    if requirement.index_url is not None:
        served = [c for c in selected if c.build.index_url and _same_index(c.build.index_url, requirement.index_url)]
        if served:
            selected = served
    elif requirement.extra_index_urls:
        extra = [
            c
            for c in selected
            if c.build.index_url and any(_same_index(c.build.index_url, url) for url in requirement.extra_index_urls)
        ]
        if extra and requirement.exact_version is not None and "+" not in requirement.exact_version:
            selected = extra
    if requirement.cuda is not None:
        spec = SpecifierSet(requirement.cuda)
        selected = [c for c in selected if _cuda_allowed(spec, c)]
    if requirement.accelerator is not None:
        selected = [c for c in selected if c.build.accelerator == requirement.accelerator]
    return selected


def _cuda_allowed(spec: SpecifierSet, candidate: Candidate) -> bool:
    """Can `candidate` be the build of an environment whose CUDA is pinned to `spec` (conda's cuda-version)? A build
    made for a range of CUDA minors (cupy-cuda12x, cudf-cu12) fits when the pin allows one of them."""
    if candidate.build.accelerator != "cuda":
        return False
    from dlenv.versions import parse_cuda

    built = parse_cuda(candidate.build.cuda) if candidate.build.cuda else None
    cuda_range = candidate.build.cuda_range
    if cuda_range is None and built is not None and built.minor is not None:
        return spec.contains(f"{built.major}.{built.minor}", prereleases=True)
    low = parse_cuda(cuda_range.min) if cuda_range is not None else None
    high = parse_cuda(cuda_range.max) if cuda_range is not None and cuda_range.max else None
    named = low or built or parse_cuda(candidate.build.build)
    if named is None:
        return False
    major = named.major
    first = (low.minor or 0) if low is not None else 0
    last = high.minor if high is not None and high.minor is not None else 99
    return any(spec.contains(f"{major}.{minor}", prereleases=True) for minor in range(first, last + 1))


def _target_tags(host: HostFacts) -> set[Tag] | None:
    python = host.platform.python_version
    if not python:
        return None
    major, minor = (int(part) for part in python.split(".")[:2])
    arch, system = host.platform.arch, host.platform.system
    if system == "linux":
        glibc_minor = int(host.platform.glibc.split(".")[1]) if host.platform.glibc else 40
        legacy = {17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"}
        platforms = [f"manylinux_2_{m}_{arch}" for m in range(glibc_minor, 4, -1)]
        platforms += [f"{legacy[m]}_{arch}" for m in legacy if m <= glibc_minor] + [f"linux_{arch}"]
    elif system == "windows":
        platforms = ["win_amd64" if arch == "x86_64" else "win_arm64"]
    else:
        platforms = list(mac_platforms((15, 0), "arm64" if arch in ("aarch64", "arm64") else arch))
    tags = set(cpython_tags((major, minor), platforms=platforms))
    tags |= set(compatible_tags((major, minor), f"cp{major}{minor}", platforms=platforms))
    return tags


def input_findings(ctx: RuleContext, requirement: RequirementInput) -> tuple[Finding, ...]:
    """What the line itself decides beyond its version: a wheel that does not install on the target, a build from
    source the matrix cannot judge."""
    package = requirement.name
    if requirement.wheel_tags is not None:
        tags = _target_tags(ctx.host)
        if tags is None:
            return (
                Finding(
                    "wheel_tags_unverified",
                    Severity.WARNING,
                    f"unverified: the target's Python is unknown, so whether {package}'s wheel "
                    f"({', '.join(sorted(str(t) for t in requirement.wheel_tags))}) installs there was not checked.",
                    "pass --python; --strict fails on this",
                    package,
                ),
            )
        if not requirement.wheel_tags & tags:
            python = ctx.host.platform.python_version
            return (
                Finding(
                    "wheel_not_installable",
                    Severity.ERROR,
                    f"the wheel named for {package} ({', '.join(sorted(str(t) for t in requirement.wheel_tags))}) "
                    f"does not install on the target (Python {python}, {ctx.platform_key}): pip refuses it.",
                    "point at the wheel built for the target's Python and platform",
                    package,
                ),
            )
        return ()
    if requirement.url is not None:
        return (
            Finding(
                "built_from_source",
                Severity.WARNING,
                f"unverified: {package} comes from {requirement.url}, built from source on install; the matrix "
                "judges only published builds, so the build it makes was not checked.",
                "pin a published build, or check the built package with `dlenv check --installed`; --strict fails "
                "on this",
                package,
            ),
        )
    return ()


def companion_of(primary: Candidate, name: str) -> str | None:
    """The release of companion `name` made for `primary`'s release (torch 2.6.0 -> torchvision 0.21.0)."""
    wanted = canonical_name(name)
    return next((v for c, v in primary.release.companions.items() if canonical_name(c) == wanted), None)


def companion_candidate(primary: Candidate, requirement: RequirementInput, version: str) -> Candidate:
    """The companion as a candidate of its framework's build: torchvision 0.21.0 from torch's cu124 build and
    index, installed with the extras it was asked with."""
    release = replace(primary.release, version=version, companions={})
    extra = ",".join(sorted(requirement.requirement.extras)) or None
    return replace(primary, package=canonical_name(requirement.name), release=release, extra=extra)


def companion_finding(
    primary: Candidate, requirement: RequirementInput, expected: str, platform_key: str = ""
) -> Finding | None:
    """An error when the line cannot be the companion release made for `primary` (or names another build)."""
    spec = requirement.requirement.specifier
    exact = requirement.exact_version
    tag = exact.partition("+")[2] if exact else ""
    release_ok = spec.contains(expected, prereleases=True) or (
        exact is not None and _public(exact) == _public(expected)
    )
    build_ok = not tag or not primary.local_tag or tag == primary.build.build
    if release_ok and build_ok:
        return None
    companion = companion_candidate(primary, requirement, expected)
    install = companion.install_line(platform_key) if platform_key else f"pip install '{companion.label}'"
    why = (
        f"its release made for {primary.label} is {expected}"
        if not release_ok
        else f"{requirement.text} is the +{tag} build; {primary.label} is +{primary.build.build}"
    )
    return Finding(
        "companion_mismatch",
        Severity.ERROR,
        f"{requirement.text} does not belong with {primary.label}: {why}. Mismatched pairs fail at import "
        "(undefined symbols, operators that do not register).",
        f"pin the release made for it: {install}",
        canonical_name(requirement.name),
    )


def _public(version: str) -> str:
    try:
        return Version(version).public
    except InvalidVersion:
        return version


def companion_allows(primary: Candidate, companions: Mapping[str, RequirementInput]) -> bool:
    """Does `primary`'s release have, for every companion asked for, a release the companion's line allows?"""
    for name, requirement in companions.items():
        expected = companion_of(primary, name)
        if expected is None or companion_finding(primary, requirement, expected) is not None:
            return False
    return True
