"""The Simple API JSON client against recorded index responses on a loopback server."""

from __future__ import annotations

import datetime
import io
import zipfile

import pytest

from dlenv.errors import DlenvError
from dlenv.index.simple import (
    EXIT_INDEX,
    SIMPLE_JSON,
    IndexResponseError,
    IndexUnavailableError,
    ProjectNotFoundError,
    SimpleClient,
    parse_project_page,
)
from tests.unit.index.server import IndexServer, closed_port


def _client(server_url: str, **kwargs: object) -> SimpleClient:
    options: dict[str, object] = {"timeout": 5.0, "backoff": 0.0, "sleep": lambda _seconds: None}
    options.update(kwargs)
    return SimpleClient(server_url, **options)  # type: ignore[arg-type]


def test_project_page_is_parsed_with_absolute_urls(index_server: IndexServer) -> None:
    page = _client(index_server.simple_url).project("Torch")
    assert page.name == "torch"
    assert page.url == index_server.simple_url + "torch/"
    assert page.api_version is not None
    assert "2.9.1" in page.versions
    wheel = next(f for f in page.files if f.filename == "torch-2.9.1-cp312-cp312-manylinux_2_28_x86_64.whl")
    assert wheel.url == f"{index_server.url}/files/{wheel.filename}"
    assert wheel.metadata_url == wheel.url + ".metadata"
    assert wheel.requires_python == ">=3.10"
    assert wheel.upload_time is not None and wheel.upload_time.date() == datetime.date(2025, 11, 12)
    assert wheel.upload_time.tzinfo is not None
    assert wheel.hashes["sha256"]
    assert wheel.yanked is False and wheel.is_wheel and wheel.size
    assert index_server.requests[0][0] == "/simple/torch/"


def test_pep_700_and_714_fields() -> None:
    document = {
        "meta": {"api-version": "1.1"},
        "name": "demo",
        "files": [
            {
                "filename": "demo-1.0-py3-none-any.whl",
                "url": "/x/demo-1.0-py3-none-any.whl",
                "hashes": {},
                "yanked": "broken build",
                "core-metadata": {"sha256": "ab"},
            },
            {
                "filename": "demo-1.1.tar.gz",
                "url": "https://mirror.invalid/demo-1.1.tar.gz",
                "data-dist-info-metadata": True,
                "upload-time": "2024-01-02T03:04:05Z",
            },
        ],
    }
    page = parse_project_page(document, "http://127.0.0.1:1/simple/demo/")
    first, second = page.files
    assert first.url == "http://127.0.0.1:1/x/demo-1.0-py3-none-any.whl"
    assert first.yanked and first.yanked_reason == "broken build" and first.core_metadata
    assert second.url == "https://mirror.invalid/demo-1.1.tar.gz"
    assert second.core_metadata and not second.is_wheel
    assert second.upload_time == datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)


def test_a_non_json_page_is_refused(index_server: IndexServer) -> None:
    index_server.extra["/simple/html/"] = b"<html></html>"
    with pytest.raises(IndexResponseError, match="Simple API JSON"):
        _client(index_server.simple_url).project("html")
    with pytest.raises(IndexResponseError, match="PEP 691"):
        parse_project_page({"files": "nope"}, "http://127.0.0.1:1/simple/x/")


def test_unknown_project_is_a_one_line_not_found(index_server: IndexServer) -> None:
    with pytest.raises(ProjectNotFoundError) as caught:
        _client(index_server.simple_url).project("no-such-project")
    message = str(caught.value)
    assert "\n" not in message and "/simple/no-such-project/" in message and "404" in message


def test_metadata_is_fetched_from_the_pep_658_url_even_when_not_advertised(index_server: IndexServer) -> None:
    client = _client(index_server.simple_url)
    page = client.project("torch")
    wheel = next(f for f in page.files if f.filename == "torch-2.9.1-cp312-cp312-manylinux_2_28_x86_64.whl")
    assert wheel.core_metadata is False  # the recording's index does not advertise it
    metadata = client.fetch_metadata(wheel)
    assert metadata is not None and "Name: torch" in metadata and "nvidia-cudnn-cu12==" in metadata


def test_missing_metadata_is_none_not_an_error(index_server: IndexServer) -> None:
    client = _client(index_server.simple_url)
    page = client.project("torch")
    wheel = next(f for f in page.files if f.filename.endswith("win_amd64.whl"))
    assert client.fetch_metadata(wheel) is None
    assert client.fetch_metadata(wheel, range_fallback=True) is None  # the file itself is not served


def test_metadata_falls_back_to_range_reads_of_the_wheel(index_server: IndexServer) -> None:
    client = _client(index_server.simple_url)
    page = client.project("torch")
    wheel = next(f for f in page.files if f.filename.endswith("win_amd64.whl") and "2.9.1" in f.filename)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("torch/__init__.py", b"x" * 200_000)
        archive.writestr("torch-2.9.1.dist-info/METADATA", "Metadata-Version: 2.1\nName: torch\nVersion: 2.9.1\n")
    index_server.extra[f"/files/{wheel.filename}"] = buffer.getvalue()
    metadata = client.fetch_metadata(wheel, range_fallback=True)
    assert metadata is not None and "Version: 2.9.1" in metadata
    ranges = [r for p, r in index_server.requests if p == f"/files/{wheel.filename}"]
    assert ranges and all(r.startswith("bytes=") for r in ranges)  # never the whole file


def test_retries_503_twice_then_succeeds(index_server: IndexServer) -> None:
    delays: list[float] = []
    index_server.failures["/simple/torch/"] = [503, 503]
    client = _client(index_server.simple_url, backoff=0.25, sleep=delays.append)
    page = client.project("torch")
    assert page.files
    assert index_server.paths().count("/simple/torch/") == 3
    assert delays == [0.25, 0.5]  # exponential backoff


def test_retries_are_bounded_in_count(index_server: IndexServer) -> None:
    index_server.failures["/simple/torch/"] = [503] * 10
    client = _client(index_server.simple_url, retries=2)
    with pytest.raises(IndexUnavailableError, match="HTTP 503 after 3 attempts") as caught:
        client.project("torch")
    assert index_server.paths().count("/simple/torch/") == 3
    assert caught.value.exit_code == EXIT_INDEX


def test_retries_are_bounded_in_total_time(index_server: IndexServer) -> None:
    index_server.failures["/simple/torch/"] = [429] * 10
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    client = _client(
        index_server.simple_url,
        retries=50,
        backoff=1.0,
        max_backoff=4.0,
        total_time=10.0,
        sleep=sleep,
        clock=lambda: now[0],
    )
    with pytest.raises(IndexUnavailableError, match="HTTP 429"):
        client.project("torch")
    assert now[0] <= 10.0
    assert index_server.paths().count("/simple/torch/") < 10


def test_network_failure_is_one_clear_line() -> None:
    url = f"http://127.0.0.1:{closed_port()}/simple/"
    with pytest.raises(IndexUnavailableError) as caught:
        _client(url, retries=1).project("torch")
    error = caught.value
    assert isinstance(error, DlenvError) and error.exit_code == EXIT_INDEX
    text = str(error)
    assert "\n" not in text
    assert "connection failed" in text and "after 2 attempts" in text and "fix:" in text


def test_client_error_is_not_retried(index_server: IndexServer) -> None:
    index_server.failures["/simple/torch/"] = [403]
    with pytest.raises(IndexResponseError, match="HTTP 403"):
        _client(index_server.simple_url).project("torch")
    assert index_server.paths().count("/simple/torch/") == 1


def test_only_http_indexes() -> None:
    with pytest.raises(IndexResponseError, match="only http"):
        SimpleClient("file:///srv/simple")


def test_accept_header_asks_for_json(index_server: IndexServer) -> None:
    _client(index_server.simple_url).project("torch")
    assert index_server.accepts == [SIMPLE_JSON]
