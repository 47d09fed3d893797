"""The target's closure: dependency markers evaluated for the target, not for the interpreter pip runs on."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from dlenv.provision.closure import marker_environment, target_closure
from dlenv.provision.lock import PIP_WITH_TARGET_MARKERS, lock_stack, pip_command
from dlenv.records import replace
from tests.unit.provision.localindex import Wheel, build_wheel, pip_env, rewrite_for, serve
from tests.unit.provision.targets import Target

LINUX_312 = {
    "python_version": "3.12",
    "python_full_version": "3.12.0",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "platform_machine": "x86_64",
    "os_name": "posix",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
}


def _item(name: str, version: str, *requires: str) -> dict[str, Any]:
    return {"metadata": {"name": name, "version": version, "requires_dist": list(requires)}}


def test_markers_are_the_targets() -> None:
    report = {
        "install": [
            _item("torch", "2.8.0", 'setuptools; python_version >= "3.12"', 'colorama; sys_platform == "win32"'),
            _item("tomli", "2.0.1"),
            _item("Typing_Extensions", "4.12.2"),
        ]
    }
    closure = target_closure(report, [("torch", ())], LINUX_312)
    assert closure.needed == {"torch"}  # tomli and typing-extensions: pip's interpreter wanted them, not the root
    assert closure.missing == ("setuptools",)
    windows = {**LINUX_312, "sys_platform": "win32", "platform_system": "Windows", "python_version": "3.11"}
    assert target_closure(report, [("torch", ())], windows).missing == ("colorama",)


def test_extras_and_versions() -> None:
    report = {
        "install": [
            _item("tensorflow", "2.17.0", 'nvidia-cudnn-cu12==9.3.0.75; extra == "and-cuda"', "numpy<2,>=1.26"),
            _item("numpy", "2.1.0"),
            _item("nvidia-cudnn-cu12", "9.3.0.75", "nvidia-cublas-cu12"),
            _item("nvidia_cublas_cu12", "12.3.4.1"),
        ]
    }
    plain = target_closure(report, [("tensorflow", ())], LINUX_312)
    assert plain.needed == {"tensorflow"} and plain.missing == ("numpy<2,>=1.26",)  # 2.1.0 does not satisfy it
    cuda = target_closure(report, [("tensorflow", ("and-cuda",))], LINUX_312)
    assert {"nvidia-cudnn-cu12", "nvidia-cublas-cu12"} <= cuda.needed


def test_marker_environment_of_each_platform() -> None:
    assert marker_environment(Target("t", ("torch",), python="3.12").stack())["python_version"] == "3.12"
    windows = marker_environment(_stack_for("windows", "x86_64"))
    assert (windows["sys_platform"], windows["platform_machine"], windows["os_name"]) == ("win32", "AMD64", "nt")
    mac = marker_environment(_stack_for("macos", "aarch64"))
    assert (mac["sys_platform"], mac["platform_machine"]) == ("darwin", "arm64")


def _stack_for(system: str, arch: str) -> Any:
    return replace(Target("t", ("torch",)).stack(), system=system, arch=arch)


@pytest.mark.parametrize(("python", "has_setuptools"), [("3.11", False), ("3.12", True)])
def test_real_pip_lock_follows_the_target_python(index: tuple[str, Path], python: str, has_setuptools: bool) -> None:
    # torch on the local default index declares `setuptools; python_version >= "3.12"` (as torch 2.8.0 does);
    # pip runs on this interpreter whatever the target, so only the target's markers can decide.
    url, root = index
    target = Target("h100", ("torch",), "580.65.06", ("H100",), python)
    lock = lock_stack(target.stack(), env=pip_env(url, root), index_rewrite=rewrite_for(url))
    names = {file.name for file in lock.files}
    assert ("setuptools" in names) is has_setuptools and "colorama" not in names and "torch" in names


def test_pip_runs_again_for_what_the_target_needs(index: tuple[str, Path]) -> None:
    # The safety net behind PIP_WITH_TARGET_MARKERS: with plain pip (markers of this interpreter), what the target
    # needs is added and pip runs again.
    url, root = index
    calls: list[list[str]] = []

    def plain_pip(command: list[str], env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
        assert command[1:3] == ["-c", PIP_WITH_TARGET_MARKERS]
        command = [command[0], "-m", "pip", *command[4:]]
        calls.append(Path(command[command.index("-r") + 1]).read_text().splitlines())
        return subprocess.run(command, capture_output=True, text=True, env=dict(env), check=False)

    target = Target("h100", ("torch",), "580.65.06", ("H100",), "3.12")
    lock = lock_stack(target.stack(), env=pip_env(url, root), run_pip=plain_pip, index_rewrite=rewrite_for(url))
    assert "setuptools" in {file.name for file in lock.files}
    assert calls[0] == ["torch==2.8.0"]
    if sys.version_info < (3, 12):
        assert calls == [["torch==2.8.0"], ["torch==2.8.0", "setuptools"]]


def test_pip_sees_the_targets_markers(tmp_path: Path) -> None:
    # A Windows lock made here: pip must not follow `platform_system == "Linux"` to a Linux-only wheel.
    root = tmp_path / "index"
    files = root / "files"
    files.mkdir(parents=True)
    wheels = [
        Wheel("top", "1.0", ("py3-none-any",), ('linux-only; platform_system == "Linux"', 'win-only; os_name == "nt"')),
        Wheel("linux-only", "1.0", ("py3-none-manylinux2014_x86_64",)),
        Wheel("win-only", "1.0", ("py3-none-any",)),
    ]
    for wheel in wheels:
        path = build_wheel(wheel, wheel.tags[0], files)
        page = root / "simple" / wheel.name
        page.mkdir(parents=True)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        (page / "index.html").write_text(f'<a href="../../files/{path.name}#sha256={digest}">{path.name}</a>\n')
    requirements = tmp_path / "requirements.in"
    requirements.write_text("top\n")
    windows = replace(Target("t", ("torch",)).stack(), system="windows", arch="x86_64")
    report = tmp_path / "report.json"
    with serve(root) as url:
        command = pip_command(windows, report, requirements, ())
        result = subprocess.run(command, capture_output=True, text=True, env=pip_env(url, root), check=False)
    assert result.returncode == 0, result.stderr
    installed = {item["metadata"]["name"] for item in json.loads(report.read_text())["install"]}
    assert installed == {"top", "win-only"}
