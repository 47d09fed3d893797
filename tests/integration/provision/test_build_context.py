"""`dlenv build -o DIR/Dockerfile`: the whole build context (recipe, the stack's lock, dlenv's wheel and
dlenv-check.lock), pinned by hash and installable by real pip from a local index; engines that answer; exit codes."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from dlenv.provision.selfwheel import wheel_name, write_wheel
from tests.unit.provision.cli import run_cli
from tests.unit.provision.localindex import use_index

H100 = ["--driver", "580.65.06", "--gpu", "H100", "--python", "3.11", "--os", "linux", "--arch", "x86_64"]


@pytest.fixture
def local_pip(index: tuple[str, Path], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    url, root = index
    return use_index(monkeypatch, url, root)


def test_one_command_writes_the_whole_context_pinned_by_hash(
    local_pip: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    dockerfile = tmp_path / "Dockerfile"
    result = run_cli(monkeypatch, capsys, "build", "torch", *H100, "-o", str(dockerfile), "-q")
    assert result.returncode == 0, result.stderr
    wheel = tmp_path / wheel_name()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["Dockerfile", "requirements.lock", "dlenv-check.lock", wheel.name]
    )  # and no scratch directory left behind
    text = dockerfile.read_text()
    # Every file the Dockerfile copies is in the context; no install names a package the context does not pin.
    assert f"COPY dlenv-check.lock {wheel.name} /tmp/dlenv-tool/\n" in text
    assert "COPY requirements.lock /tmp/requirements.lock\n" in text
    assert "dlenv==" not in text and text.count("--require-hashes") == 2
    tool_lock = (tmp_path / "dlenv-check.lock").read_text()
    assert (
        f"/tmp/dlenv-tool/{wheel.name} \\\n    --hash=sha256:{hashlib.sha256(wheel.read_bytes()).hexdigest()}\n"
        in tool_lock
    )
    assert "typer==0.20.0 \\\n    --hash=sha256:" in tool_lock
    lock = (tmp_path / "requirements.lock").read_text()
    assert "torch==2.8.0 \\\n    --hash=sha256:" in lock and "# regenerate: dlenv lock torch" in lock
    # Real pip installs dlenv-check.lock with --require-hashes (the wheel's path as the image has it, moved here).
    here = tmp_path / "tool"
    here.mkdir()
    (here / wheel.name).write_bytes(wheel.read_bytes())
    (here / "check.lock").write_text(tool_lock.replace("/tmp/dlenv-tool/", f"{here}/"))
    install = [sys.executable, "-m", "pip", "install", "--require-hashes", "--no-deps", "--only-binary=:all:"]
    install += ["--target", str(here / "site"), "-r", str(here / "check.lock")]
    done = subprocess.run(install, capture_output=True, text=True, env=local_pip, check=False)
    assert done.returncode == 0, done.stderr
    assert (here / "site" / "dlenv" / "__main__.py").exists()
    # A wheel that is not the one hashed is refused.
    with zipfile.ZipFile(here / wheel.name, "a") as archive:
        archive.writestr("dlenv/extra.py", "x = 1\n")
    refused = subprocess.run(install, capture_output=True, text=True, env=local_pip, check=False)
    assert refused.returncode != 0 and "hash" in refused.stderr.lower()


def test_the_wheel_is_reproducible_and_carries_the_package(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    one, two = write_wheel(first), write_wheel(second)
    assert hashlib.sha256(one.read_bytes()).digest() == hashlib.sha256(two.read_bytes()).digest()
    names = zipfile.ZipFile(one).namelist()
    assert "dlenv/__main__.py" in names and any(n.startswith("dlenv/matrix/data/") for n in names)
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)
    assert any(n.endswith(".dist-info/RECORD") for n in names)


def test_stdout_says_what_the_context_still_needs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_cli(monkeypatch, capsys, "build", "torch", *H100)
    assert result.returncode == 0 and result.stdout.startswith("# syntax=docker/dockerfile:1\n")
    assert f"requirements.lock, dlenv-check.lock, {wheel_name()}" in result.stderr
    assert "-o DIR/Dockerfile" in result.stderr


def test_an_existing_context_file_is_kept_without_force(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "requirements.lock").write_text("mine\n")
    result = run_cli(monkeypatch, capsys, "build", "torch", *H100, "-o", str(tmp_path / "Dockerfile"))
    assert result.returncode == 2 and "requirements.lock" in result.stderr and "--force" in result.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["requirements.lock"]
    assert (tmp_path / "requirements.lock").read_text() == "mine\n"


def _engine(directory: Path, name: str, probe_exit: int, build_exit: int = 0) -> None:
    script = directory / name
    script.write_text(
        "#!/bin/sh\n"
        f'case "$1" in info|version) exit {probe_exit};; esac\n'
        f'echo "{name} $*" > {directory}/argv\nexit {build_exit}\n'
    )
    script.chmod(0o755)


def test_build_skips_an_engine_that_does_not_answer_and_tags(
    local_pip: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _engine(bin_dir, "docker", probe_exit=1)  # docker without a daemon: `docker info` fails
    _engine(bin_dir, "podman", probe_exit=0)
    monkeypatch.setenv("PATH", f"{bin_dir}:{Path(sys.executable).parent}")
    context = tmp_path / "ctx"
    context.mkdir()
    dockerfile = context / "Dockerfile"
    args = ["build", "torch", *H100, "--build", "-t", "ml/train:1", "-o", str(dockerfile)]
    result = run_cli(monkeypatch, capsys, *args)
    assert result.returncode == 0, result.stderr
    assert (bin_dir / "argv").read_text() == f"podman build -t ml/train:1 -f {dockerfile} {context}\n"
    assert "building with podman" in result.stderr


def test_a_failed_build_exits_1_and_a_bad_tag_exits_2(
    local_pip: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _engine(bin_dir, "buildah", probe_exit=0, build_exit=125)
    monkeypatch.setenv("PATH", f"{bin_dir}:{Path(sys.executable).parent}")
    dockerfile = tmp_path / "Dockerfile"
    result = run_cli(monkeypatch, capsys, "build", "torch", *H100, "--build", "-o", str(dockerfile))
    assert result.returncode == 1 and "buildah exited 125" in result.stderr
    assert (bin_dir / "argv").read_text().startswith("buildah bud -t dlenv-stack:")
    bad = run_cli(monkeypatch, capsys, "build", "torch", *H100, "--build", "-t", "Bad Tag", "-o", "x")
    assert bad.returncode == 2 and "--tag" in bad.stderr
