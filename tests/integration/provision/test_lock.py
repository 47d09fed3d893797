"""`dlenv lock`: real pip against a local index on 127.0.0.1, hashes that pip accepts, and `--check`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dlenv.errors import ProblemsError
from dlenv.provision.lock import check_lock, locked_pins, parse_report, render_check
from tests.unit.compat.engine import mini_matrix
from tests.unit.provision.cli import run_cli
from tests.unit.provision.localindex import use_index
from tests.unit.provision.targets import TARGETS, Target

GOLDEN = Path(__file__).parents[2] / "golden"
BY_NAME = {target.name: target for target in TARGETS}
H100 = ["--driver", "580.65.06", "--gpu", "H100", "--python", "3.11"]
AMPERE_470 = ["--driver", "470.82.01", "--gpu", "8.6", "--python", "3.11"]


def test_pip_installs_the_lock_with_require_hashes(
    index: tuple[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url, root = index
    env = use_index(monkeypatch, url, root)
    lock = tmp_path / "requirements.lock"
    written = run_cli(monkeypatch, capsys, "lock", "torch", *H100, "-o", str(lock))
    assert written.returncode == 0, written.stderr
    assert "torch==2.8.0 \\\n    --hash=sha256:" in lock.read_text()
    assert lock.read_text() == (GOLDEN / "driver-580-h100" / "requirements.lock").read_text().replace(
        "--python 3.11 --os linux --arch x86_64 -o requirements.lock", f"--python 3.11 -o {lock}"
    ).replace(_golden_hash(), _hash_of(lock))
    target = tmp_path / "site"
    install = [sys.executable, "-m", "pip", "install", "--require-hashes", "--no-deps", "--only-binary=:all:"]
    install += ["--python-version", "3.11", "--platform", "manylinux_2_28_x86_64", "--platform", "manylinux2014_x86_64"]
    install += ["--target", str(target), "-r", str(lock)]
    result = subprocess.run(install, capture_output=True, text=True, env=env, check=False)
    assert result.returncode == 0, result.stderr
    assert {p.name.split("-")[0] for p in target.glob("*.dist-info")} == {
        "filelock",
        "nvidia_cuda_runtime_cu12",
        "torch",
    }
    # A tampered hash is refused by pip.
    lock.write_text(lock.read_text().replace("--hash=sha256:9", "--hash=sha256:0", 1))
    refused = subprocess.run(install, capture_output=True, text=True, env=env, check=False)
    assert refused.returncode != 0 and "hash" in refused.stderr.lower()


def _golden_hash() -> str:
    return _hash_of(GOLDEN / "driver-580-h100" / "requirements.lock")


def _hash_of(path: Path) -> str:
    return next(line for line in path.read_text().splitlines() if line.startswith("# inputs-sha256: "))


def test_check_after_the_host_changes(
    index: tuple[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url, root = index
    use_index(monkeypatch, url, root)
    lock = tmp_path / "requirements.lock"
    assert run_cli(monkeypatch, capsys, "lock", "torch", *H100, "-o", str(lock)).returncode == 0
    same = run_cli(monkeypatch, capsys, "lock", "--check", str(lock), *H100)
    assert same.returncode == 0, same.stdout + same.stderr
    assert same.stdout.endswith("up to date and fits the host\n")
    changed = run_cli(monkeypatch, capsys, "lock", "--check", str(lock), *AMPERE_470)
    assert changed.returncode == 1, changed.stderr
    assert "stale: inputs-sha256" in changed.stdout
    assert "target now: linux-x86_64, Python 3.11, glibc 2.28, driver 470.82.01 (CUDA 11.4), GPUs 8.6" in changed.stdout
    assert "torch==2.8.0 does not fit the host: driver_too_old" in changed.stdout


def test_pylock_is_valid_toml_with_a_hash_per_file(index: tuple[str, Path]) -> None:
    if sys.version_info >= (3, 11):
        import tomllib
    else:
        import tomli as tomllib

    document = tomllib.loads((GOLDEN / "rapids-pytorch" / "pylock.toml").read_text())
    assert document["lock-version"] == "1.0" and document["requires-python"] == "==3.12.*"
    names = [package["name"] for package in document["packages"]]
    assert names == sorted(names) and {"torch", "cudf-cu12"} <= set(names)
    for package in document["packages"]:
        (wheel,) = package["wheels"]
        assert len(wheel["hashes"]["sha256"]) == 64 and wheel["name"] in wheel["url"]


@pytest.mark.parametrize("name", [t.name for t in TARGETS])
def test_golden_locks_are_current_for_their_own_target(name: str) -> None:
    target = BY_NAME[name]
    for filename in ("requirements.lock", "pylock.toml"):
        path = GOLDEN / name / filename
        result = check_lock(str(path), path.read_text(), target.host(), mini_matrix())
        assert result.ok, render_check(result)


def test_check_reports_stale_and_unfit_pins() -> None:
    path = GOLDEN / "driver-580-h100" / "requirements.lock"
    other = Target("x", ("torch",), "470.82.01", ("8.6",), "3.11")
    result = check_lock(str(path), path.read_text(), other.host(), mini_matrix())
    assert result.stale and not result.ok
    assert any("driver_too_old" in problem for problem in result.problems)
    edited = path.read_text().replace("torch==2.8.0 \\", "torch==2.6.0 \\")
    tampered = check_lock(str(path), edited, BY_NAME["driver-580-h100"].host(), mini_matrix())
    assert not tampered.stale and any("was the lock edited" in p for p in tampered.problems)


@pytest.mark.parametrize("name", ["requirements.lock", "pylock.toml"])
def test_an_edit_below_the_header_is_caught_by_the_body_hash(name: str) -> None:
    # a removed dependency and an added index are not framework pins: only the sealed body shows them
    path = GOLDEN / "driver-580-h100" / name
    text = path.read_text()
    host = BY_NAME["driver-580-h100"].host()
    assert check_lock(str(path), text, host, mini_matrix()).ok
    if name == "requirements.lock":
        start = text.index("filelock==")
        removed = text[:start] + text[text.index("\n", text.index("--hash", start)) + 1 :]
        added = text + "--extra-index-url http://evil.invalid/simple\n"
    else:
        removed = text.replace('name = "filelock"', 'name = "filelock-gone"', 1)
        added = text + '\n[[packages]]\nname = "extra"\nversion = "1.0"\n'
    for edited in (removed, added):
        result = check_lock(str(path), edited, host, mini_matrix())
        assert not result.ok and any("body-sha256 differs" in p for p in result.problems), result.problems


def test_locked_pins_reads_both_formats() -> None:
    assert "torch==2.8.0+cpu" in locked_pins((GOLDEN / "cpu-only" / "requirements.lock").read_text(), "requirements")
    assert "torch==2.8.0+cpu" in locked_pins((GOLDEN / "cpu-only" / "pylock.toml").read_text(), "pylock")


def test_report_without_hash_is_refused() -> None:
    report = {
        "install": [
            {
                "metadata": {"name": "torch", "version": "2.8.0"},
                "download_info": {"url": "https://example.invalid/torch-2.8.0-py3-none-any.whl", "archive_info": {}},
            }
        ]
    }
    with pytest.raises(ProblemsError, match="no sha256"):
        parse_report(report)
    report["install"][0]["download_info"]["archive_info"] = {"hash": "sha256=" + "ab" * 32}  # type: ignore[index]
    (locked,) = parse_report(json.loads(json.dumps(report)))
    assert locked.sha256 == "ab" * 32


def test_hash_missing_from_the_report_comes_from_the_index() -> None:
    # pip's report gives no hash (a wheel cache entry from an older pip): the Simple API of the configured index,
    # here the recorded responses of tests/data/index served on 127.0.0.1, supplies it.
    from tests.unit.index.server import serve as serve_recorded

    filename = "torch-2.8.0-cp312-cp312-manylinux_2_28_x86_64.whl"
    report = {
        "install": [
            {
                "metadata": {"name": "torch", "version": "2.8.0"},
                "download_info": {"url": f"https://example.invalid/files/{filename}", "archive_info": {}},
            }
        ]
    }
    with serve_recorded() as server:
        (locked,) = parse_report(report, ("http://127.0.0.1:9/simple/", server.simple_url))  # the first is down
        assert "/simple/torch/" in server.paths()
    assert locked.sha256 == "b2aca0939fb7e4d842561febbd4ffda67a8e958ff725c1c27e244e85e982173c"
    with serve_recorded() as server, pytest.raises(ProblemsError, match="no sha256"):
        parse_report(json.loads(json.dumps(report).replace("2.8.0-cp312", "9.9.9-cp312")), (server.simple_url,))


def test_pip_failure_names_the_cause() -> None:
    from dlenv.provision.lock import pip_failure

    output = (
        "ERROR: Ignored the following versions that require a different python version: 3.7 Requires-Python >=3.12\n"
        "ERROR: Could not find a version that satisfies the requirement nvidia-nccl-cu12==2.27.3 (from versions: )\n"
        "ERROR: No matching distribution found for nvidia-nccl-cu12==2.27.3\n"
    )
    assert pip_failure(output) == "ERROR: No matching distribution found for nvidia-nccl-cu12==2.27.3"
    conflict = "ERROR: Cannot install a and b because these package versions have conflicting dependencies.\n"
    conflict += (
        "ERROR: ResolutionImpossible: for help visit https://pip.pypa.io/en/latest/topics/dependency-resolution\n"
    )
    assert pip_failure(conflict).startswith("ERROR: Cannot install a and b")
    assert "has no pip" in pip_failure("/usr/bin/python3: No module named 'pip'\n")
    assert pip_failure("") == "no output"


def test_an_old_pip_checking_the_running_python_gets_a_hint() -> None:
    import sys

    from dlenv.provision.lock import _interpreter_hint

    running = f"{sys.version_info.major}.{sys.version_info.minor}"
    reason = f"ERROR: Package 'jaxlib' requires a different Python: {running}.7 not in '>=3.99'"
    assert "upgrade it with" in _interpreter_hint(reason)
    assert _interpreter_hint("ERROR: Package 'x' requires a different Python: 2.7.18 not in '>=3.8'") == ""
    assert _interpreter_hint("ERROR: No matching distribution found for x") == ""
