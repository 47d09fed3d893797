"""The one door to matrix data: load_matrix(). Shipped data is trusted (validated when it was compiled), so loading
it is json.loads plus record construction; an overlay is validated in full, then cached by content hash.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dlenv.errors import DlenvError
from dlenv.matrix.schemas import COMPILED_PATH

if TYPE_CHECKING:
    from collections.abc import Iterator

    from dlenv.matrix.model import Matrix

OVERLAY_ENV = "DLENV_MATRIX"
# With DLENV_MATRIX_ONLY=1 the overlay directory is the whole matrix (a fork of matrices/, or a frozen test matrix),
# validated on its own instead of layered over the shipped data.
STANDALONE_ENV = "DLENV_MATRIX_ONLY"
SHIPPED_ORIGIN = "shipped"

_MATRICES: dict[str | None, Matrix] = {}
_CACHE_KEYS = ("subjects", "origins", "versions", "families")
_COMPILED: dict[str, Any] = {}


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
    """The compiled matrix (default: the shipped matrix.json): its envelope, read once per process, with `subjects`
    mapping each subject to its JSON text, read from the file when first asked for."""
    path = path if path is not None else COMPILED_PATH
    cached: dict[str, Any] | None = _COMPILED.get(str(path))
    if cached is not None:
        return cached
    try:
        compiled = dict(_read_compiled_file(path))
        if not isinstance(compiled["subjects"], SubjectTexts):
            raise ValueError("format 1")  # the shipped file is always this layout
    except OSError:
        raise DlenvError(f"the compiled matrix {path} is missing; run scripts/compile_matrix.py") from None
    except ValueError:
        raise DlenvError(f"the compiled matrix {path} is damaged; run scripts/compile_matrix.py") from None
    _COMPILED[str(path)] = compiled
    return compiled


def parse_envelope(line: bytes) -> dict[str, Any]:
    """The first line of a compiled matrix (dlenv.matrix.compile's layout); ValueError where it is not one."""
    compiled: dict[str, Any] = json.loads(line)
    subjects = compiled.get("subjects") if isinstance(compiled, dict) else None
    if not isinstance(subjects, dict) or not all(
        isinstance(place, list) and len(place) == 2 and all(isinstance(n, int) for n in place)
        for place in subjects.values()
    ):
        raise ValueError("not a compiled matrix")
    return compiled


class SubjectTexts(Mapping[str, str]):
    """subject -> its JSON text in a compiled matrix file, read (and kept) on first access: a run reads only the
    subjects it uses."""

    def __init__(self, path: Path, body_start: int, places: dict[str, list[int]]) -> None:
        self._path, self._body_start, self._places = path, body_start, places
        self._texts: dict[str, str] = {}

    def __getitem__(self, subject: str) -> str:
        text = self._texts.get(subject)
        if text is None:
            offset, size = self._places[subject]
            with self._path.open("rb") as handle:
                handle.seek(self._body_start + offset)
                raw = handle.read(size)
            if len(raw) != size:
                raise DlenvError(f"the compiled matrix {self._path} is damaged; run scripts/compile_matrix.py")
            text = self._texts[subject] = raw.decode("utf-8")
        return text

    def __iter__(self) -> Iterator[str]:
        return iter(self._places)

    def __len__(self) -> int:
        return len(self._places)


def compiled_families(path: Path | None = None) -> dict[str, Any]:
    """The family index of the compiled matrix, from its envelope line (the probe needs nothing else)."""
    families_index: dict[str, Any] = load_compiled(path)["families"]
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
    from dlenv.files import write_atomically

    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, json.dumps(value, ensure_ascii=False))


def _read_compiled_file(path: Path) -> Mapping[str, Any]:
    """A compiled matrix of this layout, or of format 1 (one JSON object, subjects as strings: older releases, and
    `git show` of a commit before format 2), so `dlenv matrix diff` compares across the change."""
    with path.open("rb") as handle:
        first = handle.readline()
    try:
        compiled = parse_envelope(first)
    except ValueError:
        older: Mapping[str, Any] = json.loads(path.read_bytes())
        return older
    compiled["subjects"] = SubjectTexts(path, len(first), compiled["subjects"])
    return compiled


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
            subjects = compiled_documents(_read_compiled_file(source))
        except (OSError, ValueError, KeyError, TypeError, AttributeError, DlenvError):
            raise InputError(
                "not a compiled matrix (no 'subjects')", path=source, fix="pass a matrix directory or a matrix.json"
            ) from None
        return subjects
    raise InputError("no such file or directory", path=source, fix="pass a matrix directory or a matrix.json")
