"""The one online test: a lock for a default-index stack, checked against the real index pip is configured with.

Skipped unless DLENV_ONLINE=1. The index comes from pip's configuration (dlenv.index), never from this file.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dlenv.index import SimpleClient, current_index_config
from dlenv.provision.lock import generate_lock
from tests.unit.provision.targets import Target

pytestmark = [
    pytest.mark.online,
    pytest.mark.skipif(os.environ.get("DLENV_ONLINE") != "1", reason="talks to the real index: set DLENV_ONLINE=1"),
]


def test_lock_hashes_match_the_index_and_the_lock_resolves(tmp_path: Path) -> None:
    # tensorflow 2.17.0's Linux CUDA build is on the default index; the closure is the real one.
    target = Target("online", ("tensorflow",), "550.54.15", ("A100",), "3.11")
    text = generate_lock(target.stack(), "requirements", ["dlenv", "lock", "tensorflow"])
    pins: dict[str, tuple[str, str]] = {}
    lines = text.splitlines()
    for line, following in itertools.pairwise(lines):
        if "==" in line and line.endswith("\\"):
            name, version = line.removesuffix("\\").strip().split("==")
            pins[name] = (version, following.strip().removeprefix("--hash=sha256:"))
    assert "tensorflow" in pins and len(pins) > 5
    client = SimpleClient(current_index_config().index_url)
    for name, (version, digest) in pins.items():
        page = client.project(name)
        hashes = {file.hashes.get("sha256") for file in page.files if f"-{version}-" in file.filename}
        assert digest in hashes, f"{name}=={version}: sha256 {digest} is not one the index lists"
    lock = tmp_path / "requirements.lock"
    lock.write_text(text)
    # Without --no-deps: pip follows every dependency and, with --require-hashes, refuses any the lock lacks, so this
    # also proves the closure is complete.
    command = [sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "--require-hashes"]
    command += ["--only-binary=:all:", "--python-version", "3.11", "--platform", "manylinux_2_28_x86_64"]
    command += ["--platform", "manylinux2014_x86_64", "--target", str(tmp_path / "t"), "-r", str(lock)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
