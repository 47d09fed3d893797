"""`dlenv doctor` and `dlenv probe` as whole processes: exit codes, JSON, streams, no tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dlenv.host.model import Driver, Framework, Gpu, HostFacts, Platform
from dlenv.host.serialize import host_to_json
from dlenv.records import replace

HEALTHY = HostFacts(
    platform=Platform(system="linux", arch="x86_64", python_version="3.12.3", os_name="Ubuntu 24.04.3 LTS"),
    driver=Driver(version="580.159.04", max_cuda="13.0"),
    gpus=(Gpu(index=0, name="NVIDIA H100 80GB HBM3", compute_capability="9.0", architecture="Hopper"),),
    frameworks=(
        Framework(
            name="torch",
            version="2.11.0",
            origin="pip",
            location="/site",
            family="pytorch",
            local_version="cu130",
            cuda="13.0",
        ),
    ),
)
OLD_DRIVER = replace(HEALTHY, driver=Driver(version="470.82.01", max_cuda="11.4"))


def dlenv(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`dlenv ARGS` run in this process through the real entry point (dlenv.__main__.main: the fast path or typer,
    the one-line errors, the exit code), with the overrides of this machine's environment left out."""
    import contextlib
    import io

    import dlenv.__main__
    from dlenv.matrix.load import clear_cache

    left_out = [key for key in os.environ if key.startswith(("CONDA_OVERRIDE", "UV_"))]
    saved = {key: os.environ.get(key) for key in [*left_out, *(env or {})]}
    stdout, stderr = io.StringIO(), io.StringIO()
    old_argv, code = sys.argv, 0
    try:
        for key in left_out:
            os.environ.pop(key)
        os.environ.update(env or {})
        clear_cache()
        sys.argv = ["dlenv", *args]
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            try:
                dlenv.__main__.main()
            except SystemExit as exit_:
                code = exit_.code if isinstance(exit_.code, int) else 1
    finally:
        sys.argv = old_argv
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        clear_cache()
    return subprocess.CompletedProcess(["dlenv", *args], code, stdout.getvalue(), stderr.getvalue())


def host_file(tmp_path: Path, host: HostFacts, name: str = "host.json") -> str:
    path = tmp_path / name
    path.write_text(host_to_json(host))
    return str(path)


def test_doctor_healthy_host_file_exits_0(tmp_path: Path) -> None:
    result = dlenv("doctor", "--host", host_file(tmp_path, HEALTHY))
    assert result.returncode == 0, result.stderr
    for fact in ("580.159.04", "supports CUDA ≤ 13.0", "NVIDIA H100 80GB HBM3", "9.0", "cu130", "No problems found"):
        assert fact in result.stdout
    assert "\x1b[" not in result.stdout  # not a terminal: no colour codes


def test_doctor_error_finding_exits_1_with_json(tmp_path: Path) -> None:
    result = dlenv("doctor", "--host", host_file(tmp_path, OLD_DRIVER), "--format", "json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert (report["schema_version"], report["ok"]) == (1, False)
    # torch's CUDA 13 build needs a newer driver, and an H100 (Hopper, first supported by R520) is not even seen
    codes = {(finding["code"], finding["severity"]) for finding in report["findings"]}
    assert codes == {("driver_too_old", "error"), ("gpu_needs_newer_driver", "error")}
    assert all(finding["fix"] for finding in report["findings"])
    assert report["host"]["driver"]["version"] == "470.82.01"


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["doctor", "--host", "{missing}"], "cannot read host file"),
        (["doctor", "--host", "{bad}"], "not valid JSON"),
        (["probe", "--driver", "five"], "--driver"),
        (["doctor", "--python", "snake"], "--python"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, args: list[str], needle: str) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    args = [arg.format(missing=tmp_path / "missing.json", bad=bad) for arg in args]
    result = dlenv(*args)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dlenv: error:") and needle in lines[0]
    assert "Traceback" not in result.stderr


def test_probe_writes_atomically_and_never_overwrites_without_force(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    source = host_file(tmp_path, HEALTHY)
    assert dlenv("probe", "--host", source, "-o", str(target)).returncode == 0
    written = json.loads(target.read_text())
    assert written["schema_version"] == 1
    assert written["gpus"][0]["compute_capability"] == "9.0"
    again = dlenv("probe", "--host", source, "-o", str(target))
    assert again.returncode == 2 and "--force" in again.stderr
    assert dlenv("probe", "--host", source, "-o", str(target), "--force").returncode == 0
    assert [path.name for path in tmp_path.iterdir() if path.name.startswith(".")] == []


def test_probe_round_trips_through_doctor(tmp_path: Path) -> None:
    first = tmp_path / "first.json"
    assert dlenv("probe", "--host", host_file(tmp_path, HEALTHY), "-o", str(first)).returncode == 0
    second = dlenv("probe", "--host", str(first))
    assert json.loads(second.stdout)["gpus"] == json.loads(first.read_text())["gpus"]


def test_overrides_are_shown(tmp_path: Path) -> None:
    result = dlenv("doctor", "--host", host_file(tmp_path, HEALTHY), env={"CONDA_OVERRIDE_CUDA": "12.4"})
    assert "CONDA_OVERRIDE_CUDA=12.4" in result.stdout
    assert result.returncode == 1  # torch cu130 on a driver taken to support CUDA 12.4 at most


def test_version_and_help() -> None:
    assert dlenv("--version").stdout.startswith("dlenv ")
    help_text = dlenv("doctor", "--help").stdout
    assert "--host" in help_text and "Exit codes" in help_text
