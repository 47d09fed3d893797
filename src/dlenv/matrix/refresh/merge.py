"""The pure half of the refresh: (current document, index facts, policy, today) -> new document + change summary.

Nothing here reads the index or a file. Index facts arrive summarised per release (ReleaseFacts); the two facts that
cost a request per release — the CUDA stack a wheel's metadata pins and the companion release that pins this one —
arrive in IndexFacts.stacks and IndexFacts.companions. When the merge needs one that is not there it records it in
MergeResult.wanted and leaves that part alone; the caller reads what is wanted and merges again
(dlenv.matrix.refresh.run), so the index is asked exactly what the current document needs.

What the merge writes:

* a release in scope on the index but not in the file gets a release row (and a default build row where the index
  facts suffice: RefreshPolicy.default_build), citing index:PROJECT/VERSION[/FILE];
* existing rows get their index-derived fields updated (released, python, yanked, companions; glibc, cuda, cudnn,
  nccl of the default Linux build); curated fields (sass, ptx, index_url, notes, other builds...) are never removed.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from packaging.version import InvalidVersion, Version

from dlenv.records import field, record

if TYPE_CHECKING:
    import datetime
    from collections.abc import Mapping

    from dlenv.index.wheels import CudaStack
    from dlenv.matrix.model import RefreshPolicy

LINUX = "linux-x86_64"


@record
class WheelFacts:
    """The Linux x86_64 wheel a default build row cites (its metadata gives the CUDA stack)."""

    filename: str
    version: str  # the wheel's own version, local tag included (2.9.1+cu128)
    glibc: str | None


@record
class ReleaseFacts:
    """What the index says about one release, already reduced by the policy's projects."""

    text: str  # as the matrix writes it: 2.9.1, or 24.08 for a release series
    first_upload: datetime.date | None  # of the release projects' files: what the scope's `since` reads
    released: datetime.date | None  # of the dating projects' files: the row's `released`
    pythons: tuple[str, ...] = ()  # empty: not derivable (no wheels, or a stable-ABI wheel)
    yanked: bool = False  # every file of the release projects is yanked
    citation: str = ""  # index:PROJECT/VERSION of the release projects
    released_citation: str = ""
    python_citation: str = ""
    build_wheel: WheelFacts | None = None  # the newest Linux x86_64 wheel of the policy's build package

    @property
    def version(self) -> Version:
        return Version(self.text)


@record
class IndexFacts:
    """Every release with files of the release projects, plus the per-wheel and per-companion details read so far."""

    releases: tuple[ReleaseFacts, ...]
    stacks: Mapping[str, CudaStack] = field(default_factory=dict)  # wheel file name -> what its metadata pins
    companions: Mapping[tuple[str, str], str | None] = field(default_factory=dict)  # (project, release) -> version

    def release(self, version: Version) -> ReleaseFacts | None:
        return next((release for release in self.releases if release.version == version), None)


@record(frozen=False)
class Wanted:
    """Details the merge needed and IndexFacts did not hold: read them, then merge again."""

    wheels: list[tuple[str, WheelFacts]] = field(default_factory=list)  # (label for the log, wheel)
    companions: list[tuple[str, str]] = field(default_factory=list)  # (companion project, release text)

    def __bool__(self) -> bool:
        return bool(self.wheels or self.companions)


@record(frozen=False)
class Coverage:
    missing: list[str] = field(default_factory=list)  # in scope on the index, not yanked, absent from the file
    not_on_index: list[str] = field(default_factory=list)  # in the file, absent from the index


@record(frozen=False)
class Changes:
    """The change summary of one merge."""

    added: list[str] = field(default_factory=list)
    added_builds: list[str] = field(default_factory=list)
    needs_curation: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)  # every change, one line each ("pytorch 2.9.1: new release")


@record(frozen=False)
class MergeResult:
    document: dict[str, Any]
    coverage: Coverage
    changes: Changes = field(default_factory=Changes)
    wanted: Wanted = field(default_factory=Wanted)


# ---------------------------------------------------------------------------------------------------- coverage


def in_scope(facts: IndexFacts, policy: RefreshPolicy) -> list[ReleaseFacts]:
    """The index releases the file must cover, yanked ones included (their rows get yanked: true), oldest first."""
    chosen = [release for release in facts.releases if policy.scope.covers(release.version, release.first_upload)]
    return sorted(chosen, key=lambda release: release.version)


def coverage(document: Mapping[str, Any], facts: IndexFacts, policy: RefreshPolicy) -> Coverage:
    """Releases missing from the file, and the file's releases the index does not have."""
    rows = list(document.get("releases", []))
    found = Coverage()
    for listed in rows:
        try:
            version = Version(str(listed.get("version")))
        except InvalidVersion:
            continue
        if facts.release(Version(version.public)) is None:
            found.not_on_index.append(str(listed.get("version")))
    found.missing = [
        release.text
        for release in in_scope(facts, policy)
        if not release.yanked and _find_row(rows, "version", release.version) is None
    ]
    return found


# ---------------------------------------------------------------------------------------------------- merge


def merge(document: Mapping[str, Any], facts: IndexFacts, policy: RefreshPolicy, today: datetime.date) -> MergeResult:
    """The refreshed copy of `document` (the argument is not changed), what changed, and what was wanted."""
    doc = copy.deepcopy(dict(document))
    releases: list[dict[str, Any]] = doc.setdefault("releases", [])
    builds: list[dict[str, Any]] = doc.setdefault("builds", [])
    result = MergeResult(doc, coverage(doc, facts, policy))
    for release in in_scope(facts, policy):
        label = f"{doc.get('subject')} {release.text}"
        row = _release_row(releases, release, result, label)
        if row is None:
            continue
        if release.yanked or "yanked" in row:
            _set(row, "yanked", release.yanked, result.changes.updated, label)
        _merge_companions(row, release, policy, facts, result, label)
        _merge_default_build(builds, release, policy, facts, result, label)
    if result.changes.updated:
        doc["matrix_version"] = today.strftime("%Y.%m.%d")
    return result


def _release_row(
    rows: list[dict[str, Any]], release: ReleaseFacts, result: MergeResult, label: str
) -> dict[str, Any] | None:
    """The release's row, updated or added; None where the release gets no row (yanked, or curation needed)."""
    row = _find_row(rows, "version", release.version)
    if row is not None:
        _update_release(row, release, result.changes.updated, label)
        return row
    if release.text not in result.coverage.missing:
        return None  # yanked everywhere: not required, not added
    if not release.pythons:
        result.changes.needs_curation.append(f"{release.text}: Python list not derivable from wheel tags; not added")
        return None
    row = {"version": release.text, "python": list(release.pythons), "source": [release.citation]}
    if release.released is not None:
        row["released"] = release.released.isoformat()
    for extra in (release.released_citation, release.python_citation):
        _cite(row, extra)
    _insert_sorted(rows, "version", row)
    result.changes.added.append(release.text)
    result.changes.updated.append(f"{label}: new release")
    return row


def _update_release(row: dict[str, Any], release: ReleaseFacts, changes: list[str], label: str) -> None:
    if release.released is not None and row.get("released") != release.released.isoformat():
        _set(row, "released", release.released.isoformat(), changes, label)
        _cite(row, release.released_citation)
    if release.pythons and set(release.pythons) != set(row.get("python", [])):
        _set(row, "python", list(release.pythons), changes, label)
        _cite(row, release.python_citation)


def _merge_companions(
    row: dict[str, Any],
    release: ReleaseFacts,
    policy: RefreshPolicy,
    facts: IndexFacts,
    result: MergeResult,
    label: str,
) -> None:
    """Fill the companions a row lacks (one already there is curated and kept)."""
    for project in policy.companions:
        if row.setdefault("companions", {}).get(project) is not None:
            continue
        key = (project, release.text)
        if key not in facts.companions:
            result.wanted.companions.append(key)
            continue
        found = facts.companions[key]
        if found is not None:
            row["companions"][project] = found
            result.changes.updated.append(f"{label}: companion {project} {found}")
            _cite(row, f"index:{project}/{found}")
    if not row.get("companions"):
        row.pop("companions", None)


def _merge_default_build(
    builds: list[dict[str, Any]],
    release: ReleaseFacts,
    policy: RefreshPolicy,
    facts: IndexFacts,
    result: MergeResult,
    label: str,
) -> None:
    """Update the default Linux build row of the build package from its wheel, or add one where policy allows."""
    existing = _default_linux_builds(builds, release.version, policy.build_package)
    has_any_build = any(_same_version(build.get("release"), release.version) for build in builds)
    if existing and len(existing[0].get("platforms", [])) != 1:
        return  # a row spanning several platforms: its glibc and CUDA facts are curated
    if not existing and (has_any_build or policy.default_build is None):
        if not has_any_build:
            result.changes.needs_curation.append(f"{release.text}: no build rows (index facts do not suffice)")
        return
    wheel = release.build_wheel
    if wheel is None:
        return
    stack = facts.stacks.get(wheel.filename)
    if stack is None:
        result.wanted.wheels.append((label, wheel))
        return
    citation = f"index:{policy.build_package}/{wheel.version}/{wheel.filename}"
    if existing:
        _update_build(existing[0], wheel, stack, citation, result.changes.updated, label)
    else:
        _add_build(builds, release, policy.build_package, wheel, stack, citation, result.changes, label)


def _default_linux_builds(builds: list[dict[str, Any]], version: Version, package: str) -> list[dict[str, Any]]:
    return [
        build
        for build in builds
        if _same_version(build.get("release"), version)
        and package in build.get("packages", [])
        and LINUX in build.get("default_on", [])
    ]


def _update_build(
    build: dict[str, Any], wheel: WheelFacts, stack: CudaStack, citation: str, changes: list[str], label: str
) -> None:
    before = len(changes)
    build_label = f"{label} build {build.get('build')}"
    if wheel.glibc is not None and LINUX in build.get("platforms", []):
        _set(build, "glibc", wheel.glibc, changes, build_label)
    for key in ("cuda", "cudnn", "nccl"):
        value = getattr(stack, key)
        if value is not None:
            _set(build, key, value, changes, build_label)
    if len(changes) > before:
        _cite(build, citation)


def _add_build(
    builds: list[dict[str, Any]],
    release: ReleaseFacts,
    package: str,
    wheel: WheelFacts,
    stack: CudaStack,
    citation: str,
    changes: Changes,
    label: str,
) -> None:
    if stack.cuda is None:
        changes.needs_curation.append(f"{release.text}: default Linux build pins no CUDA runtime")
        return
    row: dict[str, Any] = {
        "release": release.text,
        "build": default_build_id(builds, package, stack.cuda),
        "packages": [package],
        "accelerator": "cuda",
        "cuda": stack.cuda,
        "platforms": [LINUX],
        "default_on": [LINUX],
        "source": [citation],
    }
    for key in ("cudnn", "nccl"):
        if getattr(stack, key) is not None:
            row[key] = getattr(stack, key)
    if wheel.glibc is not None:
        row["glibc"] = wheel.glibc
    _insert_sorted(builds, "release", row)
    changes.added_builds.append(f"{release.text}/{row['build']}")
    changes.updated.append(f"{label}: new build {row['build']}")


def default_build_id(builds: list[dict[str, Any]], package: str, cuda: str) -> str:
    """The build id for a new default Linux build, following the file's existing convention.

    When every existing default Linux build of `package` uses one id (for example `default`), reuse it; otherwise
    use the local-tag style of the package's own extra indexes (cu128 for CUDA 12.8).
    """
    ids = {
        str(build.get("build"))
        for build in builds
        if package in build.get("packages", []) and LINUX in build.get("default_on", [])
    }
    if len(ids) == 1:
        only = next(iter(ids))
        if not only.startswith("cu"):
            return only
    return "cu" + cuda.replace(".", "")


# ---------------------------------------------------------------------------------------------------- row helpers


def _same_version(value: object, version: Version) -> bool:
    try:
        return Version(str(value)) == version
    except InvalidVersion:
        return False


def _find_row(rows: list[dict[str, Any]], key: str, version: Version) -> dict[str, Any] | None:
    return next((row for row in rows if _same_version(row.get(key), version)), None)


def _insert_sorted(rows: list[dict[str, Any]], key: str, row: dict[str, Any]) -> None:
    """Insert after the last row whose version is at or below the new row's (rows stay where authors put them)."""
    version = Version(str(row[key]))
    position = 0
    for index, existing in enumerate(rows):
        try:
            if Version(str(existing.get(key))) <= version:
                position = index + 1
        except InvalidVersion:
            continue
    rows.insert(position, row)


def _cite(row: dict[str, Any], citation: str) -> None:
    sources = row.setdefault("source", [])
    project = citation.split("/", 1)[0]
    if not any(str(source).startswith(project + "/") for source in sources):
        sources.append(citation)


def _set(row: dict[str, Any], key: str, value: Any, changes: list[str], label: str) -> None:
    if row.get(key) != value:
        changes.append(f"{label}: {key} {row.get(key)!r} -> {value!r}")
        row[key] = value
