"""`dlenv fleet collect --dask` on a real Dask scheduler and three workers (separate processes on 127.0.0.1), each
worker seeing its own node's GPU facts, then the fleet answer."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.fleet.engines import DaskCluster, environment, wrapper_script
from tests.unit.fleet.fleet_data import NODE_FACTS, lines_of

pytestmark = pytest.mark.integration


def _dlenv(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dlenv", *args],
        capture_output=True,
        text=True,
        env=environment(),
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("how", ["address", "scheduler-file"])
def test_collect_every_worker_then_answer(
    dask_cluster: DaskCluster, node_hosts: Path, tmp_path: Path, evidence: Path | None, how: str
) -> None:
    probe = wrapper_script(tmp_path, node_hosts, "FLEET_NODE")
    reports = tmp_path / "dask.jsonl"
    where = (
        ["--dask", dask_cluster.address]
        if how == "address"
        else ["--dask-scheduler-file", str(dask_cluster.scheduler_file)]
    )
    collected = _dlenv("fleet", "collect", *where, "--probe-command", str(probe), "--timeout", "30", "-o", str(reports))
    assert collected.returncode == 0, collected.stderr
    lines = {line["node"]: line for line in lines_of(reports)}
    assert sorted(lines) == sorted(NODE_FACTS)
    for node, (driver, _, _) in NODE_FACTS.items():
        assert lines[node]["source"] == "dask"
        assert lines[node]["host"]["driver"]["version"] == driver
    answer = _dlenv("fleet", "resolve", "torch", "--reports", str(reports), "--format", "json")
    assert answer.returncode == 0, answer.stderr
    document = json.loads(answer.stdout)
    assert len(document["pools"]) == 3 and document["stack"][0]["release"]
    if evidence is not None and how == "address":
        (evidence / "dask-reports.jsonl").write_text(reports.read_text())
        (evidence / "dask-answer.json").write_text(answer.stdout)
        text = _dlenv("fleet", "resolve", "torch", "--reports", str(reports))
        (evidence / "dask-answer.txt").write_text(text.stdout)


def test_a_failing_worker_probe_is_reported(dask_cluster: DaskCluster, tmp_path: Path) -> None:
    reports = tmp_path / "dask.jsonl"
    collected = _dlenv(
        "fleet", "collect", "--dask", dask_cluster.address, "--probe-command", "false", "-o", str(reports)
    )
    assert collected.returncode == 1
    assert [("error" in line) for line in lines_of(reports)] == [True, True, True]
