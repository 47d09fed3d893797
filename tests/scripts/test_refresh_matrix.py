"""scripts/refresh_matrix.py (dlenv.matrix.refresh.cli) against recorded index responses on a loopback server."""

from __future__ import annotations

import datetime
import io
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from packaging.version import Version

from dlenv import records
from dlenv.matrix.canonical import dump_yaml, load_yaml_text
from dlenv.matrix.model import RefreshPolicy, RefreshScope
from dlenv.matrix.refresh.cli import main, shipped_policies
from tests.unit.index.server import IndexServer, closed_port, serve

ROOT = Path(__file__).resolve().parents[2]
TODAY = "2026-11-24"

PYTORCH: dict[str, Any] = {
    "schema_version": 1,
    "matrix_version": "2026.01.01",
    "subject": "pytorch",
    "releases": [
        {"version": "2.5.0", "released": "2024-10-17", "python": ["3.12"], "source": ["index:torch/2.5.0"]},
        {
            "version": "2.8.0",
            "released": "2025-08-06",
            "python": ["3.12"],
            "companions": {"torchaudio": "2.8.0", "torchvision": "0.23.0"},
            "source": ["index:torch/2.8.0"],
        },
        {
            "version": "2.9.0",
            "released": "2025-01-01",
            "python": ["3.12"],
            "notes": "curated release note",
            "source": ["https://example.invalid/release-notes/2.9.0"],
        },
    ],
    "builds": [
        {
            "release": "2.9.0",
            "build": "cu128",
            "packages": ["torch"],
            "accelerator": "cuda",
            "cuda": "12.8",
            "cudnn": "9.10.2.21",
            "sass": ["7.5", "8.0", "9.0", "10.0", "12.0"],
            "ptx": ["12.0"],
            "platforms": ["linux-x86_64"],
            "glibc": "2.17",
            "default_on": ["linux-x86_64"],
            "notes": "curated build note",
            "source": ["https://example.invalid/build-notes/2.9.0"],
        },
        {
            "release": "2.9.0",
            "build": "cu126",
            "packages": ["torch"],
            "accelerator": "cuda",
            "cuda": "12.6",
            "sass": ["5.0", "9.0"],
            "platforms": ["linux-x86_64"],
            "default_on": [],
            "index_url": "https://example.invalid/whl/cu126",
            "source": ["https://example.invalid/whl/cu126/torch/"],
        },
    ],
}

COMMENT = "# PyTorch matrix (test copy).\n"


@pytest.fixture
def server() -> Iterator[IndexServer]:
    with serve() as state:
        yield state


@pytest.fixture
def matrices(tmp_path: Path) -> Path:
    directory = tmp_path / "matrices"
    directory.mkdir()
    (directory / "pytorch.yaml").write_text(COMMENT + dump_yaml(PYTORCH), encoding="utf-8")
    return directory


def run(
    server: IndexServer, matrices: Path, *arguments: str, policies: Mapping[str, RefreshPolicy] | None = None
) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    argv = ["--index-url", server.simple_url, "--matrices", str(matrices), "--today", TODAY, "--retries", "1"]
    code = main([*argv, *arguments], stdout=out, stderr=err, policies=policies)
    return code, out.getvalue(), err.getvalue()


def _doc(path: Path) -> dict[str, Any]:
    return load_yaml_text(path.read_text(encoding="utf-8"), path)


def _release(doc: dict[str, Any], version: str) -> dict[str, Any]:
    return next(row for row in doc["releases"] if row["version"] == version)


def _builds(doc: dict[str, Any], version: str) -> dict[str, dict[str, Any]]:
    return {row["build"]: row for row in doc["builds"] if row["release"] == version}


def test_missing_reports_index_releases_absent_from_the_matrix(server: IndexServer, matrices: Path) -> None:
    before = (matrices / "pytorch.yaml").read_bytes()
    code, out, err = run(server, matrices, "--missing", "--subject", "pytorch")
    assert code == 1
    assert "on the index, missing from the matrix: 1 (2.9.1)" in out  # 1.7.1 is below the torch floor
    assert "in the matrix, not on the index: 1 (2.5.0)" in out
    assert "missing releases: 1" in out
    assert "reading" in err  # progress goes to stderr
    assert (matrices / "pytorch.yaml").read_bytes() == before
    assert server.paths() == ["/simple/torch/"]  # --missing reads the release projects' pages only


def test_missing_exits_0_when_nothing_is_missing(server: IndexServer, matrices: Path) -> None:
    doc = _doc(matrices / "pytorch.yaml")
    doc["releases"].append({"version": "2.9.1", "python": ["3.12"], "source": ["index:torch/2.9.1"]})
    (matrices / "pytorch.yaml").write_text(dump_yaml(doc), encoding="utf-8")
    code, out, _ = run(server, matrices, "--missing", "--subject", "pytorch")
    assert code == 0
    assert "missing releases: 0" in out


def test_without_force_prints_a_diff_and_writes_nothing(server: IndexServer, matrices: Path) -> None:
    path = matrices / "pytorch.yaml"
    before = path.read_bytes()
    stamp = path.stat().st_mtime_ns
    code, out, _ = run(server, matrices, "--subject", "pytorch")
    assert code == 1
    assert f"--- {path}" in out and f"+++ {path} (refreshed)" in out
    assert '+  - version: "2.9.1"' in out
    assert "would change; run with --force" in out
    assert path.read_bytes() == before and path.stat().st_mtime_ns == stamp
    assert [p.name for p in matrices.iterdir()] == ["pytorch.yaml"]


def test_force_merges_new_releases_and_keeps_curated_fields(server: IndexServer, matrices: Path) -> None:
    code, out, _ = run(server, matrices, "--subject", "pytorch", "--force")
    assert code == 0, out
    path = matrices / "pytorch.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.startswith(COMMENT)
    doc = _doc(path)
    assert doc["matrix_version"] == "2026.11.24"
    assert [row["version"] for row in doc["releases"]] == ["2.5.0", "2.8.0", "2.9.0", "2.9.1"]  # 1.7.1: below floor

    new = _release(doc, "2.9.1")
    assert new["released"] == "2025-11-12"
    assert new["python"] == ["3.10", "3.12", "3.14t"]
    assert new["companions"] == {"torchaudio": "2.9.1", "torchvision": "0.24.1"}
    assert new["source"][0] == "index:torch/2.9.1"
    assert "index:torchvision/0.24.1" in new["source"]
    assert "yanked" not in new

    (build,) = _builds(doc, "2.9.1").values()
    assert build == {
        "release": "2.9.1",
        "build": "cu128",
        "packages": ["torch"],
        "accelerator": "cuda",
        "cuda": "12.8",
        "cudnn": "9.10.2.21",
        "nccl": "2.27.5",
        "platforms": ["linux-x86_64"],
        "glibc": "2.28",
        "default_on": ["linux-x86_64"],
        "source": ["index:torch/2.9.1/torch-2.9.1-cp312-cp312-manylinux_2_28_x86_64.whl"],
    }

    updated = _release(doc, "2.9.0")
    assert updated["released"] == "2025-10-15"
    assert updated["python"] == ["3.12", "3.13t"]
    assert updated["notes"] == "curated release note"
    assert updated["companions"] == {"torchaudio": "2.9.0", "torchvision": "0.24.0"}
    assert updated["source"][0] == "https://example.invalid/release-notes/2.9.0"
    assert "index:torch/2.9.0" in updated["source"]

    builds = _builds(doc, "2.9.0")
    assert set(builds) == {"cu128", "cu126"}
    assert builds["cu128"]["glibc"] == "2.28"  # index-derived: updated
    assert builds["cu128"]["nccl"] == "2.27.5"
    assert builds["cu128"]["sass"] == ["7.5", "8.0", "9.0", "10.0", "12.0"]  # curated: kept
    assert builds["cu128"]["ptx"] == ["12.0"]
    assert builds["cu128"]["notes"] == "curated build note"
    assert builds["cu126"] == PYTORCH["builds"][1]  # another build: untouched

    assert _release(doc, "2.8.0")["companions"] == {"torchaudio": "2.8.0", "torchvision": "0.23.0"}
    assert _release(doc, "2.5.0") == PYTORCH["releases"][0]  # not on the index: reported, never removed
    assert "releases added: 1 (2.9.1)" in out


def test_second_run_changes_nothing(server: IndexServer, matrices: Path) -> None:
    assert run(server, matrices, "--subject", "pytorch", "--force")[0] == 0
    after = (matrices / "pytorch.yaml").read_bytes()
    code, out, _ = run(server, matrices, "--subject", "pytorch")
    assert code == 0
    assert "nothing to change" in out
    assert (matrices / "pytorch.yaml").read_bytes() == after


def test_force_writes_through_the_atomic_writer(
    server: IndexServer, matrices: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The refresh writes with dlenv.files.write_atomically (tests/unit/test_files.py: never a half-written file, no
    temporary left behind); a failing write leaves the file as it was and says so."""
    from dlenv.matrix.refresh import run as refresh_run

    path = matrices / "pytorch.yaml"
    before = path.read_bytes()
    written: list[Path] = []

    def failing_write(target: Path, data: str) -> None:
        written.append(target)
        assert data.startswith(COMMENT)
        raise OSError("disk full")

    monkeypatch.setattr(refresh_run, "write_atomically", failing_write)
    with pytest.raises(OSError, match="disk full"):
        run(server, matrices, "--subject", "pytorch", "--force")
    assert written == [path]
    assert path.read_bytes() == before
    assert [p.name for p in matrices.iterdir()] == ["pytorch.yaml"]

    monkeypatch.undo()
    assert run(server, matrices, "--subject", "pytorch", "--force")[0] == 0
    assert path.read_bytes() != before


def test_new_release_without_enough_index_facts_gets_no_build(server: IndexServer, tmp_path: Path) -> None:
    matrices = tmp_path / "m"
    matrices.mkdir()
    doc = {
        "schema_version": 1,
        "matrix_version": "2026.01.01",
        "subject": "tensorflow",
        "releases": [
            {"version": "1.15.5", "released": "2021-01-06", "python": ["3.7"], "source": ["index:tensorflow/1.15.5"]},
            {"version": "2.20.0", "released": "2025-08-13", "python": ["3.12"], "source": ["index:tensorflow/2.20.0"]},
        ],
        "builds": [],
    }
    (matrices / "tensorflow.yaml").write_text(dump_yaml(doc), encoding="utf-8")
    code, out, _ = run(server, matrices, "--missing", "--subject", "tensorflow")
    assert code == 1 and "missing from the matrix: 1 (2.21.0)" in out  # 1.14.0 is out of scope
    code, out, _ = run(server, matrices, "--subject", "tensorflow", "--force")
    assert code == 0, out
    written = _doc(matrices / "tensorflow.yaml")
    assert _release(written, "2.21.0") == {
        "version": "2.21.0",
        "released": "2026-03-06",
        "python": ["3.12", "3.13"],
        "source": ["index:tensorflow/2.21.0"],
    }
    assert written["builds"] == []  # TensorFlow's CUDA facts live in build_info.py, not Requires-Dist
    assert "need curation" in out
    assert "projects not on this index: 2 (tensorflow-cpu, tensorflow-gpu)" in out


def test_window_policy_for_cupy(server: IndexServer, tmp_path: Path) -> None:
    matrices = tmp_path / "m"
    matrices.mkdir()
    code, out, err = run(server, matrices, "--missing", "--subject", "cupy")
    assert code == 1
    assert "missing from the matrix: 3 (12.3.0, 13.5.1, 13.6.0)" in out
    assert "absent" in err
    policies = shipped_policies()
    policies["cupy"] = records.replace(policies["cupy"], scope=RefreshScope(since=datetime.date(2024, 1, 1)))
    code, out, _ = run(server, matrices, "--missing", "--subject", "cupy", policies=policies)
    assert "missing from the matrix: 2 (13.5.1, 13.6.0)" in out


@pytest.mark.parametrize(
    ("subject", "version", "released", "expected"),
    [
        ("pytorch", "1.7.1", None, False),
        ("pytorch", "1.8.0", None, True),
        ("pytorch", "2.10.0rc1", None, False),
        ("tensorflow", "1.14.0", None, False),
        ("tensorflow", "1.15.5", None, True),
        ("tensorflow", "2.0.0", None, True),
        ("rapids", "21.02.00", None, False),
        ("rapids", "21.6.0", None, True),
        ("jax", "0.4.19", "2023-10-03", False),
        ("jax", "0.4.20", "2023-11-07", True),
        ("jax", "0.4.20", None, False),
    ],
)
def test_scope_policy(subject: str, version: str, released: str | None, expected: bool) -> None:
    when = datetime.date.fromisoformat(released) if released else None
    assert shipped_policies()[subject].scope.covers(Version(version), when) is expected


def test_policy_tables_cover_the_same_subjects() -> None:
    assert set(shipped_policies()) == {"pytorch", "tensorflow", "jax", "cupy", "rapids"}


def test_network_failure_exits_with_the_index_code(matrices: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    url = f"http://127.0.0.1:{closed_port()}/simple/"
    argv = ["--index-url", url, "--matrices", str(matrices), "--retries", "0", "--missing"]
    code = main(argv, stdout=out, stderr=err)
    assert code == 4
    errors = [line for line in err.getvalue().splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "connection failed" in errors[0] and "fix:" in errors[0]


def test_bad_matrix_file_exits_2(server: IndexServer, matrices: Path) -> None:
    (matrices / "pytorch.yaml").write_text("schema_version: [\n", encoding="utf-8")
    code, _, err = run(server, matrices, "--subject", "pytorch")
    assert code == 2 and "YAML syntax error" in err


def test_index_failures_are_retried(server: IndexServer, matrices: Path) -> None:
    server.failures["/simple/torch/"] = [503]
    code, out, _ = run(server, matrices, "--missing", "--subject", "pytorch")
    assert code == 1 and "missing releases: 1" in out
    assert server.paths().count("/simple/torch/") == 2


def test_yanked_releases_are_marked_and_never_required(tmp_path: Path, matrices: Path) -> None:
    import json
    import shutil

    from tests.unit.index.server import DATA

    root = tmp_path / "index"
    shutil.copytree(DATA, root)
    page_path = root / "simple" / "torch" / "index.json"
    page = json.loads(page_path.read_text(encoding="utf-8"))
    for entry in page["files"]:
        if "-2.9.1-" in entry["filename"] or "-2.8.0-" in entry["filename"]:
            entry["yanked"] = "broken wheels"
    page_path.write_text(json.dumps(page), encoding="utf-8")
    with serve(root) as server:
        code, out, _ = run(server, matrices, "--missing", "--subject", "pytorch")
        assert code == 0 and "missing releases: 0" in out  # 2.9.1 is yanked everywhere
        code, out, _ = run(server, matrices, "--subject", "pytorch", "--force")
        assert code == 0, out
    doc = _doc(matrices / "pytorch.yaml")
    assert _release(doc, "2.8.0")["yanked"] is True
    assert "2.9.1" not in [row["version"] for row in doc["releases"]]


def test_rapids_releases_are_yy_mm_series(server: IndexServer, tmp_path: Path) -> None:
    matrices = tmp_path / "m"
    matrices.mkdir()
    doc = {
        "schema_version": 1,
        "matrix_version": "2026.01.01",
        "subject": "rapids",
        "releases": [{"version": "24.08", "python": ["3.11"], "source": ["index:dask-cuda/24.8.0"]}],
        "builds": [],
    }
    (matrices / "rapids.yaml").write_text(dump_yaml(doc), encoding="utf-8")
    code, out, _ = run(server, matrices, "--missing", "--subject", "rapids")
    assert code == 1
    assert "missing from the matrix: 2 (25.10, 26.10)" in out  # 24.8.1 and 24.8.3 are release 24.08
    assert "projects not on this index: 2 (cudf-cu11, cudf-cu13)" in out
    code, out, _ = run(server, matrices, "--subject", "rapids", "--force")
    assert code == 0 and "nothing to change" in out
    assert "25.10: Python list not derivable from wheel tags; not added" in out  # curated for RAPIDS


def _with_refresh_block(matrices: Path, refresh: dict[str, Any]) -> None:
    path = matrices / "pytorch.yaml"
    doc = _doc(path)
    doc["family"] = {"refresh": refresh, "source": ["index:torch/2.9.1"]}
    path.write_text(COMMENT + dump_yaml(doc), encoding="utf-8")


def test_the_policy_is_read_from_the_files_family_block(server: IndexServer, matrices: Path) -> None:
    _with_refresh_block(matrices, {"release_projects": ["torch"], "python_projects": ["torch"], "scope": {}})
    code, out, _ = run(server, matrices, "--missing", "--subject", "pytorch")
    assert code == 1 and "missing from the matrix: 2 (1.7.1, 2.9.1)" in out  # no floor in this file's scope
    _with_refresh_block(
        matrices, {"release_projects": ["torch"], "python_projects": ["torch"], "scope": {"min_version": "3.0"}}
    )
    code, out, _ = run(server, matrices, "--missing", "--subject", "pytorch")
    assert code == 0 and "missing releases: 0" in out


def test_a_bad_refresh_block_exits_2_naming_the_field(server: IndexServer, matrices: Path) -> None:
    _with_refresh_block(matrices, {"release_projects": "torch", "python_projects": []})
    code, _, err = run(server, matrices, "--missing", "--subject", "pytorch")
    assert code == 2
    assert "pytorch.yaml:family.refresh.release_projects" in err and "fix:" in err
    assert server.paths() == []  # refused before the index is read
