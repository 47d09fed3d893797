"""The local package index the provisioning tests resolve against (built once per module, served on 127.0.0.1)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.unit.provision.localindex import build_indexes, serve


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """(index URL, the index's directory)."""
    root = tmp_path_factory.mktemp("index")
    build_indexes(root)
    with serve(root) as url:
        yield url, root
