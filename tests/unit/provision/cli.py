"""Run the dlenv CLI in this process over the frozen mini-matrix alone (not layered over the shipped matrix)."""

from __future__ import annotations

import sys
from dataclasses import dataclass

import pytest

from dlenv.__main__ import main
from tests.unit.compat.engine import mini_matrix


@dataclass(frozen=True)
class Result:
    returncode: int
    stdout: str
    stderr: str


def run_cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str) -> Result:
    monkeypatch.setattr("dlenv.matrix.load.load_matrix", lambda *_args, **_kwargs: mini_matrix())
    monkeypatch.delenv("DLENV_MATRIX", raising=False)
    monkeypatch.setattr(sys, "argv", ["dlenv", *args])
    capsys.readouterr()
    code: int | str | None = 0
    try:
        main()
    except SystemExit as exit_:
        code = exit_.code
    captured = capsys.readouterr()
    return Result(code if isinstance(code, int) else 1, captured.out, captured.err)
