"""Fixtures over the frozen mini-matrix in tests/data/matrices/ (small, hand-checked, never refreshed)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from dlenv.matrix import load
from dlenv.matrix.compile import compile_directory, write_compiled
from dlenv.matrix.model import Matrix
from dlenv.matrix.validate import validate_directory
from tests.unit.matrix.helpers import MINI, SCHEMAS


@pytest.fixture(autouse=True)
def _fresh_matrix_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Each test loads its own matrix; overlay caches go to a temporary XDG_CACHE_HOME."""
    load.clear_cache()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("DLENV_MATRIX", raising=False)
    yield
    load.clear_cache()


@pytest.fixture
def mini_matrix() -> Matrix:
    report = validate_directory(MINI)
    assert report.problems == []
    return Matrix.from_documents(report.merged.documents())


@pytest.fixture
def matrix_dir(tmp_path: Path) -> Path:
    """A writable copy of the mini-matrix with its schemas (matrices/ layout)."""
    target = tmp_path / "matrices"
    shutil.copytree(MINI, target)
    shutil.copytree(SCHEMAS, target / "schema")
    return target


@pytest.fixture
def shipped_mini(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, matrix_dir: Path) -> Path:
    """The mini-matrix compiled and installed as the shipped matrix.json for load_matrix()."""
    compiled_path = tmp_path / "compiled" / "matrix.json"
    write_compiled(compile_directory(matrix_dir), compiled_path)
    monkeypatch.setattr(load, "COMPILED_PATH", compiled_path)
    return compiled_path
