"""scripts/compile_matrix.py, format_matrix.py and render_matrix_docs.py over a copy of the mini-matrix."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from tests.unit.matrix.helpers import edit_yaml

SCRIPTS = Path(__file__).resolve().parents[3] / "scripts"


def script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"script_{name}", SCRIPTS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_compile_then_check(matrix_dir: Path, tmp_path: Path) -> None:
    compile_matrix = script("compile_matrix")
    output = tmp_path / "matrix.json"
    arguments = ["--matrices", str(matrix_dir), "--output", str(output)]
    assert compile_matrix.main([*arguments, "--check"]) == 1  # nothing compiled yet
    assert compile_matrix.main(arguments) == 0
    assert compile_matrix.main([*arguments, "--check"]) == 0
    edit_yaml(matrix_dir / "jax.yaml", lambda doc: doc.update(matrix_version="2026.11.02"))
    assert compile_matrix.main([*arguments, "--check"]) == 1


def test_compile_refuses_an_invalid_matrix(
    matrix_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit_yaml(matrix_dir / "pytorch.yaml", lambda doc: doc["builds"][1].update(cuda="12.2"))
    output = tmp_path / "matrix.json"
    assert script("compile_matrix").main(["--matrices", str(matrix_dir), "--output", str(output)]) == 2
    assert not output.exists()
    assert "CUDA 12.2 is not in cuda.yaml" in capsys.readouterr().err


def test_format_prints_a_diff_and_writes_only_with_force(matrix_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    format_matrix = script("format_matrix")
    path = matrix_dir / "jax.yaml"
    canonical = path.read_text(encoding="utf-8")
    path.write_text(canonical.replace('"0.4.35"', "'0.4.35'"), encoding="utf-8")
    assert format_matrix.main([str(matrix_dir)]) == 1
    assert "-  - version: '0.4.35'" in capsys.readouterr().out
    assert path.read_text(encoding="utf-8") != canonical
    assert format_matrix.main([str(path), "--force"]) == 0
    assert path.read_text(encoding="utf-8") == canonical
    assert format_matrix.main([str(matrix_dir)]) == 0


def test_render_docs_then_check(matrix_dir: Path, tmp_path: Path) -> None:
    render = script("render_matrix_docs")
    out = tmp_path / "compat"
    arguments = ["--matrices", str(matrix_dir), "--out", str(out)]
    assert render.main(arguments) == 0
    assert sorted(path.name for path in out.iterdir()) == [
        "README.md",
        "cuda.md",
        "cupy.md",
        "gpus.md",
        "jax.md",
        "pytorch.md",
        "rapids.md",
        "tensorflow.md",
    ]
    page = (out / "pytorch.md").read_text(encoding="utf-8")
    assert page.startswith(render.MARKER)
    assert "| 2.5.1 | cu124 | torch | 12.4 | 9.1.0.70 | 525.60.13* | linux-x86_64 | default |" in page
    assert render.main([*arguments, "--check"]) == 0
    edit_yaml(matrix_dir / "jax.yaml", lambda doc: doc.update(subject="acme-jax"))
    assert render.main([*arguments, "--check"]) == 1  # jax.md stale, acme-jax.md missing
    assert render.main(arguments) == 0
    assert not (out / "jax.md").exists() and (out / "acme-jax.md").exists()
