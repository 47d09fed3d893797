"""The real matrix is valid, canonical, compiled and rendered: what CI enforces on every change to matrices/."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from dlenv.matrix.canonical import canonical_text, load_yaml_file
from dlenv.matrix.compile import is_up_to_date
from dlenv.matrix.schemas import COMPILED_PATH, read_schema_dir
from dlenv.matrix.validate import ValidationReport, matrix_files
from tests.matrix.conftest import MATRICES, ROOT, SUBJECT_FILES, require_file


def test_every_file_passes_schema_and_invariants(report: ValidationReport) -> None:
    assert report.files, "no matrix files found in matrices/"
    assert [str(problem) for problem in report.problems] == []


@pytest.mark.parametrize("subject", SUBJECT_FILES)
def test_each_file_equals_its_canonical_dump(subject: str) -> None:
    path = require_file(subject)
    text = path.read_text(encoding="utf-8")
    assert canonical_text(text, path, read_schema_dir(MATRICES / "schema")) == text, (
        f"{path} is not in canonical form: run python scripts/format_matrix.py --force"
    )


def test_only_known_files_are_in_matrices() -> None:
    unexpected = sorted(path.name for path in matrix_files(MATRICES) if path.stem not in SUBJECT_FILES)
    assert unexpected == [], "in-house data belongs in a user overlay (--matrix DIR), not in matrices/"


def test_each_file_holds_the_subject_it_is_named_for(report: ValidationReport) -> None:
    for subject, rows in report.merged.subjects.items():
        assert [Path(path).name for path in rows.paths] == [f"{subject}.yaml"]


def test_compiled_matrix_is_up_to_date() -> None:
    assert is_up_to_date(MATRICES, COMPILED_PATH), (
        f"{COMPILED_PATH.relative_to(ROOT)} is stale: run python scripts/compile_matrix.py"
    )


def test_compatibility_pages_are_up_to_date() -> None:
    spec = importlib.util.spec_from_file_location("render_matrix_docs", ROOT / "scripts" / "render_matrix_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--check"]) == 0, "docs/compat/ is stale: run python scripts/render_matrix_docs.py"


def test_the_schemas_define_file_notes_alike() -> None:
    schemas = read_schema_dir(MATRICES / "schema")
    notes = {kind: schema["properties"]["notes"] for kind, schema in schemas.items()}
    lists = {kind: schema["$defs"]["note_list"] for kind, schema in schemas.items()}
    assert len({repr(value) for value in notes.values()}) == 1, "one definition of notes, copied into every schema"
    assert len({repr(value) for value in lists.values()}) == 1
    assert list(notes["cuda"]["properties"]) == ["scope", "method", "left_out", "disagreements"]


def require_cuda_id(value: str) -> str:
    """The naming rule of images.yaml's require_cuda ids: the CUDA floor, then each driver branch the value pins
    (brand=B,driver>=N,driver<N+1 -> rN, first appearance order), then a bare driver>=N floor as minN."""
    first, *conditions = value.split(" ")
    parts = [first.replace("cuda>=", "cuda")]
    for condition in conditions:
        pinned = re.fullmatch(r"brand=\w+,driver>=(\d+),driver<(\d+)", condition)
        floor = re.fullmatch(r"driver>=(\d+)", condition)
        assert pinned or floor, f"{condition!r}: extend the naming rule"
        name = f"r{pinned.group(1)}" if pinned else f"min{floor.group(1) if floor else ''}"
        parts += [] if name in parts else [name]
    return "-".join(parts)


def test_require_cuda_ids_say_what_their_values_pin() -> None:
    document = load_yaml_file(require_file("images"))
    entries = document["require_cuda"]
    assert [entry["id"] for entry in entries] == [require_cuda_id(entry["value"]) for entry in entries]
