"""Where the JSON Schemas come from: the source tree's matrices/schema/, or the copy embedded in matrix.json."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

# Schema kind -> file name in matrices/schema/. Framework subjects (pytorch, jax, in-house ones) share one schema.
SCHEMA_FILES = {
    "cuda": "cuda.schema.json",
    "gpus": "gpus.schema.json",
    "framework": "framework.schema.json",
    "images": "images.schema.json",
}
FIXED_SUBJECTS = ("cuda", "gpus", "images")

COMPILED_PATH = Path(__file__).resolve().parent / "data" / "matrix.json"


def schema_kind(subject: str) -> str:
    """'cuda', 'gpus' and 'images' have their own schema; every other subject is a framework file."""
    return subject if subject in FIXED_SUBJECTS else "framework"


def source_matrix_dir() -> Path | None:
    """The repository's matrices/ directory when running from a source checkout, else None (installed wheel)."""
    candidate = Path(__file__).resolve().parents[3] / "matrices"
    return candidate if (candidate / "schema" / SCHEMA_FILES["cuda"]).is_file() else None


def read_schema_dir(schema_dir: Path) -> dict[str, dict[str, Any]]:
    schemas: dict[str, dict[str, Any]] = {}
    for kind, file_name in SCHEMA_FILES.items():
        schemas[kind] = json.loads((schema_dir / file_name).read_text(encoding="utf-8"))
    return schemas


@cache
def default_schemas() -> dict[str, dict[str, Any]]:
    """The source tree's schemas when present (they may be newer than matrix.json), else the embedded copy."""
    source = source_matrix_dir()
    if source is not None:
        return read_schema_dir(source / "schema")
    from dlenv.matrix.load import load_compiled

    embedded: dict[str, dict[str, Any]] = load_compiled(COMPILED_PATH)["schemas"]
    return embedded
