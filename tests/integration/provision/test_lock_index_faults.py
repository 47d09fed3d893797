"""`dlenv lock` against a failing index: real pip finds nothing and says only 'No matching distribution found';
dlenv names the fault (exit 4, the URL, what went wrong)."""

from __future__ import annotations

import http.server
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from dlenv.provision import lock
from tests.unit.provision.cli import run_cli
from tests.unit.provision.localindex import serve_handler

H100 = ["--driver", "580.65.06", "--gpu", "H100", "--python", "3.11"]


@contextmanager
def failing_index(status: int | None) -> Iterator[str]:
    """An index on 127.0.0.1 answering every request with `status`, or (None) never answering."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if status is None:
                time.sleep(3)
                return
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    with serve_handler(Handler) as url:
        yield f"{url}/simple"


@pytest.mark.parametrize(
    ("status", "said"), [(503, "HTTP 503"), (429, "HTTP 429"), (403, "HTTP 403"), (None, "no answer")]
)
def test_a_failing_index_is_named(
    status: int | None,
    said: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    monkeypatch.setattr(lock, "INDEX_PROBE_TIMEOUT_S", 0.5)
    for key in [key for key in os.environ if key.startswith("PIP_")]:
        monkeypatch.delenv(key)
    with failing_index(status) as url:
        for key, value in {
            "PIP_CONFIG_FILE": os.devnull,
            "PIP_INDEX_URL": url,
            "PIP_RETRIES": "0",
            "PIP_TIMEOUT": "1",
            "PIP_NO_CACHE_DIR": "1",
            "HOME": str(tmp_path),
        }.items():
            monkeypatch.setenv(key, value)
        result = run_cli(monkeypatch, capsys, "lock", "torch", *H100, "-o", str(tmp_path / "requirements.lock"))
    assert result.returncode == 4, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert said in line and "127.0.0.1" in line
    assert not (tmp_path / "requirements.lock").exists()
