"""Which installed distributions and conda packages are which framework: the matrix's `family` blocks as a small
index the probe can use without building the matrix.

The compiler writes the index into matrix.json (`families`); an overlay's index is computed from its documents. Only
the standard library is imported here: the probe consults this module on every run.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

FRAMEWORK_ROLE = "framework"
CUDA_PIN_ROLE = "cuda_pin"


class CondaName(NamedTuple):
    """A conda package of a framework: the subject, the pip distribution it is judged as, and its role."""

    subject: str
    name: str
    pip: str
    role: str


def family_entry(document: Mapping[str, Any]) -> dict[str, Any]:
    """The index entry of one framework document, its family block's defaults filled in (JSON-ready)."""
    from dlenv.versions import canonical_name as _normalize

    block: Mapping[str, Any] = document.get("family") or {}
    if "distributions" in block:
        distributions = {_normalize(name) for name in block["distributions"]}
    else:
        distributions = {_normalize(p) for build in document.get("builds", ()) for p in build.get("packages", ())}
        distributions |= {
            _normalize(c) for release in document.get("releases", ()) for c in release.get("companions", {})
        }
    selection: Mapping[str, Any] = block.get("build_selection") or {}
    return {
        "distributions": sorted(distributions),
        "distribution_patterns": list(block.get("distribution_patterns", ())),
        "conda": [
            {"name": row["name"], "pip": row.get("pip", row["name"]), "role": row.get("role", FRAMEWORK_ROLE)}
            for row in block.get("conda", ())
        ],
        "build_in_name": selection.get("build_in_name"),
        "build_files": [
            {"path": row["path"], "reader": row["reader"], "distributions": row.get("distributions")}
            for row in block.get("build_files", ())
        ],
        "cuda_extensions": list(block.get("cuda_extensions", ())),
    }


def family_table(documents: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """subject -> index entry for every framework document among `documents` (what matrix.json stores as
    `families`)."""
    from dlenv.matrix.schemas import schema_kind

    return {
        subject: family_entry(document)
        for subject, document in sorted(documents.items())
        if schema_kind(subject) == "framework"
    }


class FamilyIndex:
    """Distribution and conda names -> framework subject, and what the probe reads to tell an installed build.

    Distribution names are looked up as given: PEP 503 normalised, as the probe lists them (the schema keeps the
    family blocks' names normalised too).
    """

    __slots__ = ("_conda", "_entries", "_names", "_patterns")

    def __init__(self, table: Mapping[str, Mapping[str, Any]]) -> None:
        self._entries = dict(table)
        self._names = {name: subject for subject, entry in self._entries.items() for name in entry["distributions"]}
        self._conda = {
            row["name"]: CondaName(subject, row["name"], row["pip"], row["role"])
            for subject, entry in self._entries.items()
            for row in entry["conda"]
        }
        self._patterns: list[tuple[str, re.Pattern[str]]] | None = None  # compiled on the first name that misses

    @property
    def subjects(self) -> tuple[str, ...]:
        return tuple(self._entries)

    def subject_of(self, distribution: str) -> str | None:
        """The framework an installed distribution belongs to (a name or a pattern of its family block)."""
        subject = self._names.get(distribution)
        if subject is not None:
            return subject
        if self._patterns is None:
            self._patterns = [
                (subject, re.compile(pattern))
                for subject, entry in self._entries.items()
                for pattern in entry["distribution_patterns"]
            ]
        return next((subject for subject, pattern in self._patterns if pattern.match(distribution)), None)

    def build_files(self, subject: str, distribution: str) -> list[tuple[str, str]]:
        """(path relative to site-packages, reader) of the build files `distribution` of `subject` carries."""
        return [
            (row["path"], row["reader"])
            for row in self._entries[subject]["build_files"]
            if row["distributions"] is None or distribution in row["distributions"]
        ]

    def build_in_name(self, subject: str, distribution: str) -> str | None:
        """The build a distribution's name spells (cupy-cuda12x -> cuda12x), if its family says how."""
        pattern = self._entries[subject]["build_in_name"]
        match = re.search(pattern, distribution) if pattern else None
        return match.group(1) if match else None

    def conda(self, name: str) -> CondaName | None:
        return self._conda.get(name)

    @property
    def conda_cuda_pins(self) -> frozenset[str]:
        """conda packages whose version is the CUDA of the environment's framework builds (pytorch-cuda)."""
        return frozenset(name for name, row in self._conda.items() if row.role == CUDA_PIN_ROLE)

    def cuda_extension_builders(self, names: Iterable[str]) -> list[str]:
        """Those of `names` that compile CUDA extensions with the system nvcc, which must match their CUDA major."""
        builders = {name for entry in self._entries.values() for name in entry["cuda_extensions"]}
        return [name for name in names if name in builders]


def shipped_families() -> FamilyIndex:
    """The shipped matrix's index, read from matrix.json without building any framework record."""
    from dlenv.matrix.load import compiled_families

    return FamilyIndex(compiled_families())


def current_families(env: Mapping[str, str] | None = None) -> FamilyIndex:
    """The index of the matrix this run uses: the shipped one, or the DLENV_MATRIX overlay's."""
    import os

    from dlenv.matrix.load import OVERLAY_ENV, load_matrix

    environment = os.environ if env is None else env
    if environment.get(OVERLAY_ENV):
        return load_matrix(env=environment).families
    return shipped_families()
