"""The compiled matrix: every YAML source validated once and written as one JSON file read at run time.

matrix.json holds the documents (rows layered exactly as load_matrix would), the JSON Schemas (so an installed wheel
can validate a user overlay), the sha256 of every source file (so a test can tell that it is stale) and two small
indexes a run reads without building records: distribution -> subject (`packages`) and the family blocks
(`families`, what the probe classifies installed distributions with).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dlenv.matrix.families import family_table
from dlenv.matrix.model import Matrix
from dlenv.matrix.schemas import COMPILED_PATH, SCHEMA_FILES, read_schema_dir
from dlenv.matrix.validate import matrix_files, validate_directory

if TYPE_CHECKING:
    from collections.abc import Mapping

COMPILED_FORMAT = 1


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
        # Second, so the probe reads it from the head of the file (load.compiled_families).
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
    # indent=1 keeps the envelope and schemas readable (a subject is one line of JSON text). Keys keep their order:
    # the embedded schemas' property order is the canonical YAML key order.
    return json.dumps(compiled, indent=1, ensure_ascii=False) + "\n"


def write_compiled(compiled: dict[str, Any], path: Path = COMPILED_PATH) -> None:
    """Write atomically: a temporary file in the same directory, then os.replace."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(compiled_text(compiled))
        os.chmod(temporary, 0o644)  # mkstemp creates 0600; the file ships in the wheel
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def stored_digests(path: Path = COMPILED_PATH) -> dict[str, str] | None:
    try:
        compiled = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    digests = compiled.get("sources") if isinstance(compiled, dict) else None
    return digests if isinstance(digests, dict) else None


def is_up_to_date(matrix_dir: Path, path: Path = COMPILED_PATH) -> bool:
    return stored_digests(path) == source_digests(matrix_dir)
