"""Layering matrix documents: rows keyed per section, an overlay's rows replacing or adding to the shipped ones.

Each row remembers the file and index it came from, so that a problem found after merging still names the file and
the row its author wrote.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from dlenv.matrix.model import normalize_gpu_name, version_key
from dlenv.matrix.schemas import schema_kind
from dlenv.records import field, record

if TYPE_CHECKING:
    from collections.abc import Callable, Hashable


def _text(value: object) -> str:
    return "" if value is None else str(value)


@record
class Section:
    """A list of rows in a matrix document: how a row is identified and how a message names it."""

    name: str
    key: Callable[[Mapping[str, Any]], Hashable]
    label: Callable[[Mapping[str, Any]], str]


SECTIONS: dict[str, tuple[Section, ...]] = {
    "cuda": (
        Section("majors", lambda r: r.get("major"), lambda r: f"major {_text(r.get('major'))}"),
        Section("toolkits", lambda r: _text(r.get("version")), lambda r: f"toolkit {_text(r.get('version'))}"),
        Section("forward_compat", lambda r: _text(r.get("cuda")), lambda r: f"cuda {_text(r.get('cuda'))}"),
    ),
    "gpus": (
        Section("architectures", lambda r: _text(r.get("name")), lambda r: f"architecture {_text(r.get('name'))}"),
        Section("gpus", lambda r: normalize_gpu_name(_text(r.get("name"))), lambda r: f"gpu {_text(r.get('name'))}"),
    ),
    "framework": (
        Section(
            "releases", lambda r: version_key(_text(r.get("version"))), lambda r: f"release {_text(r.get('version'))}"
        ),
        Section(
            "builds",
            lambda r: (version_key(_text(r.get("release"))), _text(r.get("build"))),
            lambda r: f"release {_text(r.get('release'))}, build {_text(r.get('build'))}",
        ),
    ),
    "images": (
        Section("require_cuda", lambda r: _text(r.get("id")), lambda r: f"require_cuda {_text(r.get('id'))}"),
        Section("distributions", lambda r: _text(r.get("os")), lambda r: f"distribution {_text(r.get('os'))}"),
        Section(
            "images",
            lambda r: f"{_text(r.get('repository'))}:{_text(r.get('tag'))}",
            lambda r: f"image {_text(r.get('repository'))}:{_text(r.get('tag'))}",
        ),
    ),
}


def sections_of(subject: str) -> tuple[Section, ...]:
    return SECTIONS[schema_kind(subject)]


def section_named(subject: str, name: str) -> Section | None:
    return next((section for section in sections_of(subject) if section.name == name), None)


@record(frozen=False)
class LocatedRow:
    row: dict[str, Any]
    path: str
    section: str
    index: int
    label: str

    @property
    def where(self) -> str:
        """'builds[12] (release 2.4.1, build cu121)'."""
        return f"{self.section}[{self.index}] ({self.label})"


@record(frozen=False)
class SubjectRows:
    """One subject after layering: its header fields and its rows by section, each keyed as Section.key says."""

    subject: str
    header: dict[str, Any]
    paths: list[str]
    rows: dict[str, dict[Hashable, LocatedRow]] = field(default_factory=dict)

    def document(self) -> dict[str, Any]:
        doc = dict(self.header)
        for section in sections_of(self.subject):
            doc[section.name] = [located.row for located in self.rows.get(section.name, {}).values()]
        return doc


@record(frozen=False)
class MergedMatrix:
    subjects: dict[str, SubjectRows] = field(default_factory=dict)

    def documents(self) -> dict[str, dict[str, Any]]:
        return {subject: rows.document() for subject, rows in sorted(self.subjects.items())}

    def origins(self) -> dict[str, str]:
        return {subject: ", ".join(rows.paths) for subject, rows in sorted(self.subjects.items())}

    def copy(self) -> MergedMatrix:
        return copy.deepcopy(self)

    def add_document(self, doc: Mapping[str, Any], path: str) -> list[tuple[LocatedRow, LocatedRow]]:
        """Layer one document on top; returns the (earlier, later) rows that share a key, for the caller to judge."""
        subject = str(doc.get("subject"))
        sections = sections_of(subject)
        section_names = {section.name for section in sections}
        header = {key: value for key, value in doc.items() if key not in section_names}
        target = self.subjects.get(subject)
        if target is None:
            target = self.subjects[subject] = SubjectRows(subject, header, [path])
        else:
            _merge_header(target.header, header)
            if path not in target.paths:
                target.paths.append(path)
        replaced: list[tuple[LocatedRow, LocatedRow]] = []
        for section in sections:
            rows = doc.get(section.name)
            if not isinstance(rows, list):
                continue
            table = target.rows.setdefault(section.name, {})
            for index, row in enumerate(rows):
                if not isinstance(row, dict):
                    continue
                located = LocatedRow(row, path, section.name, index, section.label(row))
                key = section.key(row)
                try:
                    earlier = table.get(key)
                except TypeError:
                    continue  # a key field of the wrong type (a list for `major`): its schema error says so
                if earlier is not None:
                    replaced.append((earlier, located))
                table[key] = located  # replaces in place: dict keeps the first position of the key
        return replaced


def _merge_header(header: dict[str, Any], overlay: Mapping[str, Any]) -> None:
    for key, value in overlay.items():
        if key == "matrix_version":
            header[key] = max(str(header.get(key, "")), str(value))
        elif key == "notes" and isinstance(value, Mapping) and isinstance(header.get("notes", {}), Mapping):
            # Each kind of note (scope, method, ...) gains the overlay's sentences it does not hold yet.
            merged = {kind: list(notes) for kind, notes in header.get("notes", {}).items()}
            for kind, notes in value.items():
                existing = merged.setdefault(kind, [])
                existing += [note for note in notes if note not in existing] if isinstance(notes, list) else []
            header["notes"] = merged
        elif key not in header:
            header[key] = value
