"""The one door to matrix data: load_matrix(). Shipped data is trusted (validated when it was compiled), so loading
it is json.loads plus record construction; an overlay is validated in full, then cached by content hash.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dlenv.errors import DlenvError
from dlenv.matrix.schemas import COMPILED_PATH

if TYPE_CHECKING:
    from collections.abc import Mapping

    from dlenv.matrix.model import Matrix

OVERLAY_ENV = "DLENV_MATRIX"
# With DLENV_MATRIX_ONLY=1 the overlay directory is the whole matrix (a fork of matrices/, or a frozen test matrix),
# validated on its own instead of layered over the shipped data.
STANDALONE_ENV = "DLENV_MATRIX_ONLY"
SHIPPED_ORIGIN = "shipped"

_MATRICES: dict[str | None, Matrix] = {}
_CACHE_KEYS = ("subjects", "origins", "versions", "families")
_COMPILED: dict[str, Any] = {}
# Where compiled_families() looks: the key as compiled_text() writes it, within the file's first bytes.
_FAMILIES_KEY = '\n "families": '
_HEAD_BYTES = 64 * 1024


def load_matrix(overlay_dir: Path | None = None, *, env: Mapping[str, str] | None = None) -> Matrix:
    """The matrix: shipped data with the overlay directory (or $DLENV_MATRIX) layered on top; cached per process."""
    environment = os.environ if env is None else env
    if overlay_dir is None and environment.get(OVERLAY_ENV):
        overlay_dir = Path(environment[OVERLAY_ENV])
    standalone = overlay_dir is not None and environment.get(STANDALONE_ENV) == "1"
    key = f"{overlay_dir.resolve()}{' alone' if standalone else ''}" if overlay_dir is not None else None
    cached = _MATRICES.get(key)
    if cached is not None:
        return cached
    from dlenv.matrix.model import Matrix  # here, not at import: the probe reads load_compiled() without records

    if overlay_dir is not None and standalone:
        documents = read_documents_at(overlay_dir)
        matrix = Matrix.from_documents(documents, origins=dict.fromkeys(documents, str(overlay_dir)))
        _MATRICES[key] = matrix
        return matrix
    compiled = load_compiled()
    if overlay_dir is None:
        subjects = compiled["subjects"]
        origins = dict.fromkeys(subjects, SHIPPED_ORIGIN)
        matrix = Matrix.from_documents(
            subjects,
            origins=origins,
            versions=compiled.get("versions"),
            packages=compiled.get("packages"),
            families=compiled.get("families"),
        )
    else:
        matrix = _load_with_overlay(compiled, overlay_dir, environment)
    _MATRICES[key] = matrix
    return matrix


def clear_cache() -> None:
    """Forget loaded matrices (tests; long-lived processes after an overlay changed)."""
    _MATRICES.clear()
    _COMPILED.clear()


def load_compiled(path: Path | None = None) -> dict[str, Any]:
    """The compiled matrix (default: the shipped matrix.json), parsed once per process."""
    path = path if path is not None else COMPILED_PATH
    cached: dict[str, Any] | None = _COMPILED.get(str(path))
    if cached is not None:
        return cached
    try:
        raw = path.read_bytes()
    except OSError:
        raise DlenvError(f"the compiled matrix {path} is missing; run scripts/compile_matrix.py") from None
    compiled: dict[str, Any] = json.loads(raw)
    _COMPILED[str(path)] = compiled
    return compiled


def compiled_families(path: Path | None = None) -> dict[str, Any]:
    """The family index of the compiled matrix. The compiler writes it at the head of matrix.json, so it is read from
    the first few kilobytes instead of parsing every subject (the probe needs nothing else); the whole file is
    parsed only where the head does not hold it."""
    path = path if path is not None else COMPILED_PATH
    cached = _COMPILED.get(str(path))
    if cached is None:
        with contextlib.suppress(OSError, ValueError), path.open("rb") as handle:
            head = handle.read(_HEAD_BYTES).decode("utf-8", errors="ignore")
            start = head.find(_FAMILIES_KEY)
            if start >= 0:
                families, _ = json.JSONDecoder().raw_decode(head, start + len(_FAMILIES_KEY))
                if isinstance(families, dict):
                    return families
        cached = load_compiled(path)
    families_index: dict[str, Any] = cached["families"]
    return families_index


def compiled_documents(compiled: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """subject -> document, every subject of a compiled matrix parsed."""
    return {
        subject: json.loads(text) if isinstance(text, str) else dict(text)
        for subject, text in compiled["subjects"].items()
    }


def shipped_layers(compiled: Mapping[str, Any]) -> Any:
    """The shipped documents as a MergedMatrix base for an overlay, rows located in their source files."""
    from dlenv.matrix.layers import MergedMatrix

    merged = MergedMatrix()
    files: Mapping[str, list[str]] = compiled.get("files", {})
    for subject, doc in compiled_documents(compiled).items():
        names = files.get(subject) or [f"{subject}.yaml"]
        merged.add_document(doc, f"matrices/{names[0]}")
    return merged


def validate_overlay(overlay_dir: Path, compiled: Mapping[str, Any] | None = None) -> Any:
    """A ValidationReport for `overlay_dir` layered over the shipped matrix, checked with the shipped schemas."""
    from dlenv.matrix.validate import validate_directory

    shipped = compiled if compiled is not None else load_compiled()
    return validate_directory(overlay_dir, base=shipped_layers(shipped), schemas=shipped["schemas"])


def _load_with_overlay(compiled: Mapping[str, Any], overlay_dir: Path, env: Mapping[str, str]) -> Matrix:
    import hashlib

    from dlenv import __version__
    from dlenv.matrix.families import family_table
    from dlenv.matrix.model import Matrix
    from dlenv.matrix.validate import matrix_files

    files = matrix_files(overlay_dir)
    shipped = json.dumps(compiled.get("sources"), sort_keys=True)  # the shipped data's identity
    digest = hashlib.sha256(f"{__version__}\0{shipped}".encode())
    for path in files:
        digest.update(f"\0{path.name}\0".encode())
        digest.update(path.read_bytes())
    cache_dir = _cache_dir(env)
    cache_file = cache_dir / f"overlay-{digest.hexdigest()}.json" if cache_dir is not None else None
    if cache_file is not None and cache_file.is_file():
        # A cache that does not hold what _write_cache writes (truncated, edited, `[]`) is rebuilt, never trusted.
        with contextlib.suppress(OSError, ValueError, KeyError, TypeError, AttributeError):
            cached = json.loads(cache_file.read_text(encoding="utf-8"))
            if isinstance(cached, dict) and all(isinstance(cached.get(k), dict) for k in _CACHE_KEYS):
                return Matrix.from_documents(
                    cached["subjects"],
                    origins=cached["origins"],
                    versions=cached["versions"],
                    families=cached["families"],
                )
    report = validate_overlay(overlay_dir, compiled)
    report.raise_for_problems()
    documents = report.merged.documents()
    origins = report.merged.origins()
    versions = {subject: str(doc["matrix_version"]) for subject, doc in documents.items()}
    families = family_table(documents)
    if cache_file is not None:
        from dlenv.matrix.compile import subject_text

        texts = {subject: subject_text(doc) for subject, doc in documents.items()}
        _write_cache(cache_file, {"subjects": texts, "origins": origins, "versions": versions, "families": families})
    return Matrix.from_documents(documents, origins=origins, versions=versions, families=families)


def _cache_dir(env: Mapping[str, str]) -> Path | None:
    if env.get("XDG_CACHE_HOME"):
        return Path(env["XDG_CACHE_HOME"]) / "dlenv"
    if env.get("HOME"):
        return Path(env["HOME"]) / ".cache" / "dlenv"
    return None


def _write_cache(path: Path, value: Mapping[str, Any]) -> None:
    """Best effort: a cache that cannot be written only costs the next run a validation."""
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        temporary.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
        os.replace(temporary, path)


def read_documents_at(source: Path) -> dict[str, dict[str, Any]]:
    """subject -> document from a directory of YAML files (validated on its own) or a compiled matrix.json."""
    from dlenv.errors import InputError

    if source.is_dir():
        from dlenv.matrix.validate import validate_directory

        report = validate_directory(source)
        report.raise_for_problems()
        return report.merged.documents()
    if source.is_file():
        try:
            subjects = compiled_documents(json.loads(source.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            raise InputError(
                "not a compiled matrix (no 'subjects')", path=source, fix="pass a matrix directory or a matrix.json"
            ) from None
        return subjects
    raise InputError("no such file or directory", path=source, fix="pass a matrix directory or a matrix.json")
