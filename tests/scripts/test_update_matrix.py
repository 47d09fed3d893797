"""scripts/update_matrix.py over a copy of matrices/ against recorded index responses on a loopback server, and the
weekly workflow that runs it."""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from dlenv.matrix.canonical import load_yaml_file
from dlenv.matrix.compile import is_up_to_date
from dlenv.matrix.schemas import COMPILED_PATH
from tests.unit.index.server import IndexServer, closed_port, serve

ROOT = Path(__file__).resolve().parents[2]
# The scripts import one another by module name, as `python scripts/update_matrix.py` lets them.
sys.path.insert(0, str(ROOT / "scripts"))

import update_matrix  # noqa: E402

TODAY = "2026-12-24"
WORKFLOW = ROOT / ".github" / "workflows" / "update-matrix.yml"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """matrices/, docs/compat/ and matrix.json copied: what the update reads and writes."""
    shutil.copytree(ROOT / "matrices", tmp_path / "matrices")
    shutil.copytree(ROOT / "docs" / "compat", tmp_path / "compat")
    shutil.copyfile(COMPILED_PATH, tmp_path / "matrix.json")
    return tmp_path


@pytest.fixture
def server() -> Iterator[IndexServer]:
    with serve() as state:
        yield state


def snapshot(tree: Path) -> dict[str, str]:
    return {
        str(path.relative_to(tree)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(tree.rglob("*"))
        if path.is_file()
    }


def update(tree: Path, index_url: str, *arguments: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    paths = [
        "--matrices",
        str(tree / "matrices"),
        "--output",
        str(tree / "matrix.json"),
        "--docs",
        str(tree / "compat"),
    ]
    argv = [*paths, "--index-url", index_url, "--subject", "pytorch", "--today", TODAY, "--retries", "0"]
    code = update_matrix.main([*argv, *arguments], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_dry_run_then_force_then_nothing_to_change(tree: Path, server: IndexServer) -> None:
    before = snapshot(tree)
    code, out, _ = update(tree, server.simple_url)
    assert code == 1, out
    assert snapshot(tree) == before  # a dry run writes nothing in the tree
    assert "pytorch (pytorch.yaml):" in out  # the refresh summary
    assert "~ pytorch releases: release 2.9.0" in out  # the row-level diff
    assert f"would change: {tree / 'matrices' / 'pytorch.yaml'}" in out
    assert f"would change: {tree / 'matrix.json'}" in out
    assert "run with --force" in out

    code, out, err = update(tree, server.simple_url, "--force")
    assert code == 0, out
    assert f"wrote {tree / 'matrices' / 'pytorch.yaml'}" in err
    doc = load_yaml_file(tree / "matrices" / "pytorch.yaml")
    row = next(row for row in doc["releases"] if row["version"] == "2.9.0")
    assert row["python"] == ["3.12", "3.13t"]  # what the recorded index's wheels are tagged with
    assert doc["matrix_version"] == "2026.12.24"
    assert is_up_to_date(tree / "matrices", tree / "matrix.json")  # compiled from the refreshed files
    assert "Data as of matrix version 2026.12.24" in (tree / "compat" / "pytorch.md").read_text(encoding="utf-8")
    changed = {name for name, digest in snapshot(tree).items() if before.get(name) != digest}
    assert {"matrices/pytorch.yaml", "matrix.json", "compat/pytorch.md"} <= changed
    assert not any(name.startswith("matrices/schema") for name in changed)

    code, out, _ = update(tree, server.simple_url)
    assert code == 0, out
    assert "nothing to change" in out and "0 added, 0 removed, 0 changed" in out


def test_an_unreachable_index_exits_4_and_writes_nothing(tree: Path) -> None:
    before = snapshot(tree)
    code, _, err = update(tree, f"http://127.0.0.1:{closed_port()}/simple/", "--force")
    assert code == 4
    assert [line for line in err.splitlines() if line.startswith("error:")]
    assert snapshot(tree) == before


def test_a_broken_matrix_file_exits_2_before_the_index_is_read(tree: Path, server: IndexServer) -> None:
    (tree / "matrices" / "pytorch.yaml").write_text("schema_version: [\n", encoding="utf-8")
    code, _, err = update(tree, server.simple_url, "--force")
    assert code == 2 and "YAML syntax error" in err
    assert server.paths() == []


# ---------------------------------------------------------------------------------------------------- the workflow


def test_the_weekly_workflow_runs_the_update_and_proposes_a_pull_request() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` key as true
    assert re.fullmatch(r"\S+ \S+ \S+ \S+ [0-6]", triggers["schedule"][0]["cron"])  # once a week
    assert "workflow_dispatch" in triggers
    (job,) = workflow["jobs"].values()
    assert job["runs-on"] and job["permissions"] == {"contents": "write", "pull-requests": "write"}
    runs = [step.get("run", "") for step in job["steps"]]
    assert "python scripts/update_matrix.py --force" in runs
    tests = next(index for index, run in enumerate(runs) if "pytest tests/matrix" in run)
    uses = [(index, step["uses"]) for index, step in enumerate(job["steps"]) if "uses" in step]
    pull_request = next(index for index, action in uses if action.startswith("peter-evans/create-pull-request@"))
    assert runs.index("python scripts/update_matrix.py --force") < tests < pull_request
    for _, action in uses:  # third-party code runs with a write token: every action pinned to a full commit
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", action), action
