"""The compiled matrix: every YAML source validated once and written as one file read at run time.

matrix.json holds the documents (rows layered exactly as load_matrix would), the JSON Schemas (so an installed wheel
can validate a user overlay), the sha256 of every source file (so a test can tell that it is stale) and two small
indexes a run reads without building records: distribution -> subject (`packages`) and the family blocks
(`families`, what the probe classifies installed distributions with).

Layout (format 2): the first line is the envelope, one JSON object whose `subjects` maps each subject to the
[offset, length] of its document among the bytes that follow; then one line of JSON per subject. A run parses the
envelope and only the subjects it uses (dlenv.matrix.load.load_compiled): the probe reads the envelope alone, check
and resolve never parse the images; format 1 held every subject as an escaped string inside one object, which json
had to scan in full (about 12 ms) before any subject could be read.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dlenv.files import write_atomically
from dlenv.matrix.families import family_table
from dlenv.matrix.model import Matrix
from dlenv.matrix.schemas import COMPILED_PATH, SCHEMA_FILES, read_schema_dir
from dlenv.matrix.validate import matrix_files, validate_directory

if TYPE_CHECKING:
    from collections.abc import Mapping

# 2: the layout in the module docstring (an envelope line, then a line per subject); file notes are a map of kinds
# (scope, method, left_out, disagreements); image rows name their require_cuda value by the id of an entry in the
# images document's require_cuda list, which is kept as written (see Matrix.images).
COMPILED_FORMAT = 2


def source_digests(matrix_dir: Path) -> dict[str, str]:
    """sha256 of each YAML file and each schema, keyed by the path relative to `matrix_dir`."""
    paths = [*matrix_files(matrix_dir), *(matrix_dir / "schema" / name for name in SCHEMA_FILES.values())]
    return {
        path.relative_to(matrix_dir).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest() for path in sorted(paths)
    }


def compile_directory(matrix_dir: Path) -> dict[str, Any]:
    """Validate every file of `matrix_dir` (raising MatrixProblems) and return the compiled value."""
    schemas = read_schema_dir(matrix_dir / "schema")
    report = validate_directory(matrix_dir, schemas=schemas)
    report.raise_for_problems()
    documents = report.merged.documents()
    versions = [str(doc["matrix_version"]) for doc in documents.values() if doc.get("matrix_version")]
    return {
        "format": COMPILED_FORMAT,
        # In the envelope line: the probe reads it without any subject (load.compiled_families).
        "families": family_table(documents),
        "matrix_version": max(versions, default=None),
        "sources": source_digests(matrix_dir),
        "files": {
            subject: [Path(path).name for path in rows.paths]
            for subject, rows in sorted(report.merged.subjects.items())
        },
        "versions": {subject: str(doc["matrix_version"]) for subject, doc in documents.items()},
        "packages": package_index(documents),
        "schemas": schemas,
        # Each subject as JSON text: a run parses only the subjects it asks for (see Matrix.document).
        "subjects": {subject: subject_text(doc) for subject, doc in documents.items()},
    }


def package_index(documents: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """Normalised distribution name -> the framework subject whose builds install it (first subject wins)."""
    return Matrix.from_documents(documents).package_index()


def subject_text(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


def compiled_text(compiled: dict[str, Any]) -> str:
    """The file's text: the envelope line, then one line per subject (see the module docstring). Keys keep their
    order: the embedded schemas' property order is the canonical YAML key order."""
    lines, offsets, offset = [], {}, 0
    for subject, text in compiled["subjects"].items():
        size = len(text.encode("utf-8"))
        offsets[subject] = [offset, size]
        lines.append(text)
        offset += size + 1
    envelope = {**compiled, "subjects": offsets}
    return "\n".join([json.dumps(envelope, ensure_ascii=False, separators=(",", ":")), *lines]) + "\n"


def write_compiled(compiled: dict[str, Any], path: Path = COMPILED_PATH) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, compiled_text(compiled))


def stored_digests(path: Path = COMPILED_PATH) -> dict[str, str] | None:
    from dlenv.matrix.load import parse_envelope

    try:
        with path.open("rb") as handle:
            compiled = parse_envelope(handle.readline())
    except (OSError, ValueError):
        return None
    digests = compiled.get("sources") if isinstance(compiled, dict) else None
    return digests if isinstance(digests, dict) else None


def is_up_to_date(matrix_dir: Path, path: Path = COMPILED_PATH) -> bool:
    return stored_digests(path) == source_digests(matrix_dir)
