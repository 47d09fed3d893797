"""`dlenv fleet` as whole processes: collect --from, check/resolve in text, JSON and HTML, manifests, node-report,
exit codes and one-line errors."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import pytest
import yaml

from tests.unit.cli.test_doctor_probe_cli import dlenv
from tests.unit.fleet.fleet_data import NODE_FACTS, lines_of, write_host_files, write_reports


@pytest.fixture
def reports(tmp_path: Path) -> Path:
    nodes: dict[str, tuple[str, tuple[str, ...], str] | str] = dict(NODE_FACTS)
    nodes["node4"] = NODE_FACTS["node1"]
    return write_reports(tmp_path / "fleet.jsonl", nodes)


def test_resolve_json_names_the_stack_pools_and_blockers(reports: Path) -> None:
    result = dlenv("fleet", "resolve", "torch", "--reports", str(reports), "--format", "json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["schema_version"] == 1 and document["kind"] == "resolve"
    assert document["nodes"] == {"total": 4, "reported": 4, "unreported": 0}
    (stack,) = document["stack"]
    assert stack["target"] == "torch" and stack["release"]
    assert [p["node_count"] for p in document["pools"]] == [2, 1, 1]
    chosen = f"torch {stack['release']}"
    assert all(pool["cells"][chosen]["status"] != "incompatible" for pool in document["pools"])
    assert any("node3" in b["nodes"] for b in document["blockers"])


def test_check_text_and_exit_code(reports: Path) -> None:
    result = dlenv("fleet", "check", "torch==2.8.0+cu128", "--reports", str(reports))
    assert result.returncode == 1
    assert "incompatible with some nodes" in result.stdout and "node3" in result.stdout


def test_html_is_one_self_contained_file(reports: Path, tmp_path: Path) -> None:
    out = tmp_path / "fleet.html"
    result = dlenv("fleet", "resolve", "torch", "--reports", str(reports), "--format", "html", "-o", str(out))
    assert result.returncode == 0, result.stderr
    html = out.read_text(encoding="utf-8")
    assert "<table id=grid>" in html and "data-status=" in html
    assert "<script" not in html and "http://" not in html and "https://" not in html


@pytest.mark.parametrize(
    ("line", "where"),
    [("{broken", "line 1"), ('{"schema_version": 1, "node": "a", "source": "s", "host": {"gpus": 3}}', "line 1")],
)
def test_bad_reports_are_one_line_and_exit_2(tmp_path: Path, line: str, where: str) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(line + "\n", encoding="utf-8")
    result = dlenv("fleet", "resolve", "torch", "--reports", str(bad))
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and f"{bad}:{where}" in result.stderr


def test_collect_from_probe_files_and_reports(tmp_path: Path, reports: Path) -> None:
    files = write_host_files(tmp_path)
    out = tmp_path / "all.jsonl"
    args = ["fleet", "collect", "--from", str(files["node1"]), "--from", str(files["node2"]), "-o", str(out)]
    result = dlenv(*args)
    assert result.returncode == 0, result.stderr
    assert [line["node"] for line in lines_of(out)] == ["node1", "node2"]
    again = dlenv(*args)
    assert again.returncode == 2 and "--force" in again.stderr  # never clobbered


def test_collect_needs_one_source() -> None:
    result = dlenv("fleet", "collect")
    assert result.returncode == 2 and "choose one source" in result.stderr


def test_node_report_runs_the_probe_command_seam(tmp_path: Path) -> None:
    files = write_host_files(tmp_path)
    command = shlex.join([sys.executable, "-m", "dlenv", "probe", "--host", str(files["node2"])])
    result = dlenv("fleet", "node-report", "--source", "slurm", "--node", "node2", "--probe-command", command)
    assert result.returncode == 0, result.stderr
    (line,) = [json.loads(text) for text in result.stdout.splitlines()]
    assert line["node"] == "node2" and line["host"]["driver"]["version"] == "535.104.05"


def test_node_report_of_a_failing_probe_is_reported_not_dropped() -> None:
    result = dlenv("fleet", "node-report", "--node", "n", "--probe-command", "false")
    assert result.returncode == 0
    line = json.loads(result.stdout)
    assert line["node"] == "n" and "exited 1" in line["error"]


def test_manifests(tmp_path: Path) -> None:
    result = dlenv("fleet", "manifest", "--kubernetes", "--kind", "job", "--nodes", "3", "--image", "dlenv-probe:1")
    assert result.returncode == 0, result.stderr
    assert yaml.safe_load(result.stdout)["kind"] == "Job"
    missing = dlenv("fleet", "manifest", "--kubernetes", "--kind", "job", "--image", "dlenv-probe:1")
    assert missing.returncode == 2 and "--nodes" in missing.stderr
    script = dlenv("fleet", "manifest", "--slurm", "--nodes", "4")
    assert script.returncode == 0 and script.stdout.startswith("#!/bin/bash")
