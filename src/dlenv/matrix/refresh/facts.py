"""The reading half of the refresh: index facts for one framework, through dlenv.index.

The index is the one pip is configured to use (dlenv.index.config), never a hard-coded host. `read_index` reads the
project pages the policy names; `summarise` reduces them to the per-release facts the merge works on; `read_wanted`
reads the metadata the merge asked for (a default build's CUDA stack, the companion release pinning a release).
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from packaging.utils import InvalidSdistFilename, parse_sdist_filename
from packaging.version import InvalidVersion, Version

from dlenv import records
from dlenv.index.simple import IndexAccessError, ProjectNotFoundError
from dlenv.index.wheels import (
    CudaStack,
    WheelInfo,
    cuda_stack,
    pinned_requirement,
    python_sort_key,
    requires_dist,
    try_parse_wheel,
)
from dlenv.matrix.refresh.merge import IndexFacts, ReleaseFacts, WheelFacts
from dlenv.records import field, record

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from typing import TextIO

    from dlenv.index.simple import IndexFile, SimpleClient
    from dlenv.matrix.model import RefreshPolicy
    from dlenv.matrix.refresh.merge import Wanted

# A companion release (torchvision) comes out with its primary (torch): it is looked for from a week before to two
# months after the primary's first upload, nearest first.
COMPANION_WINDOW_DAYS = (-7, 62)


@record(frozen=False)
class Release:
    """What the index says about one version of a framework, file by file."""

    version: Version
    text: str  # as the matrix writes it: 2.9.1, or 24.08 for a release series
    files: dict[str, list[tuple[IndexFile, WheelInfo | None]]] = field(default_factory=dict)
    versions: dict[str, set[Version]] = field(default_factory=dict)  # the index versions behind it, per project

    def citation(self, projects: Iterable[str]) -> str:
        """index:PROJECT/VERSION for the first project that has it (the earliest index version of a series)."""
        named = list(projects)
        project = next((p for p in named if self.versions.get(p)), None)
        if project is None:
            return f"index:{named[0]}/{self.text}" if named else f"index:{self.text}"
        return f"index:{project}/{min(self.versions[project])}"

    def project_files(self, projects: Iterable[str]) -> list[tuple[str, IndexFile, WheelInfo | None]]:
        return [(p, f, w) for p in projects for f, w in self.files.get(p, [])]

    def released(self, projects: Iterable[str]) -> datetime.date | None:
        """First upload (UTC date) of the release; for a series, of its first version (24.8.0, not 24.8.230607)."""
        files = self.project_files(projects)
        versions = {p: min(self.versions[p]) for p, _, _ in files if self.versions.get(p)}
        times = []
        for project, index_file, _ in files:
            parsed = file_version(index_file.filename)
            first = versions.get(project)
            if index_file.upload_time is None or (first is not None and parsed and parsed[0].public != first.public):
                continue
            times.append(index_file.upload_time)
        return min(times).astimezone(datetime.timezone.utc).date() if times else None

    def pythons(self, projects: Iterable[str]) -> list[str]:
        """CPython versions of the wheels' tags; empty where a stable-ABI wheel makes the list open-ended."""
        wheels = [w for _, _, w in self.project_files(projects) if w is not None]
        if any(w.abi3 for w in wheels):
            return []
        found = {py for w in wheels for py in w.pythons}
        return sorted((py for py in found if py.startswith("3.")), key=python_sort_key)

    def yanked(self, projects: Iterable[str]) -> bool:
        files = self.project_files(projects)
        return bool(files) and all(f.yanked for _, f, _ in files)

    def linux_wheel(self, project: str) -> tuple[IndexFile, WheelInfo] | None:
        """The Linux x86_64 wheel with the newest CPython tag (GIL build preferred), as the row's citation."""
        wheels = [
            (f, w)
            for f, w in self.files.get(project, [])
            if w is not None and "linux-x86_64" in w.platforms and w.pythons and not f.yanked
        ]
        if not wheels:
            return None

        def key(item: tuple[IndexFile, WheelInfo]) -> tuple[bool, tuple[int, int, bool]]:
            newest = max(item[1].pythons, key=python_sort_key)
            has_gil_build = any(not py.endswith("t") for py in item[1].pythons)
            return (has_gil_build, python_sort_key(newest.rstrip("t")))

        return max(wheels, key=key)


@record(frozen=False)
class IndexReading:
    """The project pages read for one framework: its releases, its companions' releases, the projects absent."""

    releases: dict[Version, Release]
    absent: list[str] = field(default_factory=list)
    companions: dict[str, dict[Version, Release]] = field(default_factory=dict)


def file_version(filename: str) -> tuple[Version, WheelInfo | None] | None:
    wheel = try_parse_wheel(filename)
    if wheel is not None:
        return wheel.version, wheel
    try:
        return parse_sdist_filename(filename)[1], None
    except (InvalidSdistFilename, InvalidVersion):
        return None


def read_projects(
    client: SimpleClient, projects: Sequence[str], log: TextIO, *, series: bool = False
) -> tuple[dict[Version, Release], list[str]]:
    """Releases keyed by public version (or by YY.MM series); also the projects the index does not have."""
    releases: dict[Version, Release] = {}
    absent: list[str] = []
    for number, project in enumerate(projects, 1):
        print(f"[{number}/{len(projects)}] reading {client.project_url(project)}", file=log)
        try:
            page = client.project(project)
        except ProjectNotFoundError:
            print(f"  {project}: not on this index", file=log)
            absent.append(project)
            continue
        for index_file in page.files:
            _add_file(releases, project, index_file, series=series)
    return releases, absent


def _add_file(releases: dict[Version, Release], project: str, index_file: IndexFile, *, series: bool) -> None:
    parsed = file_version(index_file.filename)
    if parsed is None:
        return
    version, wheel = parsed
    public = Version(version.public)
    text = str(public)
    if series:
        if version.is_prerelease or version.is_devrelease or len(version.release) < 2:
            return
        text = f"{version.release[0]:02d}.{version.release[1]:02d}"
        public = Version(text)
    release = releases.setdefault(public, Release(public, text))
    release.files.setdefault(project, []).append((index_file, wheel))
    release.versions.setdefault(project, set()).add(Version(version.public))


def projects_to_read(policy: RefreshPolicy, *, missing_only: bool) -> list[str]:
    """--missing reads the release projects only; a refresh also the Python, build and dating projects."""
    projects = list(policy.release_projects)
    if not missing_only:
        extra = (*policy.python_projects, *policy.build_projects, *policy.released_projects)
        projects += [project for project in extra if project not in projects]
    return projects


def read_index(client: SimpleClient, policy: RefreshPolicy, log: TextIO, *, missing_only: bool) -> IndexReading:
    """The project pages the policy names; IndexAccessError when the index has none of the release projects."""
    releases, absent = read_projects(
        client, projects_to_read(policy, missing_only=missing_only), log, series=policy.series
    )
    if all(project in absent for project in policy.release_projects):
        raise IndexAccessError(
            f"none of {', '.join(policy.release_projects)} is on this index",
            url=client.index_url,
            fix="point PIP_INDEX_URL (or --index-url) at an index that serves them",
        )
    reading = IndexReading(releases, absent)
    if not missing_only:
        for project in policy.companions:
            reading.companions[project], missing = read_projects(client, [project], log)
            reading.absent += missing
    return reading


def summarise(reading: IndexReading, policy: RefreshPolicy) -> IndexFacts:
    """The per-release facts the merge works on: every release with files of the release projects."""
    facts = []
    for release in reading.releases.values():
        if not release.project_files(policy.release_projects):
            continue
        wheel = release.linux_wheel(policy.build_package)
        facts.append(
            ReleaseFacts(
                text=release.text,
                first_upload=release.released(policy.release_projects),
                released=release.released(policy.dated_by),
                pythons=tuple(release.pythons(policy.python_projects)),
                yanked=release.yanked(policy.release_projects),
                citation=release.citation(policy.release_projects),
                released_citation=release.citation(policy.dated_by),
                python_citation=release.citation(policy.python_projects),
                build_wheel=WheelFacts(wheel[0].filename, str(wheel[1].version), wheel[1].glibc) if wheel else None,
            )
        )
    return IndexFacts(tuple(facts))


def read_wanted(
    client: SimpleClient,
    reading: IndexReading,
    policy: RefreshPolicy,
    facts: IndexFacts,
    wanted: Wanted,
    log: TextIO,
) -> IndexFacts:
    """`facts` with every detail in `wanted` read (None or an empty stack where the index does not say)."""
    stacks = dict(facts.stacks)
    for label, wheel in wanted.wheels:
        stacks[wheel.filename] = _wheel_stack(client, reading, policy, wheel, label, log)
    companions = dict(facts.companions)
    for project, text in wanted.companions:
        release = reading.releases[Version(text)]
        candidates = reading.companions.get(project, {})
        companions[(project, text)] = companion_for(client, candidates, project, policy.primary, release)
    return records.replace(facts, stacks=stacks, companions=companions)


def _wheel_stack(
    client: SimpleClient, reading: IndexReading, policy: RefreshPolicy, wheel: WheelFacts, label: str, log: TextIO
) -> CudaStack:
    """The CUDA libraries the wheel's Requires-Dist pins (empty where its metadata cannot be read)."""
    index_file = next(
        found
        for release in reading.releases.values()
        for found, _ in release.files.get(policy.build_package, [])
        if found.filename == wheel.filename
    )
    print(f"  {label}: reading {wheel.filename} metadata", file=log)
    metadata = client.fetch_metadata(index_file, range_fallback=True)
    return cuda_stack(requires_dist(metadata)) if metadata else CudaStack()


def companion_for(
    client: SimpleClient, candidates: dict[Version, Release], project: str, primary: str, release: Release
) -> str | None:
    """The companion release whose Linux wheel pins PRIMARY==release, among those uploaded near it, nearest first."""
    released = release.released([primary])
    if released is None:
        return None
    earliest, latest = COMPANION_WINDOW_DAYS
    window = []
    for candidate in candidates.values():
        if candidate.version.is_prerelease or candidate.version.is_devrelease:
            continue
        when = candidate.released([project])
        if when is not None and earliest <= (when - released).days <= latest:
            window.append((abs((when - released).days), candidate))
    for _, candidate in sorted(window, key=lambda item: (item[0], item[1].version)):
        if companion_pins(client, candidate, project, primary, release.version):
            return str(candidate.version)
    return None


def companion_pins(client: SimpleClient, companion: Release, project: str, primary: str, wanted: Version) -> bool:
    """Whether the companion release's Linux wheel pins PRIMARY==wanted (metadata read for that one wheel)."""
    wheel = companion.linux_wheel(project)
    if wheel is None:
        return False
    metadata = client.fetch_metadata(wheel[0], range_fallback=True)
    if metadata is None:
        return False
    pinned = pinned_requirement(requires_dist(metadata), primary)
    try:
        return pinned is not None and Version(str(pinned)) == wanted
    except InvalidVersion:
        return False
