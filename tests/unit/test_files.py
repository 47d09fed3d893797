"""dlenv.files.write_atomically, the one writer: the mode a plain open() gives, data on disk before the name, nothing
left behind on a failure, with and without O_TMPFILE."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from dlenv import files
from dlenv.files import write_atomically


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(params=["O_TMPFILE", "named temporary"])
def way(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both ways of writing: an unnamed file linked in at the end, and the fallback where O_TMPFILE is missing."""
    if request.param == "named temporary":
        monkeypatch.delattr(os, "O_TMPFILE", raising=False)
    elif not hasattr(os, "O_TMPFILE"):
        pytest.skip("this system has no O_TMPFILE; the fallback is tested")
    return str(request.param)


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_a_new_file_gets_the_umasks_mode(tmp_path: Path, way: str, umask: int) -> None:
    previous = os.umask(umask)
    try:
        write_atomically(tmp_path / "new.txt", "x\n")
    finally:
        os.umask(previous)
    assert mode(tmp_path / "new.txt") == 0o666 & ~umask
    assert [p.name for p in tmp_path.iterdir()] == ["new.txt"]


def test_a_replaced_file_keeps_its_mode_and_bytes_are_written_as_given(tmp_path: Path, way: str) -> None:
    target = tmp_path / "run.sh"
    target.write_text("old\n")
    target.chmod(0o750)
    write_atomically(target, b"\x00new\xff")
    assert target.read_bytes() == b"\x00new\xff" and mode(target) == 0o750
    write_atomically(target, "é\n")
    assert target.read_bytes() == "é\n".encode()


def test_the_data_is_on_disk_before_the_file_has_its_name(
    tmp_path: Path, way: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "matrix.json"
    seen: list[bool] = []
    real_fsync = os.fsync

    def fsync(descriptor: int) -> None:
        seen.append(target.exists())
        real_fsync(descriptor)

    monkeypatch.setattr(os, "fsync", fsync)
    write_atomically(target, "{}\n")
    assert seen == [False] and target.read_text() == "{}\n"


def test_a_failed_write_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, way: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "requirements.lock"
    target.write_text("keep\n")

    def full(descriptor: int, data: bytes) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(OSError, match="No space"):
        write_atomically(target, "new\n")
    assert target.read_text() == "keep\n"
    assert [p.name for p in tmp_path.iterdir()] == ["requirements.lock"]


def test_where_linking_is_refused_a_named_temporary_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not hasattr(os, "O_TMPFILE"):
        pytest.skip("no O_TMPFILE here")
    monkeypatch.setattr(files, "_name_and_replace", lambda *_args: False)
    write_atomically(tmp_path / "out.txt", "x\n")
    assert (tmp_path / "out.txt").read_text() == "x\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]
