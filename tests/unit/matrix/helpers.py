"""Helpers for matrix unit tests: the mini-matrix location and YAML editing in canonical form."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from dlenv.matrix.canonical import dump_yaml, load_yaml_file

MINI = Path(__file__).resolve().parents[2] / "data" / "matrices"
SCHEMAS = Path(__file__).resolve().parents[3] / "matrices" / "schema"

Edit = Callable[[dict[str, Any]], None]


def edit_yaml(path: Path, edit: Edit) -> None:
    """Load a matrix file, change it, write it back in canonical form."""
    doc = load_yaml_file(path)
    edit(doc)
    path.write_text(dump_yaml(doc), encoding="utf-8")


def write_yaml(path: Path, doc: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dump_yaml(doc), encoding="utf-8")
    return path
