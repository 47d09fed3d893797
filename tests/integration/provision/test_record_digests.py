"""scripts/record_digests.py against a registry stub on 127.0.0.1: Bearer challenge, diff, --force, exit codes."""

from __future__ import annotations

import hashlib
import http.server
import importlib.util
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import ClassVar

import pytest
import yaml

from tests.unit.provision.localindex import serve_handler

ROOT = Path(__file__).parents[3]


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("record_digests", ROOT / "scripts" / "record_digests.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SCRIPT = _load_script()
main, set_digests = SCRIPT.main, SCRIPT.set_digests
TOKEN = "stub-token"


def digest_of(name: str, tag: str) -> str:
    return "sha256:" + hashlib.sha256(f"{name}:{tag}".encode()).hexdigest()


class _Registry(http.server.BaseHTTPRequestHandler):
    seen: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        if self.path.startswith("/token?"):
            body = json.dumps({"token": TOKEN}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_response(404)
        self.end_headers()

    def do_HEAD(self) -> None:
        self.seen.append(self.path)
        parts = self.path.split("/manifests/")
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            host = f"http://127.0.0.1:{self.server.server_port}"  # type: ignore[attr-defined]
            self.send_response(401)
            self.send_header("WWW-Authenticate", f'Bearer realm="{host}/token",service="stub",scope="pull"')
            self.end_headers()
            return
        name = parts[0].removeprefix("/v2/")
        if len(parts) != 2 or "missing" in parts[1]:
            self.send_response(404)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Docker-Content-Digest", digest_of(name, parts[1]))
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def registry() -> Iterator[str]:
    with serve_handler(_Registry) as url:
        yield url


@pytest.fixture
def matrices(tmp_path: Path) -> Path:
    shutil.copyfile(ROOT / "matrices" / "images.yaml", tmp_path / "images.yaml")
    return tmp_path


def test_diff_then_force_records_digests(registry: str, matrices: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = (matrices / "images.yaml").read_text()
    args = ["--registry", registry, "--matrices", str(matrices), "--repository", "python", "--tag", "3.11-*"]
    assert main(args) == 1  # changes pending, nothing written
    out = capsys.readouterr().out
    assert f'+    digest: "{digest_of("library/python", "3.11-slim-bookworm")}"' in out
    assert (matrices / "images.yaml").read_text() == before
    assert main([*args, "--force"]) == 0
    document = yaml.safe_load((matrices / "images.yaml").read_text())
    row = next(i for i in document["images"] if i["repository"] == "python" and i["tag"] == "3.11-slim-bookworm")
    assert row["digest"] == digest_of("library/python", "3.11-slim-bookworm")
    others = [i for i in document["images"] if i["repository"] != "python"]
    assert others and not any("digest" in i for i in others)
    assert main(args) == 0  # recorded: nothing left to change


def test_a_changed_digest_is_replaced_and_a_failure_exits_4(
    registry: str, matrices: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = matrices / "images.yaml"
    path.write_text(set_digests(path.read_text(), {("python", "3.12-slim-bookworm"): "sha256:" + "0" * 64}))
    args = ["--registry", registry, "--matrices", str(matrices), "--repository", "python", "--tag", "3.12-*"]
    assert main([*args, "--force"]) == 0
    text = path.read_text()
    assert "0" * 64 not in text and text.count(digest_of("library/python", "3.12-slim-bookworm")) == 1
    capsys.readouterr()
    missing = set_digests(text, {}).replace('tag: "3.13-slim-bookworm"', 'tag: "3.13-missing"')
    path.write_text(missing)
    assert main(["--registry", registry, "--matrices", str(matrices), "--tag", "3.13-missing"]) == 4
    assert "404" in capsys.readouterr().err


def test_no_registry_is_bad_input(matrices: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DLENV_REGISTRY_URL", raising=False)
    assert main(["--matrices", str(matrices)]) == 2
