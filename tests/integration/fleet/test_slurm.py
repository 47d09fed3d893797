"""`dlenv fleet collect --slurm` on a real three-node Slurm cluster (each node its own GPU facts), then the
fleet answer; a node taken DOWN is reported, not dropped."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.fleet.engines import SlurmCluster, wrapper_script
from tests.unit.fleet.fleet_data import NODE_FACTS, lines_of

pytestmark = pytest.mark.integration


def _dlenv(cluster: SlurmCluster, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dlenv", *args],
        capture_output=True,
        text=True,
        env=cluster.env,
        timeout=120,
        check=False,
    )


def test_collect_every_node_then_answer(
    slurm_cluster: SlurmCluster, node_hosts: Path, tmp_path: Path, evidence: Path | None
) -> None:
    probe = wrapper_script(tmp_path, node_hosts, "SLURMD_NODENAME")
    reports = tmp_path / "slurm.jsonl"
    collected = _dlenv(
        slurm_cluster,
        "fleet",
        "collect",
        "--slurm",
        "--partition",
        "debug",
        "--probe-command",
        str(probe),
        "--timeout",
        "30",
        "-o",
        str(reports),
    )
    assert collected.returncode == 0, collected.stderr
    lines = {line["node"]: line for line in lines_of(reports)}
    assert sorted(lines) == sorted(NODE_FACTS)
    for node, (driver, _, python) in NODE_FACTS.items():
        host = lines[node]["host"]
        assert lines[node]["source"] == "slurm"
        assert host["driver"]["version"] == driver and host["platform"]["python_version"] == python
    answer = _dlenv(slurm_cluster, "fleet", "resolve", "torch", "--reports", str(reports), "--format", "json")
    assert answer.returncode == 0, answer.stderr
    document = json.loads(answer.stdout)
    assert len(document["pools"]) == 3 and document["stack"][0]["release"]
    text = _dlenv(slurm_cluster, "fleet", "resolve", "torch", "--reports", str(reports))
    if evidence is not None:
        (evidence / "slurm-reports.jsonl").write_text(reports.read_text())
        (evidence / "slurm-answer.json").write_text(answer.stdout)
        (evidence / "slurm-answer.txt").write_text(text.stdout)


def test_a_down_node_is_reported_not_dropped(
    slurm_cluster: SlurmCluster, node_hosts: Path, tmp_path: Path, evidence: Path | None
) -> None:
    down = slurm_cluster.run("scontrol", "update", "NodeName=node3", "State=DOWN", "Reason=dlenv-test")
    assert down.returncode == 0, down.stderr
    try:
        probe = wrapper_script(tmp_path, node_hosts, "SLURMD_NODENAME")
        reports = tmp_path / "partial.jsonl"
        collected = _dlenv(
            slurm_cluster,
            "fleet",
            "collect",
            "--slurm",
            "--probe-command",
            str(probe),
            "--timeout",
            "30",
            "-o",
            str(reports),
        )
        assert collected.returncode == 1  # some node sent no facts
        lines = {line["node"]: line for line in lines_of(reports)}
        assert sorted(lines) == ["node1", "node2", "node3"]
        assert "host" in lines["node1"] and "host" in lines["node2"]
        assert "down" in str(lines["node3"]["error"])
        answer = _dlenv(slurm_cluster, "fleet", "check", "torch==2.5.1", "--reports", str(reports), "--strict")
        assert answer.returncode == 1 and "node3" in answer.stdout and "sent no facts" in answer.stdout
        if evidence is not None:
            (evidence / "slurm-partial.jsonl").write_text(reports.read_text())
            (evidence / "slurm-partial-check.txt").write_text(answer.stdout)
    finally:
        slurm_cluster.run("scontrol", "update", "NodeName=node3", "State=RESUME")
