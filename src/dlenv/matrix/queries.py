"""What `dlenv matrix show|stats|diff` compute: plain values that the renderers print as tables or JSON."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from dlenv import records
from dlenv.errors import InputError
from dlenv.matrix.layers import sections_of
from dlenv.matrix.model import Framework, Matrix, version_key
from dlenv.matrix.schemas import FIXED_SUBJECTS
from dlenv.records import record

# ---------------------------------------------------------------------------------------------------- show


@record
class ShowResult:
    """Rows of one kind ('framework', 'framework-release', 'toolkit', 'gpu', ...) answering a `show` query."""

    query: str
    kind: str
    title: str
    rows: tuple[Mapping[str, Any], ...]
    notes: tuple[str, ...] = ()


def record_dict(record: Any) -> dict[str, Any]:
    """A record as JSON-ready data: unset optional fields and private lookup tables left out."""
    data = {f.name: _plain(getattr(record, f.name)) for f in records.fields(record) if not f.name.startswith("_")}
    return {key: value for key, value in data.items() if value not in (None, (), [], {})}


def _plain(value: Any) -> Any:
    if records.is_record(value) and not isinstance(value, type):
        return record_dict(value)
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    return value


def parse_query(query: str) -> tuple[str, str | None]:
    """'pytorch==2.4.1' -> ('pytorch', '2.4.1'); 'RTX 4090' -> ('RTX 4090', None)."""
    name, separator, version = query.partition("==")
    name, version = name.strip(), version.strip()
    if not name or (separator and not version):
        raise InputError(
            f"cannot read the query {query!r}",
            where="NAME[==VERSION]",
            fix="write e.g. pytorch, pytorch==2.4.1, cuda==12.4, 'RTX 4090'",
        )
    return name, version or None


def show(matrix: Matrix, query: str) -> ShowResult:
    """A subject (pytorch, cuda, gpus, images), a package (torch, cupy-cuda12x), a GPU name, or SUBJECT==VERSION."""
    name, version = parse_query(query)
    lowered = name.lower()
    framework = matrix.framework(lowered) or matrix.framework_for_package(lowered)
    if framework is not None:
        return _show_framework(framework, query, version)
    if lowered == "cuda":
        return _show_cuda(matrix, query, version)
    if lowered in ("gpus", "gpu"):
        rows = [record_dict(a) for a in matrix.gpus.architectures]
        return ShowResult(query, "architectures", "GPU architectures", tuple(rows))
    if lowered == "images":
        images = [i for i in matrix.images if version is None or i.tag.startswith(version)]
        return ShowResult(query, "images", "Container images", tuple(record_dict(i) for i in images))
    product = matrix.find_gpu(name)
    if product is not None:
        row = record_dict(product)
        architecture = matrix.architecture(product.architecture)
        if architecture is not None and architecture.last_driver_branch:
            row["last_driver_branch"] = architecture.last_driver_branch
        return ShowResult(query, "gpu", product.name, (row,))
    known = ", ".join([*FIXED_SUBJECTS, *matrix.frameworks])
    raise InputError(
        f"{name!r} is not a subject, package or GPU in the matrix",
        where="NAME",
        fix=f"use one of: {known}; a package name such as torch; or a GPU name",
    )


def _show_framework(framework: Framework, query: str, version: str | None) -> ShowResult:
    if version is None:
        rows = []
        for listed in framework.releases:
            row = record_dict(listed)
            row["builds"] = [build.build for build in framework.builds_of(listed.version)]
            rows.append(row)
        return ShowResult(query, "framework", framework.subject, tuple(rows), framework.notes.sentences())
    release = framework.release(version)
    if release is None:
        newest = framework.newest_release()
        hint = f"the newest listed is {newest.version}" if newest else "the matrix lists no release"
        raise InputError(
            f"{framework.subject} {version} is not in the matrix",
            where="VERSION",
            fix=f"{hint}; run `dlenv matrix show {framework.subject}` for all",
        )
    builds = tuple(record_dict(build) for build in framework.builds_of(release.version))
    title = f"{framework.subject} {release.version}"
    return ShowResult(query, "framework-release", title, builds, (_release_note(release),))


def _release_note(release: Any) -> str:
    parts = [f"python {', '.join(release.python)}"]
    if release.released:
        parts.insert(0, f"released {release.released}")
    if release.companions:
        parts.append(", ".join(f"{name} {value}" for name, value in sorted(release.companions.items())))
    if release.yanked:
        parts.append("yanked")
    return "; ".join(parts)


def _show_cuda(matrix: Matrix, query: str, version: str | None) -> ShowResult:
    toolkits = matrix.cuda.toolkits
    if version is not None:
        wanted = version_key(version)
        toolkits = tuple(
            t
            for t in toolkits
            if version_key(t.version) == wanted or t.major_minor == version or str(t.major) == version
        )
        if not toolkits:
            raise InputError(
                f"CUDA {version} is not in the matrix", where="VERSION", fix="run `dlenv matrix show cuda`"
            )
    notes = tuple(
        f"CUDA {m.major}.x minor-version compatibility from driver {m.minor_compat_min_driver.linux or '?'} (Linux)"
        for m in matrix.cuda.majors
        if m.minor_compat_min_driver is not None and (version is None or version.split(".")[0] == str(m.major))
    )
    return ShowResult(query, "toolkits", "CUDA toolkits", tuple(record_dict(t) for t in toolkits), notes)


# ---------------------------------------------------------------------------------------------------- stats


@record
class SubjectStats:
    subject: str
    rows: Mapping[str, int]
    matrix_version: str | None
    newest_release: str | None = None
    newest_released: str | None = None


@record
class MatrixStats:
    matrix_version: str | None
    age_days: int | None
    """Days between the newest matrix_version and today: how old the data is."""
    total_rows: int
    subjects: tuple[SubjectStats, ...]
    origins: Mapping[str, str]


def _date_of(matrix_version: str | None) -> datetime.date | None:
    if not matrix_version:
        return None
    try:
        return datetime.date(*(int(part) for part in matrix_version.split(".")))
    except (TypeError, ValueError):
        return None


def stats(matrix: Matrix, today: datetime.date | None = None) -> MatrixStats:
    """Rows per subject, the newest release of each framework, and the age of the data."""
    subjects = [
        SubjectStats(
            "cuda",
            {
                "majors": len(matrix.cuda.majors),
                "toolkits": len(matrix.cuda.toolkits),
                "forward_compat": len(matrix.cuda.forward_compat),
            },
            matrix.cuda.matrix_version,
        ),
        SubjectStats(
            "gpus",
            {"architectures": len(matrix.gpus.architectures), "gpus": len(matrix.gpus.gpus)},
            matrix.gpus.matrix_version,
        ),
    ]
    for subject, framework in sorted(matrix.frameworks.items()):
        newest = framework.newest_release()
        subjects.append(
            SubjectStats(
                subject,
                {"releases": len(framework.releases), "builds": len(framework.builds)},
                framework.matrix_version,
                newest.version if newest else None,
                newest.released if newest else None,
            )
        )
    subjects.append(SubjectStats("images", {"images": len(matrix.images)}, matrix.versions.get("images")))
    released = _date_of(matrix.matrix_version)
    age = ((today or datetime.date.today()) - released).days if released else None
    total = sum(sum(entry.rows.values()) for entry in subjects)
    return MatrixStats(matrix.matrix_version, age, total, tuple(subjects), dict(matrix.origins))


# ---------------------------------------------------------------------------------------------------- diff


@record
class RowChange:
    subject: str
    section: str
    label: str
    change: str
    """'added', 'removed' or 'changed'."""
    fields: Mapping[str, tuple[Any, Any]] = records.field(default_factory=dict)
    """For 'changed': field -> (old value, new value); None stands for absent."""


@record
class MatrixDiff:
    old_version: str | None
    new_version: str | None
    changes: tuple[RowChange, ...]

    def count(self, change: str) -> int:
        return sum(1 for row in self.changes if row.change == change)


def diff(old: Mapping[str, Mapping[str, Any]], new: Mapping[str, Mapping[str, Any]]) -> MatrixDiff:
    """Row-level differences between two sets of matrix documents (subject -> document), keyed as layering keys rows."""
    changes: list[RowChange] = []
    for subject in sorted(set(old) | set(new)):
        for section in sections_of(subject):
            before = {section.key(row): row for row in old.get(subject, {}).get(section.name, [])}
            after = {section.key(row): row for row in new.get(subject, {}).get(section.name, [])}
            for key, row in after.items():
                if key not in before:
                    changes.append(RowChange(subject, section.name, section.label(row), "added"))
                elif before[key] != row:
                    previous = before[key]
                    fields = {
                        name: (previous.get(name), row.get(name))
                        for name in [*previous, *(n for n in row if n not in previous)]
                        if previous.get(name) != row.get(name)
                    }
                    changes.append(RowChange(subject, section.name, section.label(row), "changed", fields))
            changes.extend(
                RowChange(subject, section.name, section.label(row), "removed")
                for key, row in before.items()
                if key not in after
            )
    return MatrixDiff(_newest_version(old), _newest_version(new), tuple(changes))


def _newest_version(documents: Mapping[str, Mapping[str, Any]]) -> str | None:
    return max((str(doc["matrix_version"]) for doc in documents.values() if doc.get("matrix_version")), default=None)
