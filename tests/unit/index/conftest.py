from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.unit.index.server import IndexServer, serve


@pytest.fixture
def index_server() -> Iterator[IndexServer]:
    with serve() as server:
        yield server
