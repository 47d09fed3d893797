"""Running dlenv as its users do (the `dlenv` entry point, in-process or as a real process) and judging the outcome
against the exit-code contract: 0, 1 or 2, never 3; exit 2 is one stderr line naming the file or flag; nothing is
written when the input is refused; and a check of input that could not be read is never "compatible"."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import dlenv.__main__
from dlenv.matrix.load import clear_cache

RUNS: Counter[str] = Counter()
"""Runs per target and kind (in-process, process), for the campaign's report (DLENV_FUZZ_REPORT=FILE)."""


@dataclass(frozen=True)
class Outcome:
    argv: tuple[str, ...]
    code: int
    stdout: str
    stderr: str


def run_dlenv(argv: list[str], *, cwd: Path, process: bool = False, target: str = "") -> Outcome:
    """`dlenv ARGV` with a fresh matrix cache and an overlay cache under cwd; SystemExit becomes the code."""
    env = {"XDG_CACHE_HOME": str(cwd / ".cache"), "NO_COLOR": "1", "COLUMNS": "200"}
    # no process can be given a NUL byte in its arguments (the OS refuses it before dlenv runs): judge it in-process
    process = process and not any("\x00" in arg for arg in argv)
    RUNS[f"{target or argv[0]} {'process' if process else 'in-process'}"] += 1
    if process:
        full = {**{k: v for k, v in os.environ.items() if k not in ("DLENV_MATRIX", "DLENV_DEBUG")}, **env}
        done = subprocess.run(
            [sys.executable, "-m", "dlenv", *argv],
            cwd=cwd,
            env=full,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=120,
            check=False,
        )
        return Outcome(tuple(argv), done.returncode, done.stdout, done.stderr)
    clear_cache()
    stdout, stderr = io.StringIO(), io.StringIO()
    old_argv, old_cwd = sys.argv, os.getcwd()
    saved = {name: os.environ.get(name) for name in (*env, "DLENV_MATRIX", "DLENV_DEBUG")}
    code: int | str | None = 0
    try:
        os.chdir(cwd)
        os.environ.update(env)
        for name in ("DLENV_MATRIX", "DLENV_DEBUG"):
            os.environ.pop(name, None)
        sys.argv = ["dlenv", *argv]
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            try:
                dlenv.__main__.main()
            except SystemExit as exit_:
                code = exit_.code
    finally:
        sys.argv = old_argv
        os.chdir(old_cwd)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return Outcome(tuple(argv), code if isinstance(code, int) else 1, stdout.getvalue(), stderr.getvalue())


def assert_contract(outcome: Outcome, *, names: tuple[str, ...] = ()) -> None:
    """The exit-code contract; for exit 2, one line that names one of `names` (a file or a flag) when given."""
    context = f"{outcome.argv!r} -> {outcome.code}: {outcome.stderr[-600:]!r}"
    assert outcome.code in (0, 1, 2), context
    if outcome.code == 2:
        lines = outcome.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("dlenv: error: "), context
        assert outcome.stderr.count("\n") == 1, context
        if names:
            assert any(name in lines[0] for name in names), context


def assert_never_compatible(outcome: Outcome) -> None:
    """A check that refused its input printed no verdict, so nothing can read it as compatible."""
    if outcome.code == 2:
        assert outcome.stdout == "", outcome
    if outcome.stdout.startswith("{"):
        report = json.loads(outcome.stdout)
        assert not (report.get("compatible") and outcome.code != 0), outcome


def write_report() -> None:
    """The campaign's counts, where DLENV_FUZZ_REPORT names a file."""
    target = os.environ.get("DLENV_FUZZ_REPORT")
    if target:
        Path(target).write_text(json.dumps(dict(sorted(RUNS.items())), indent=2) + "\n", encoding="utf-8")
