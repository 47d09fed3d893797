"""`dlenv matrix ...` through typer's CliRunner: exit codes, JSON on stdout, problems on stderr."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dlenv.cli import app
from dlenv.errors import InputError
from tests.unit.matrix.helpers import MINI, edit_yaml

runner = CliRunner()


@pytest.fixture(autouse=True)
def _shipped(shipped_mini: Path) -> None:
    """Every CLI test runs against the mini-matrix installed as the shipped one."""


def test_show_json(tmp_path: Path) -> None:
    result = runner.invoke(app, ["matrix", "show", "torch==2.4.1", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["schema_version"] == 1 and data["command"] == "show"
    assert data["title"] == "pytorch 2.4.1"
    assert [row["build"] for row in data["rows"]] == ["cu118", "cu121", "cpu"]


def test_show_text_renders_a_table() -> None:
    result = runner.invoke(app, ["matrix", "show", "RTX 4090"])
    assert result.exit_code == 0
    assert "GeForce RTX 4090" in result.stdout and "8.9" in result.stdout


def test_show_an_unknown_name_is_an_input_error() -> None:
    result = runner.invoke(app, ["matrix", "show", "Voodoo"])
    assert isinstance(result.exception, InputError) and result.exception.exit_code == 2


def test_validate_a_good_overlay_and_the_default(tmp_path: Path) -> None:
    result = runner.invoke(app, ["matrix", "validate", str(MINI)])
    assert result.exit_code == 0 and "matrix OK: 8 file(s) checked" in result.stderr
    assert result.stdout == ""


def test_validate_of_the_source_tree_by_path_is_not_layered_over_itself() -> None:
    from dlenv.matrix.schemas import source_matrix_dir

    source = source_matrix_dir()
    assert source is not None
    result = runner.invoke(app, ["matrix", "validate", str(source)])
    assert "duplicate row" not in result.stderr
    assert result.exit_code == 0, result.stderr[:500]


def test_validate_reports_every_problem_and_exits_2(matrix_dir: Path) -> None:
    edit_yaml(matrix_dir / "pytorch.yaml", lambda doc: doc["builds"][1].update(cuda="12.2"))
    edit_yaml(matrix_dir / "gpus.yaml", lambda doc: doc["gpus"][2].update(architecture="Turring"))
    result = runner.invoke(app, ["matrix", "validate", str(matrix_dir), "--standalone"])
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"{matrix_dir}/gpus.yaml:gpus[2] (gpu T4).architecture:")
    assert lines[1].startswith(f"{matrix_dir}/pytorch.yaml:builds[1] (release 2.4.1, build cu121).cuda:")


def test_validate_json(matrix_dir: Path) -> None:
    edit_yaml(matrix_dir / "pytorch.yaml", lambda doc: doc["builds"][1].update(cuda="12.2"))
    result = runner.invoke(app, ["matrix", "validate", str(matrix_dir), "--format", "json"])
    assert result.exit_code == 2
    data = json.loads(result.stdout)
    assert data["schema_version"] == 1 and data["ok"] is False
    assert data["problems"][0]["where"] == "builds[1] (release 2.4.1, build cu121).cuda"
    assert data["problems"][0]["problem"] == "CUDA 12.2 is not in cuda.yaml"


def test_stats_json_with_an_overlay_from_the_environment(matrix_dir: Path, tmp_path: Path) -> None:
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    (overlay / "jax.yaml").write_text(
        (matrix_dir / "jax.yaml")
        .read_text(encoding="utf-8")
        .replace("subject: jax", "subject: acme-jax")
        .replace("jax-cuda12", "acme-jax-cuda12"),
        encoding="utf-8",
    )
    result = runner.invoke(app, ["matrix", "stats", "--format", "json"], env={"DLENV_MATRIX": str(overlay)})
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    subjects = {entry["subject"]: entry for entry in data["subjects"]}
    assert subjects["acme-jax"]["rows"] == {"releases": 1, "builds": 1}
    assert data["schema_version"] == 1 and data["matrix_version"] == "2026.11.01"


def test_stats_text() -> None:
    result = runner.invoke(app, ["matrix", "stats"])
    assert result.exit_code == 0
    assert "pytorch" in result.stdout and "2.5.1" in result.stdout and "days old" in result.stdout


def test_diff_two_directories(matrix_dir: Path) -> None:
    edit_yaml(matrix_dir / "pytorch.yaml", lambda doc: doc["builds"].pop(2))
    result = runner.invoke(app, ["matrix", "diff", str(MINI), str(matrix_dir), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [(c["change"], c["label"]) for c in data["changes"]] == [("removed", "release 2.4.1, build cpu")]
    text = runner.invoke(app, ["matrix", "diff", str(MINI), str(matrix_dir)])
    assert "- pytorch builds: release 2.4.1, build cpu" in text.stdout


def test_diff_against_a_compiled_matrix(shipped_mini: Path) -> None:
    result = runner.invoke(app, ["matrix", "diff", str(shipped_mini), str(MINI), "--format", "json"])
    assert result.exit_code == 0 and json.loads(result.stdout)["changes"] == []


def test_diff_of_a_missing_path_is_an_input_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["matrix", "diff", str(tmp_path / "a"), str(MINI)])
    assert isinstance(result.exception, InputError)
