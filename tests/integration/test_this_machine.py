"""doctor and probe on this very machine, as whole processes: the real NVML (or its absence), the real filesystem,
the installed entry point. Whatever the machine holds, they answer with a report, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys


def dlenv(*args: str) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("CONDA_OVERRIDE", "UV_"))}
    return subprocess.run(
        [sys.executable, "-m", "dlenv", *args], capture_output=True, text=True, env=environment, timeout=60, check=False
    )


def test_this_machine_never_crashes() -> None:
    result = dlenv("doctor", "--format", "json")
    assert result.returncode in (0, 1), result.stderr
    assert "Traceback" not in result.stderr
    report = json.loads(result.stdout)
    assert report["host"]["origin"] == "probe"
    probe = dlenv("probe")
    assert probe.returncode == 0 and json.loads(probe.stdout)["schema_version"] == 1
    text = dlenv("doctor")
    assert text.returncode in (0, 1) and "Traceback" not in text.stderr and "Findings" in text.stdout
