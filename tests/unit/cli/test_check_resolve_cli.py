"""`dlenv check` and `dlenv resolve` as whole processes, over the mini-matrix overlay: formats and exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree

import pytest

from dlenv.host.model import Driver, Framework, Gpu, HostFacts, Platform
from dlenv.host.serialize import host_to_json
from tests.unit.cli.test_doctor_probe_cli import dlenv

MINI = str(Path(__file__).parents[2] / "data" / "engine-matrix")
RTX5090 = ["--gpu", "RTX 5090", "--driver", "570.86.15", "--python", "3.12"]


def run(*args: str):  # type: ignore[no-untyped-def]
    return dlenv(*args, env={"DLENV_MATRIX": MINI, "DLENV_MATRIX_ONLY": "1"})


def test_done_when_rtx_5090_with_cu124_fails_and_names_a_build_that_works() -> None:
    result = run("check", "torch==2.6.0+cu124", *RTX5090, "--format", "json")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert (report["schema_version"], report["compatible"]) == (2, False)
    (entry,) = report["results"]
    assert entry["requirement"] == "torch==2.6.0+cu124"
    assert entry["evaluated"]["build"] == "cu124"
    assert "gpu_arch_unsupported" in [problem["code"] for problem in entry["problems"]]
    assert entry["alternatives"] and entry["alternatives"][0]["install"].startswith("pip install")
    text = run("check", "torch==2.6.0+cu124", *RTX5090)
    assert "no kernel image is available" in text.stdout and "works instead" in text.stdout


def test_done_when_resolve_on_driver_470_explains_newer_releases() -> None:
    result = run("resolve", "torch", "--driver", "470.82.01", "--gpu", "8.6", "--python", "3.10", "--explain")
    assert result.returncode == 0, result.stderr
    assert "cu118" in result.stdout and "--index-url" in result.stdout
    assert "✗ 2.8.0" in result.stdout and "driver_too_old" in result.stdout
    document = json.loads(
        run("resolve", "torch", "--driver", "470.82.01", "--gpu", "8.6", "--python", "3.10", "--format", "json").stdout
    )
    (target,) = document["targets"]
    assert target["cuda"].startswith("11.")
    assert [r["release"] for r in target["rejected_newer"]] == ["2.8.0"]


def test_compatible_exits_0_and_strict_fails_on_warnings() -> None:
    assert run("check", "torch==2.6.0", "--gpu", "A100", "--driver", "550.54.15").returncode == 0
    warning = ["torch==2.6.0+cu124", "--gpu", "A100", "--driver", "535.104.05"]
    assert run("check", *warning).returncode == 0
    assert run("check", *warning, "--strict").returncode == 1


def test_github_and_junit_formats(tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("numpy\ntorch==2.6.0+cu124\n")
    github = run("check", "-r", str(requirements), *RTX5090, "--format", "github")
    assert f"::error file={requirements},line=2,title=dlenv gpu_arch_unsupported::" in github.stdout
    junit = run("check", "-r", str(requirements), *RTX5090, "--format", "junit", "-o", str(tmp_path / "out.xml"))
    assert junit.returncode == 1
    suite = ElementTree.parse(tmp_path / "out.xml").getroot()
    assert (suite.get("tests"), suite.get("failures")) == ("3", "1")


@pytest.mark.parametrize(
    "args",
    [
        ["check"],
        ["check", "torch>>2"],
        ["check", "-r", "/nonexistent/requirements.txt"],
        ["check", "torch", "--gpu", "RTX 9999"],
        ["resolve", "left-pad", "--driver", "550.54.15"],  # a described host: nothing probed in-process
    ],
)
def test_bad_input_exits_2_with_one_line(args: list[str]) -> None:
    result = run(*args)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith("dlenv: error:")


def test_dockerfile_check(tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04\n")
    result = run("check", "--dockerfile", str(dockerfile), "--gpu", "A100", "--driver", "550.54.15", "--format", "json")
    assert result.returncode == 1
    (image,) = json.loads(result.stdout)["images"]
    assert image["require_cuda"] == "cuda>=12.8"
    assert image["problems"][0]["code"] == "image_requirement_unsatisfied"


def test_doctor_gives_a_verdict_and_repair_per_installed_framework(tmp_path: Path) -> None:
    host = HostFacts(
        platform=Platform("linux", "x86_64", python_version="3.12.3", glibc="2.39"),
        driver=Driver(version="570.86.15", max_cuda="12.8"),
        gpus=(Gpu(index=0, name="NVIDIA GeForce RTX 5090", compute_capability="12.0"),),
        frameworks=(Framework("torch", "2.6.0", "pip", "/site", "pytorch", local_version="cu124", cuda="12.4"),),
    )
    path = tmp_path / "host.json"
    path.write_text(host_to_json(host))
    result = run("doctor", "--host", str(path), "--format", "json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    (verdict,) = report["frameworks"]
    assert (verdict["package"], verdict["status"]) == ("torch", "incompatible")
    assert verdict["repair"].startswith("pip install")
    assert [f["code"] for f in report["findings"]] == ["gpu_arch_unsupported"]
