"""The real matrix in matrices/: read once per session; tests about a subject skip while its file is absent."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlenv.matrix.model import Framework, Matrix
from dlenv.matrix.validate import ValidationReport, validate_directory

ROOT = Path(__file__).resolve().parents[2]
MATRICES = ROOT / "matrices"
SUBJECT_FILES = ("cuda", "gpus", "pytorch", "tensorflow", "jax", "cupy", "rapids", "images")


def require_file(subject: str) -> Path:
    path = MATRICES / f"{subject}.yaml"
    assert path.is_file(), f"matrices/{subject}.yaml is missing"
    return path


@pytest.fixture(scope="session")
def report() -> ValidationReport:
    return validate_directory(MATRICES)


@pytest.fixture(scope="session")
def matrix(report: ValidationReport) -> Matrix:
    return Matrix.from_documents(report.merged.documents())


def framework(matrix: Matrix, subject: str) -> Framework:
    require_file(subject)
    found = matrix.framework(subject)
    assert found is not None, f"matrices/{subject}.yaml holds no {subject} subject"
    return found
