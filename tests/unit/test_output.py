"""Generated files: atomic, never over a file without --force, and with the mode a plain write would give."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from dlenv.errors import InputError
from dlenv.output import write_output


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_new_file_gets_the_umask_mode_not_mkstemps_0600(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        write_output("x\n", str(tmp_path / "Dockerfile"))
    finally:
        os.umask(previous)
    assert mode(tmp_path / "Dockerfile") == 0o644


def test_force_keeps_the_replaced_files_mode(tmp_path: Path) -> None:
    target = tmp_path / "run.sh"
    target.write_text("old\n")
    target.chmod(0o750)
    write_output("new\n", str(target), force=True)
    assert target.read_text() == "new\n"
    assert mode(target) == 0o750


def test_existing_file_is_refused_without_force_and_left_alone(tmp_path: Path) -> None:
    target = tmp_path / "requirements.lock"
    target.write_text("keep\n")
    with pytest.raises(InputError, match="file exists"):
        write_output("new\n", str(target))
    assert target.read_text() == "keep\n"
    assert [p.name for p in tmp_path.iterdir()] == ["requirements.lock"]
