#!/usr/bin/env python3
"""Refresh the index-derived facts of the framework matrix files from the package index pip is configured to use.

    python scripts/refresh_matrix.py [--subject NAME]... [--force] [--missing] [--index-url URL] [--matrices DIR]
                                     [--timeout S] [--retries N]

For each subject it reads the index projects named in PROJECTS and computes, per release: the release date (first
upload time), the Python versions (cpXY / cpXYt wheel tags), yanked state, and for the default-index Linux x86_64
build the glibc floor (manylinux tag) and the CUDA, cuDNN and NCCL versions its Requires-Dist pins. It then merges:

* a release on the index but not in the file gets a release row (and a default build row where the index facts
  suffice: see DefaultBuild), citing index:PROJECT/VERSION[/FILE];
* existing rows get their index-derived fields updated (released, python, yanked, companions; glibc, cuda, cudnn,
  nccl of the default Linux build); curated fields (sass, ptx, index_url, notes, other builds...) are never removed.

Which releases the matrix must cover is policy, kept in SCOPE (version floors, the three-year window). The index is
the one pip is configured to use (PIP_INDEX_URL, pip's config files, else pip's default), or --index-url.

It prints a unified diff per file (stdout) and a summary (stdout), progress on stderr, and writes only with --force,
atomically (temporary file + os.replace), refusing a merge that would break the JSON Schema. --missing only reads the
release projects' pages and reports releases on the index that the file lacks (and rows the index does not have).

Exit codes: 0 nothing to change (or written with --force; or --missing found nothing missing); 1 changes pending
without --force, or --missing found missing releases; 2 bad input (unreadable matrix file, bad flags, a merge that
would break the schema); 4 the index could not be read (network down, index failing: dlenv.index.EXIT_INDEX).
"""

from __future__ import annotations

import argparse
import datetime
import difflib
import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from packaging.utils import InvalidSdistFilename, parse_sdist_filename  # noqa: E402
from packaging.version import InvalidVersion, Version  # noqa: E402

from dlenv.errors import EXIT_BAD_INPUT, EXIT_OK, EXIT_PROBLEMS, DlenvError, InputError  # noqa: E402
from dlenv.index.config import find_index_config  # noqa: E402
from dlenv.index.simple import IndexAccessError, ProjectNotFoundError, SimpleClient  # noqa: E402
from dlenv.index.wheels import (  # noqa: E402
    CudaStack,
    WheelInfo,
    cuda_stack,
    pinned_requirement,
    python_sort_key,
    requires_dist,
    try_parse_wheel,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from dlenv.index.simple import IndexFile


# ---------------------------------------------------------------------------------------------------- what to read


@dataclass(frozen=True)
class DefaultBuild:
    """How to write the default-index Linux x86_64 build row of a new release from index facts alone.

    Only subjects whose default Linux wheel pins its CUDA runtime in Requires-Dist qualify; elsewhere (TensorFlow's
    build_info.py, CuPy's and RAPIDS' CUDA ranges, JAX plugins) the facts need a curator.
    """

    package: str


@dataclass(frozen=True)
class Subject:
    release_projects: tuple[str, ...]  # their versions are the subject's releases (what --missing checks)
    python_projects: tuple[str, ...]  # their wheel tags give a release's Python list (empty: curated, not touched)
    build_projects: tuple[str, ...] = ()  # read for per-build facts only
    companions: tuple[str, ...] = ()  # projects pinning PRIMARY==X in Requires-Dist (torchvision: torch==X)
    default_build: DefaultBuild | None = None
    # The matrix lists YY.MM release series, not patch releases: index versions 24.8.0 and 24.8.3 are release 24.08.
    series: bool = False
    released_projects: tuple[str, ...] = ()  # whose first upload dates a release (default: release_projects)

    @property
    def dated_by(self) -> tuple[str, ...]:
        return self.released_projects or self.release_projects


PROJECTS: dict[str, Subject] = {
    "pytorch": Subject(
        release_projects=("torch",),
        python_projects=("torch",),
        companions=("torchvision", "torchaudio"),
        default_build=DefaultBuild(package="torch"),
    ),
    "tensorflow": Subject(
        release_projects=("tensorflow",),
        python_projects=("tensorflow",),
        build_projects=("tensorflow-cpu", "tensorflow-gpu"),
    ),
    "jax": Subject(
        release_projects=("jax",),
        python_projects=("jaxlib",),
        build_projects=("jaxlib", "jax-cuda12-plugin", "jax-cuda13-plugin"),
    ),
    "cupy": Subject(
        release_projects=("cupy-cuda11x", "cupy-cuda12x", "cupy-cuda13x"),
        python_projects=("cupy-cuda11x", "cupy-cuda12x", "cupy-cuda13x"),
    ),
    # RAPIDS releases are read from cudf; the siblings (cuml-cuXX, cugraph-cuXX, rmm-cuXX, ...) share its
    # version and are listed in the build rows by curators. rapids.yaml dates a release by dask-cuda's first upload
    # and curates its Python lists (most wheels are cp311-abi3), so those are not taken from cudf.
    "rapids": Subject(
        release_projects=("cudf-cu11", "cudf-cu12", "cudf-cu13"),
        python_projects=(),
        series=True,
        released_projects=("dask-cuda",),
    ),
}


# ---------------------------------------------------------------------------------------------------- policy


@dataclass(frozen=True)
class Scope:
    """Which index releases the matrix must cover. Pre-releases and fully yanked releases are never required."""

    min_version: str | None = None  # releases at or above this version
    extra_series: tuple[str, ...] = ()  # plus every release of these series below min_version ("1.15": 1.15.x)
    since: datetime.date | None = None  # only releases first uploaded on or after this date


# The matrix's coverage policy, in one place: version floors, and a three-year window for fast-moving subjects.
SCOPE: dict[str, Scope] = {
    "pytorch": Scope(min_version="1.8"),
    "tensorflow": Scope(min_version="2.0", extra_series=("1.15",)),
    "jax": Scope(since=datetime.date(2023, 11, 1)),
    "cupy": Scope(since=datetime.date(2023, 11, 1)),
    "rapids": Scope(min_version="21.06"),
}


def in_scope(scope: Scope, version: Version, released: datetime.date | None) -> bool:
    if version.is_prerelease or version.is_devrelease:
        return False
    if scope.since is not None and (released is None or released < scope.since):
        return False
    if scope.min_version is not None and version < Version(scope.min_version):
        series = ".".join(str(part) for part in version.release[:2])
        return series in scope.extra_series
    return True


# ---------------------------------------------------------------------------------------------------- index facts


@dataclass
class Release:
    """What the index says about one version of a subject."""

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
            parsed = file_version(index_file.filename)
            if parsed is None:
                continue
            version, wheel = parsed
            public = Version(version.public)
            text = str(public)
            if series:
                if version.is_prerelease or version.is_devrelease or len(version.release) < 2:
                    continue
                text = f"{version.release[0]:02d}.{version.release[1]:02d}"
                public = Version(text)
            release = releases.setdefault(public, Release(public, text))
            release.files.setdefault(project, []).append((index_file, wheel))
            release.versions.setdefault(project, set()).add(Version(version.public))
    return releases, absent


# ---------------------------------------------------------------------------------------------------- merge


@dataclass
class Outcome:
    subject: str
    path: Path
    missing: list[str] = field(default_factory=list)  # in scope on the index, absent from the file
    not_on_index: list[str] = field(default_factory=list)  # in the file, absent from the index
    added: list[str] = field(default_factory=list)
    added_builds: list[str] = field(default_factory=list)
    needs_curation: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    absent_projects: list[str] = field(default_factory=list)
    schema_problems: int = 0  # problems the merge would add (the file is not written while any remain)
    original: str = ""
    new_text: str = ""

    @property
    def changed(self) -> bool:
        return self.new_text != self.original


def _same_version(a: object, b: Version) -> bool:
    try:
        return Version(str(a)) == b
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


def default_build_id(builds: list[dict[str, Any]], package: str, stack: CudaStack) -> str:
    """The build id for a new default Linux build, following the file's existing convention.

    When every existing default Linux build of `package` uses one id (for example `default`), reuse it; otherwise
    use the local-tag style of the package's own extra indexes (cu128 for CUDA 12.8).
    """
    ids = {
        str(b.get("build"))
        for b in builds
        if package in b.get("packages", []) and "linux-x86_64" in b.get("default_on", [])
    }
    if len(ids) == 1:
        only = next(iter(ids))
        if not only.startswith("cu"):
            return only
    assert stack.cuda is not None
    return "cu" + stack.cuda.replace(".", "")


def companion_versions(
    client: SimpleClient,
    companion: Release | None,
    companion_project: str,
    primary: str,
    wanted: Version,
) -> str | None:
    """The companion release whose Linux wheel pins PRIMARY==wanted (metadata read for one wheel per version)."""
    if companion is None:
        return None
    wheel = companion.linux_wheel(companion_project)
    if wheel is None:
        return None
    metadata = client.fetch_metadata(wheel[0], range_fallback=True)
    if metadata is None:
        return None
    pinned = pinned_requirement(requires_dist(metadata), primary)
    return str(companion.version) if pinned is not None and _same_version(pinned, wanted) else None


def refresh_subject(
    subject: str,
    path: Path,
    client: SimpleClient,
    *,
    missing_only: bool,
    today: datetime.date,
    log: TextIO,
) -> Outcome:
    from dlenv.matrix.canonical import dump_yaml, leading_comments, load_yaml_text

    spec, scope = PROJECTS[subject], SCOPE[subject]
    outcome = Outcome(subject, path)
    if path.exists():
        try:
            outcome.original = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise InputError(f"cannot read the file: {error}", path=path, fix="check the file") from None
        doc = load_yaml_text(outcome.original, path)
    else:
        print(f"{path}: absent; every release in scope counts as missing", file=log)
        doc = {"schema_version": 1, "matrix_version": today.strftime("%Y.%m.%d"), "subject": subject}
    releases_rows: list[dict[str, Any]] = doc.setdefault("releases", [])
    builds_rows: list[dict[str, Any]] = doc.setdefault("builds", [])

    projects = list(spec.release_projects)
    if not missing_only:
        projects += [
            p for p in (*spec.python_projects, *spec.build_projects, *spec.released_projects) if p not in projects
        ]
    index, outcome.absent_projects = read_projects(client, projects, log, series=spec.series)
    if all(p in outcome.absent_projects for p in spec.release_projects):
        raise IndexAccessError(
            f"none of {', '.join(spec.release_projects)} is on this index",
            url=client.index_url,
            fix="point PIP_INDEX_URL (or --index-url) at an index that serves them",
        )

    # Releases in scope, yanked ones included (their rows get yanked: true); only the others are required.
    in_scope_releases = [
        release
        for release in index.values()
        if release.project_files(spec.release_projects)
        and in_scope(scope, release.version, release.released(spec.release_projects))
    ]
    for listed in releases_rows:
        try:
            version = Version(str(listed.get("version")))
        except InvalidVersion:
            continue
        known = index.get(Version(version.public))
        if known is None or not known.project_files(spec.release_projects):
            outcome.not_on_index.append(str(listed.get("version")))
    ordered = sorted(in_scope_releases, key=lambda r: r.version)
    outcome.missing = [
        r.text
        for r in ordered
        if not r.yanked(spec.release_projects) and _find_row(releases_rows, "version", r.version) is None
    ]
    if missing_only:
        outcome.new_text = outcome.original
        return outcome

    companions: dict[str, dict[Version, Release]] = {}
    for project in spec.companions:
        companions[project], absent = read_projects(client, [project], log)
        outcome.absent_projects += absent

    changes: list[str] = []
    for release in ordered:
        label = f"{subject} {release.text}"
        found_row = _find_row(releases_rows, "version", release.version)
        released = release.released(spec.dated_by)
        pythons = release.pythons(spec.python_projects)
        citation = release.citation(spec.release_projects)
        if found_row is None:
            if release.text not in outcome.missing:
                continue  # yanked everywhere: not required, not added
            if not pythons:
                outcome.needs_curation.append(f"{release.text}: Python list not derivable from wheel tags; not added")
                continue
            row: dict[str, Any] = {"version": release.text, "python": pythons, "source": [citation]}
            if released is not None:
                row["released"] = released.isoformat()
            for extra in (release.citation(spec.dated_by), release.citation(spec.python_projects)):
                _cite(row, extra)
            _insert_sorted(releases_rows, "version", row)
            outcome.added.append(release.text)
            changes.append(f"{label}: new release")
        else:
            row = found_row
            if released is not None and row.get("released") != released.isoformat():
                _set(row, "released", released.isoformat(), changes, label)
                _cite(row, release.citation(spec.dated_by))
            if pythons and set(pythons) != set(row.get("python", [])):
                _set(row, "python", pythons, changes, label)
                _cite(row, release.citation(spec.python_projects))
        if release.yanked(spec.release_projects) or "yanked" in row:
            _set(row, "yanked", release.yanked(spec.release_projects), changes, label)
        for project in spec.companions:
            current = row.setdefault("companions", {}).get(project)
            if current is not None:
                continue
            found = _companion_for(client, companions.get(project, {}), project, spec.release_projects[0], release)
            if found is not None:
                row["companions"][project] = found
                changes.append(f"{label}: companion {project} {found}")
                _cite(row, f"index:{project}/{found}")
        if not row.get("companions"):
            row.pop("companions", None)
        _merge_default_build(spec, release, builds_rows, outcome, changes, client, log)

    outcome.updated = changes
    outcome.schema_problems = _schema_problem_count(doc, path) - (
        _schema_problem_count(load_yaml_text(outcome.original, path), path) if outcome.original else 0
    )
    if changes:
        doc["matrix_version"] = today.strftime("%Y.%m.%d")
    outcome.new_text = leading_comments(outcome.original) + dump_yaml(doc)
    if not changes and outcome.original:
        outcome.new_text = outcome.original
    return outcome


def _companion_for(
    client: SimpleClient, candidates: dict[Version, Release], project: str, primary: str, release: Release
) -> str | None:
    """Read companion releases uploaded within two months after the primary release, nearest first."""
    released = release.released([primary])
    if released is None:
        return None
    window = []
    for candidate in candidates.values():
        if candidate.version.is_prerelease or candidate.version.is_devrelease:
            continue
        when = candidate.released([project])
        if when is not None and -7 <= (when - released).days <= 62:
            window.append((abs((when - released).days), candidate))
    for _, candidate in sorted(window, key=lambda item: (item[0], item[1].version)):
        found = companion_versions(client, candidate, project, primary, release.version)
        if found is not None:
            return found
    return None


def _merge_default_build(
    spec: Subject,
    release: Release,
    builds: list[dict[str, Any]],
    outcome: Outcome,
    changes: list[str],
    client: SimpleClient,
    log: TextIO,
) -> None:
    package = spec.default_build.package if spec.default_build else spec.release_projects[0]
    label = f"{outcome.subject} {release.text}"
    existing = [
        b
        for b in builds
        if _same_version(b.get("release"), release.version)
        and package in b.get("packages", [])
        and "linux-x86_64" in b.get("default_on", [])
    ]
    has_any_build = any(_same_version(b.get("release"), release.version) for b in builds)
    if existing and len(existing[0].get("platforms", [])) != 1:
        return  # a row spanning several platforms: its glibc and CUDA facts are curated
    if not existing and (has_any_build or spec.default_build is None):
        if not has_any_build:
            outcome.needs_curation.append(f"{release.text}: no build rows (index facts do not suffice)")
        return
    wheel = release.linux_wheel(package)
    if wheel is None:
        return
    index_file, info = wheel
    print(f"  {label}: reading {index_file.filename} metadata", file=log)
    metadata = client.fetch_metadata(index_file, range_fallback=True)
    stack = cuda_stack(requires_dist(metadata)) if metadata else CudaStack()
    citation = f"index:{package}/{info.version}/{index_file.filename}"
    if not existing:
        if stack.cuda is None:
            outcome.needs_curation.append(f"{release.text}: default Linux build pins no CUDA runtime")
            return
        row: dict[str, Any] = {
            "release": release.text,
            "build": default_build_id(builds, package, stack),
            "packages": [package],
            "accelerator": "cuda",
            "cuda": stack.cuda,
            "platforms": ["linux-x86_64"],
            "default_on": ["linux-x86_64"],
            "source": [citation],
        }
        for key in ("cudnn", "nccl"):
            if getattr(stack, key) is not None:
                row[key] = getattr(stack, key)
        if info.glibc is not None:
            row["glibc"] = info.glibc
        _insert_sorted(builds, "release", row)
        outcome.added_builds.append(f"{release.text}/{row['build']}")
        changes.append(f"{label}: new build {row['build']}")
        return
    build = existing[0]
    before = len(changes)
    blabel = f"{label} build {build.get('build')}"
    if info.glibc is not None and "linux-x86_64" in build.get("platforms", []):
        _set(build, "glibc", info.glibc, changes, blabel)
    for key in ("cuda", "cudnn", "nccl"):
        value = getattr(stack, key)
        if value is not None:
            _set(build, key, value, changes, blabel)
    if len(changes) > before:
        _cite(build, citation)


def _schema_problem_count(doc: dict[str, Any], path: Path) -> int:
    from dlenv.matrix.schemas import read_schema_dir
    from dlenv.matrix.validate import schema_problems

    problems = schema_problems(doc, str(path), read_schema_dir(ROOT / "matrices" / "schema"))
    return len(problems)


# ---------------------------------------------------------------------------------------------------- output


def write_atomically(path: Path, text: str) -> None:
    """Write via a temporary file in the same directory and os.replace: readers never see a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            os.chmod(temporary, path.stat().st_mode & 0o777)
        else:
            os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _summary(outcome: Outcome, *, missing_only: bool) -> list[str]:
    lines = [f"{outcome.subject} ({outcome.path.name}):"]

    def listing(title: str, items: list[str]) -> None:
        shown = ", ".join(items[:40]) + (f", ... ({len(items) - 40} more)" if len(items) > 40 else "")
        lines.append(f"  {title}: {len(items)}" + (f" ({shown})" if items else ""))

    listing("on the index, missing from the matrix", outcome.missing)
    listing("in the matrix, not on the index", outcome.not_on_index)
    if outcome.absent_projects:
        listing("projects not on this index", outcome.absent_projects)
    if not missing_only:
        listing("releases added", outcome.added)
        listing("default builds added", outcome.added_builds)
        listing("field changes", outcome.updated)
        if outcome.needs_curation:
            listing("need curation", outcome.needs_curation)
    return lines


def main(argv: list[str] | None = None, *, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--subject", action="append", choices=sorted(PROJECTS), help="limit to this subject (repeatable)"
    )
    parser.add_argument("--force", action="store_true", help="write the merged files (atomically)")
    parser.add_argument(
        "--missing", action="store_true", help="only report index releases absent from the matrix (exit 1 if any)"
    )
    parser.add_argument("--index-url", help="Simple API URL (default: the index pip is configured to use)")
    parser.add_argument(
        "--matrices", type=Path, default=ROOT / "matrices", help="matrix directory (default: %(default)s)"
    )
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per request (default: %(default)s)")
    parser.add_argument("--retries", type=int, default=4, help="retries per request (default: %(default)s)")
    parser.add_argument("--today", type=datetime.date.fromisoformat, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    today = args.today or datetime.datetime.now(datetime.timezone.utc).date()
    subjects = args.subject or list(PROJECTS)
    try:
        index_url = args.index_url or find_index_config(os.environ).index_url
        client = SimpleClient(index_url, timeout=args.timeout, retries=args.retries)
        print(f"index: {client.index_url}", file=err)
        outcomes = []
        for subject in subjects:
            path = args.matrices / f"{subject}.yaml"
            outcome = refresh_subject(subject, path, client, missing_only=args.missing, today=today, log=err)
            outcomes.append(outcome)
            if not args.missing and outcome.changed:
                out.writelines(
                    difflib.unified_diff(
                        outcome.original.splitlines(keepends=True),
                        outcome.new_text.splitlines(keepends=True),
                        fromfile=str(path),
                        tofile=f"{path} (refreshed)",
                    )
                )
    except DlenvError as error:
        print(f"error: {error}", file=err)
        return error.exit_code
    for outcome in outcomes:
        out.write("\n".join(_summary(outcome, missing_only=args.missing)) + "\n")
    if args.missing:
        total = sum(len(o.missing) for o in outcomes)
        out.write(f"missing releases: {total}\n")
        return EXIT_PROBLEMS if total else EXIT_OK
    changed = [o for o in outcomes if o.changed]
    if not changed:
        out.write("nothing to change\n")
        return EXIT_OK
    if not args.force:
        out.write(f"{len(changed)} file(s) would change; run with --force to write them\n")
        return EXIT_PROBLEMS
    invalid = [o for o in changed if o.schema_problems > 0]
    if invalid:
        for outcome in invalid:
            print(f"error: {outcome.path}: the refreshed file would break the schema; not written", file=err)
        return EXIT_BAD_INPUT
    for outcome in changed:
        write_atomically(outcome.path, outcome.new_text)
        print(f"wrote {outcome.path}", file=err)
    return EXIT_OK


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
