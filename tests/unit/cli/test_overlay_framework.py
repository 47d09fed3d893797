"""An in-house framework added by the overlay example of docs/matrix.md, end to end through the CLI (in process):
probed when installed, judged by doctor and `check --installed`, checked and resolved by name."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from dlenv.cli import app
from dlenv.host.context import Interpreter, NvmlLibraryMissing, ProbeContext
from dlenv.matrix import load
from tests.hosts import run_in_root, write

DOC = Path(__file__).resolve().parents[3] / "docs" / "matrix.md"
YAML_BLOCK = re.compile(r"```yaml\n# (?P<path>\S+)\n(?P<body>.*?)```", re.DOTALL)
FAMILY_BLOCK = re.compile(r"^family:\n(?:  .*\n)+", re.MULTILINE)
FITTING = ["--driver", "550.54.15", "--gpu", "ACME-X"]
runner = CliRunner()


def _no_nvml() -> object:
    raise NvmlLibraryMissing("libnvidia-ml.so.1: cannot open shared object file")


def write_overlay(target: Path, *, family: bool = True) -> Path:
    """The two overlay files of docs/matrix.md; without `family`, acme-torch.yaml with its family block removed."""
    target.mkdir()
    for block in YAML_BLOCK.finditer(DOC.read_text(encoding="utf-8")):
        body = block["body"] if family else FAMILY_BLOCK.sub("", block["body"])
        (target / Path(block["path"]).name).write_text(body, encoding="utf-8")
    return target


@pytest.fixture
def acme_host(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """This machine as a bare Linux host without a driver whose only installed framework is acme-torch
    2.5.1+cu124 (a wheel from the in-house index: the local tag in METADATA, and torch/version.py)."""
    root = tmp_path / "root"
    site = root / "usr/lib/python3.11/site-packages"
    write(
        site,
        "acme_torch-2.5.1+cu124.dist-info/METADATA",
        "Metadata-Version: 2.1\nName: acme-torch\nVersion: 2.5.1+cu124\n",
    )
    write(site, "torch/version.py", "__version__ = '2.5.1+cu124'\ndebug = False\ncuda: Optional[str] = '12.4'\n")
    context = ProbeContext(
        env={"PATH": "/usr/bin"},
        root=root,
        site_dirs=(site,),
        run=run_in_root(root),
        nvml_loader=_no_nvml,
        interpreter=Interpreter("3.11.7", "CPython", "linux", "x86_64", "2.36"),
    )
    monkeypatch.setattr(ProbeContext, "current", classmethod(lambda cls: context))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    for name in ("CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES", "CONDA_PREFIX", "DLENV_MATRIX_ONLY"):
        monkeypatch.delenv(name, raising=False)
    load.clear_cache()
    yield tmp_path
    load.clear_cache()


def dlenv(*args: str) -> Result:
    return runner.invoke(app, list(args))


def check_json(*args: str) -> dict[str, object]:
    result = dlenv("check", *args, "--format", "json")
    data: dict[str, object] = json.loads(result.stdout)
    data["exit_code"] = result.exit_code
    return data


def only_result(data: dict[str, object]) -> dict[str, object]:
    results = data["results"]
    assert isinstance(results, list) and len(results) == 1, results
    result: dict[str, object] = results[0]
    return result


def codes(result: dict[str, object]) -> list[str]:
    problems = result["problems"]
    assert isinstance(problems, list)
    return [problem["code"] for problem in problems]


def test_the_documented_overlay_works_end_to_end(acme_host: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DLENV_MATRIX", str(write_overlay(acme_host / "overlay")))

    probed = dlenv("probe", "-o", str(acme_host / "host.json"))
    assert probed.exit_code == 0, probed.output
    (framework,) = json.loads((acme_host / "host.json").read_text())["frameworks"]
    assert (framework["name"], framework["family"], framework["version"]) == ("acme-torch", "acme-torch", "2.5.1")
    assert (framework["local_version"], framework["cuda"]) == ("cu124", "12.4")  # torch/version.py, as declared

    doctor = dlenv("doctor", "--format", "json")
    assert doctor.exit_code == 0, doctor.output
    (verdict,) = json.loads(doctor.stdout)["frameworks"]
    assert (verdict["installed"], verdict["status"]) == ("acme-torch==2.5.1+cu124", "warning")  # no driver here

    host = ["--host", str(acme_host / "host.json")]
    fitting = check_json("--installed", *host, *FITTING)
    assert fitting["exit_code"] == 0 and fitting["compatible"] is True
    installed = only_result(fitting)
    assert (installed["requirement"], installed["framework"], installed["status"]) == (
        "acme-torch==2.5.1+cu124",
        "acme-torch",
        "ok",
    )
    old_driver = only_result(check_json("--installed", *host, "--driver", "470.42.01", "--gpu", "ACME-X"))
    assert old_driver["status"] == "incompatible" and "driver_too_old" in codes(old_driver)

    by_name = check_json("acme-torch==2.5.1", *FITTING)
    evaluated = only_result(by_name)["evaluated"]
    assert by_name["exit_code"] == 0 and isinstance(evaluated, dict)
    assert (evaluated["build"], evaluated["cuda"]) == ("cu124", "12.4")
    assert evaluated["install"] == (
        "pip install 'acme-torch==2.5.1+cu124' --extra-index-url https://pypi.acme.example/simple"
    )
    tagged = only_result(check_json("acme-torch==2.5.1+cu124", *FITTING))
    assert tagged["status"] == "ok"
    no_kernel = only_result(check_json("acme-torch==2.5.1", "--driver", "550.54.15", "--gpu", "7.0"))
    assert no_kernel["status"] == "incompatible" and codes(no_kernel) == ["gpu_arch_unsupported"]

    resolved = dlenv("resolve", "acme-torch", *FITTING)
    assert resolved.exit_code == 0, resolved.output
    assert "pip install 'acme-torch==2.5.1+cu124' --extra-index-url https://pypi.acme.example/simple" in resolved.stdout


def test_a_minimal_overlay_without_a_family_block_still_works(acme_host: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DLENV_MATRIX", str(write_overlay(acme_host / "overlay", family=False)))
    assert "family:" not in (acme_host / "overlay" / "acme-torch.yaml").read_text()

    probed = dlenv("probe")
    (framework,) = json.loads(probed.stdout)["frameworks"]
    # the distribution is one of the build's packages; the build tag is the version's, no build file is read
    assert (framework["name"], framework["local_version"], framework["cuda"]) == ("acme-torch", "cu124", None)

    installed = only_result(check_json("--installed"))
    assert (installed["requirement"], installed["framework"]) == ("acme-torch==2.5.1", "acme-torch")
    assert codes(installed) == ["no_driver"]  # judged: a CUDA 12.4 build on a host without a driver

    tagged = only_result(check_json("acme-torch==2.5.1+cu124", *FITTING))
    assert tagged["status"] == "incompatible"
    assert "names no build by a local tag" in str(tagged["problems"])

    resolved = dlenv("resolve", "acme-torch", *FITTING)
    assert "pip install 'acme-torch==2.5.1' --extra-index-url https://pypi.acme.example/simple" in resolved.stdout


def test_without_the_overlay_the_distribution_is_no_framework(acme_host: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DLENV_MATRIX", raising=False)
    assert json.loads(dlenv("probe").stdout)["frameworks"] == []
