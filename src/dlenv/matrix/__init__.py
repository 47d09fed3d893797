"""The compatibility matrix: YAML sources in matrices/, a compiled matrix.json at run time, one door: load_matrix().

Heavy modules (yaml, jsonschema) are imported only by the modules that need them, so importing this package is cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dlenv.matrix.load import load_matrix as load_matrix
    from dlenv.matrix.model import Framework as Framework
    from dlenv.matrix.model import Matrix as Matrix

__all__ = ["Framework", "Matrix", "load_matrix"]


def __getattr__(name: str) -> Any:
    # Lazy re-exports: `from dlenv.matrix import load_matrix` works without importing json/model at package import.
    if name == "load_matrix":
        from dlenv.matrix.load import load_matrix

        return load_matrix
    if name in ("Matrix", "Framework"):
        from dlenv.matrix import model

        return getattr(model, name)
    raise AttributeError(name)
