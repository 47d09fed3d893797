"""A client of the standard Simple API in its JSON form (PEP 691, PEP 700, PEP 658/714 metadata).

One `SimpleClient` per index URL. Requests have a timeout; connection errors, timeouts, 429 and 5xx answers are
retried with exponential backoff, bounded both in count and in total time. The body is read in pieces against the
same total deadline (a server trickling one byte at a time resets a read timeout, never the deadline) and up to
MAX_BODY_BYTES. A failure ends in one line: an `IndexAccessError` (exit code EXIT_INDEX) that names the URL, what
went wrong and what to do.
"""

from __future__ import annotations

import datetime
import io
import json
import time
import zipfile
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from dlenv import __version__
from dlenv.errors import EXIT_INDEX, DlenvError
from dlenv.records import field, record
from dlenv.versions import canonical_name

if TYPE_CHECKING:
    import requests

SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_BODY_BYTES = 256 * 1024 * 1024
"""The largest answer read: a project page or metadata file of the biggest projects is a few MiB."""


class IndexAccessError(DlenvError):
    """The package index could not be read; the message is one line naming the URL and a fix."""

    exit_code = EXIT_INDEX

    def __init__(self, message: str, *, url: str, fix: str) -> None:
        self.url = url
        self.problem = message
        self.fix = fix
        super().__init__(f"{url}: {message} (fix: {fix})")


class IndexUnavailableError(IndexAccessError):
    """Connection failures, timeouts, or 429/5xx answers that outlasted the retries."""


class ProjectNotFoundError(IndexAccessError):
    """The index has no page for the project (404)."""


class IndexResponseError(IndexAccessError):
    """The index answered, but not with a usable Simple API JSON page."""


@record
class IndexFile:
    """One file of a project page (PEP 691 / PEP 700 fields); `url` is absolute."""

    filename: str
    url: str
    hashes: Mapping[str, str] = field(default_factory=dict)
    requires_python: str | None = None
    upload_time: datetime.datetime | None = None
    yanked: bool = False
    yanked_reason: str | None = None
    core_metadata: bool = False
    size: int | None = None

    @property
    def metadata_url(self) -> str:
        return self.url.split("#", 1)[0] + ".metadata"

    @property
    def is_wheel(self) -> bool:
        return self.filename.endswith(".whl")


@record
class ProjectPage:
    name: str
    url: str
    files: tuple[IndexFile, ...]
    versions: tuple[str, ...] = ()
    api_version: str | None = None


def _parse_time(value: object) -> datetime.datetime | None:
    """An upload time in UTC; None for one that is malformed or that UTC cannot hold (0001-01-01T00:00:00+05:00)."""
    if not isinstance(value, str) or not value or len(value) > 64:
        return None
    try:
        parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.timezone.utc)).astimezone(
            datetime.timezone.utc
        )
    except (ValueError, OverflowError):
        return None


def _parse_file(raw: Mapping[str, Any], page_url: str) -> IndexFile:
    filename = raw.get("filename")
    url = raw.get("url")
    if not isinstance(filename, str) or not isinstance(url, str):
        raise IndexResponseError(
            "a file entry lacks its filename or url", url=page_url, fix="use an index that follows PEP 691"
        )
    yanked_value = raw.get("yanked", False)
    hashes = raw.get("hashes")
    # PEP 714 renamed data-dist-info-metadata to core-metadata; either may be a bool or a hash mapping.
    core = raw.get("core-metadata", raw.get("data-dist-info-metadata", False))
    size = raw.get("size")
    requires_python = raw.get("requires-python")
    try:
        absolute = urljoin(page_url, url)
    except ValueError:  # http://[::1/x.whl: an unclosed IPv6 bracket
        raise IndexResponseError(
            f"a file entry has a malformed url {url[:80]!r}", url=page_url, fix="use an index that follows PEP 691"
        ) from None
    return IndexFile(
        filename=filename,
        url=absolute,
        hashes={str(k): str(v) for k, v in hashes.items()} if isinstance(hashes, Mapping) else {},
        requires_python=requires_python if isinstance(requires_python, str) and requires_python else None,
        upload_time=_parse_time(raw.get("upload-time")),
        yanked=bool(yanked_value),
        yanked_reason=yanked_value if isinstance(yanked_value, str) and yanked_value else None,
        core_metadata=bool(core),
        size=size if isinstance(size, int) else None,
    )


def parse_project_page(document: object, page_url: str) -> ProjectPage:
    """A ProjectPage from a decoded PEP 691 JSON document; relative file URLs resolve against `page_url`."""
    if not isinstance(document, Mapping) or not isinstance(document.get("files"), list):
        raise IndexResponseError(
            "the answer is not a Simple API JSON project page", url=page_url, fix="use an index that follows PEP 691"
        )
    meta = document.get("meta")
    api_version = meta.get("api-version") if isinstance(meta, Mapping) else None
    versions = document.get("versions")
    return ProjectPage(
        name=str(document.get("name", "")),
        url=page_url,
        files=tuple(_parse_file(raw, page_url) for raw in document["files"] if isinstance(raw, Mapping)),
        versions=tuple(str(v) for v in versions) if isinstance(versions, list) else (),
        api_version=str(api_version) if api_version is not None else None,
    )


class SimpleClient:
    """Reads project pages and core metadata from one Simple API index."""

    def __init__(
        self,
        index_url: str,
        *,
        session: requests.Session | None = None,
        timeout: float = 30.0,
        retries: int = 4,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
        total_time: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        scheme = urlsplit(index_url).scheme
        if scheme not in {"http", "https"}:
            raise IndexResponseError(
                f"only http(s) indexes can be read, not {scheme or 'a bare path'}",
                url=index_url,
                fix="set PIP_INDEX_URL to an http(s) Simple API URL",
            )
        self.index_url = index_url.rstrip("/") + "/"
        self._session = session
        self.timeout = timeout
        self.retries = max(0, retries)
        self.backoff = backoff
        self.max_backoff = max_backoff
        # Each attempt may take `timeout` and each wait `max_backoff`: past that sum a request has failed.
        self.total_time = (
            total_time if total_time is not None else timeout * (self.retries + 1) + max_backoff * self.retries
        )
        self._sleep = sleep
        self._clock = clock

    @property
    def session(self) -> requests.Session:
        if self._session is None:
            import requests

            self._session = requests.Session()
            self._session.headers["User-Agent"] = f"dlenv/{__version__}"
        return self._session

    def project_url(self, project: str) -> str:
        return urljoin(self.index_url, canonical_name(project) + "/")

    # -- HTTP with retries

    def _get(
        self, url: str, headers: Mapping[str, str] | None = None, *, ok_missing: bool = False
    ) -> requests.Response | None:
        """GET with retries; None for a 404 when ok_missing, else 404 raises ProjectNotFoundError."""
        import requests

        deadline = self._clock() + self.total_time
        attempt = 0
        while True:
            attempt += 1
            reason: str
            retry_after: float | None = None
            try:
                response = self.session.get(url, headers=dict(headers or {}), timeout=self.timeout, stream=True)
                if response.status_code < 300:
                    _read_body(response, url, deadline, self._clock)
                else:  # the body of an error answer is not read: give the connection back
                    response.close()
            except requests.Timeout:
                reason = f"no answer within {self.timeout:g} s"
            except requests.ConnectionError as error:
                reason = f"connection failed ({_short(error)})"
            except requests.RequestException as error:
                raise IndexUnavailableError(
                    f"request failed: {_short(error)}", url=url, fix="check the index URL (PIP_INDEX_URL)"
                ) from None
            else:
                if response.status_code in RETRY_STATUSES:
                    reason = f"HTTP {response.status_code}"
                    retry_after = _retry_after(response.headers.get("Retry-After"))
                elif response.status_code in {404, 410}:
                    if ok_missing:
                        return None
                    raise ProjectNotFoundError(
                        f"not found (HTTP {response.status_code})",
                        url=url,
                        fix="check the project name and that this index serves it",
                    )
                elif response.status_code >= 400:
                    raise IndexResponseError(
                        f"HTTP {response.status_code}", url=url, fix="check the index URL and its credentials"
                    )
                else:
                    return response
            delay = min(self.max_backoff, self.backoff * 2 ** (attempt - 1))
            if retry_after is not None:
                delay = min(self.max_backoff, max(delay, retry_after))
            if attempt > self.retries or self._clock() + delay > deadline:
                raise IndexUnavailableError(
                    f"cannot read the package index: {reason} after {attempt} attempt{'s' if attempt > 1 else ''}",
                    url=url,
                    fix="check the network connection, proxy settings and PIP_INDEX_URL, then run again",
                )
            self._sleep(delay)

    # -- API

    def project(self, project: str) -> ProjectPage:
        """The project's page: every file, with yanked state, upload times and requires-python."""
        url = self.project_url(project)
        response = self._get(url, {"Accept": SIMPLE_JSON})
        assert response is not None
        content_type = response.headers.get("Content-Type", "").split(";", 1)[0].strip()
        if content_type and content_type != SIMPLE_JSON and not content_type.endswith("json"):
            raise IndexResponseError(
                f"the index answered {content_type}, not the Simple API JSON form",
                url=url,
                fix="use an index that serves PEP 691 JSON pages",
            )
        try:
            document = json.loads(response.content)
        except (ValueError, RecursionError):  # RecursionError: JSON nested thousands deep
            raise IndexResponseError(
                "the answer is not valid JSON", url=url, fix="use an index that serves PEP 691 JSON pages"
            ) from None
        return parse_project_page(document, response.url or url)

    def fetch_metadata(self, file: IndexFile, *, range_fallback: bool = False) -> str | None:
        """The file's core metadata (PEP 658: URL + '.metadata'), or None where the index has none.

        The .metadata URL is tried even when the page does not advertise core-metadata, since some indexes serve
        it anyway. With range_fallback, a wheel's METADATA is read out of the wheel by HTTP range requests when the
        index serves no .metadata file (and the server honours ranges).
        """
        response = self._get(file.metadata_url, ok_missing=True)
        if response is not None:
            return response.content.decode("utf-8", errors="replace")
        if range_fallback and file.is_wheel:
            return self._metadata_from_wheel(file)
        return None

    def _metadata_from_wheel(self, file: IndexFile) -> str | None:
        try:
            reader = _RangeReader(self, file.url.split("#", 1)[0])
            with zipfile.ZipFile(reader) as archive:
                names = [n for n in archive.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA")]
                if not names:
                    return None
                return archive.read(names[0]).decode("utf-8", errors="replace")
        except (zipfile.BadZipFile, _NoRanges, OSError, IndexResponseError):
            return None


class _NoRanges(Exception):
    pass


class _RangeReader(io.RawIOBase):
    """A seekable file over HTTP range requests, enough for zipfile to read one member.

    The first request asks for the file's tail (where the zip central directory is) and learns the file's size
    from Content-Range, so the size the index page states is not trusted.
    """

    TAIL = 65536

    def __init__(self, client: SimpleClient, url: str) -> None:
        super().__init__()
        self._client = client
        self._url = url
        self._pos = 0
        response = self._fetch(f"bytes=-{self.TAIL}")
        total = response.headers.get("Content-Range", "").rpartition("/")[2]
        if not total.isdigit():
            raise _NoRanges
        self._size = int(total)
        self._cache_start = self._size - len(response.content)
        self._cache = response.content

    def _fetch(self, byte_range: str) -> requests.Response:
        response = self._client._get(self._url, {"Range": byte_range}, ok_missing=True)
        if response is None or response.status_code != 206:
            raise _NoRanges
        return response

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        want = min(len(view), self._size - self._pos)
        if want <= 0:
            return 0
        end = self._pos + want
        if not (self._cache_start <= self._pos and end <= self._cache_start + len(self._cache)):
            fetch_end = min(self._size, max(end, self._pos + self.TAIL))
            response = self._fetch(f"bytes={self._pos}-{fetch_end - 1}")
            self._cache_start, self._cache = self._pos, response.content
        offset = self._pos - self._cache_start
        chunk = self._cache[offset : offset + want]
        view[: len(chunk)] = chunk
        self._pos += len(chunk)
        return len(chunk)


def _read_body(response: requests.Response, url: str, deadline: float, clock: Callable[[], float]) -> None:
    """Read the streamed body into response._content, within the request's total deadline and MAX_BODY_BYTES."""
    import requests
    import urllib3.exceptions

    pieces: list[bytes] = []
    size = 0
    raw = response.raw
    while True:
        try:
            piece = raw.read1(65536, decode_content=True) if hasattr(raw, "read1") else raw.read(65536)
        except urllib3.exceptions.ReadTimeoutError as error:  # raw reads raise urllib3's errors, not requests'
            raise requests.Timeout(str(error)) from None
        except (urllib3.exceptions.HTTPError, OSError) as error:
            raise requests.ConnectionError(str(error)) from None
        if not piece:
            break
        size += len(piece)
        if size > MAX_BODY_BYTES:
            response.close()
            raise IndexResponseError(
                f"the answer is larger than {MAX_BODY_BYTES // 2**20} MiB", url=url, fix="check the index URL"
            )
        if clock() > deadline:
            response.close()
            raise IndexUnavailableError(
                "the answer did not arrive within the total time allowed (the server sends too slowly)",
                url=url,
                fix="check the network connection and the index; raise --timeout for a slow index",
            )
        pieces.append(piece)
    response._content = b"".join(pieces)


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _short(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return text if len(text) <= 160 else text[:157] + "..."


__all__ = [
    "EXIT_INDEX",
    "SIMPLE_JSON",
    "IndexAccessError",
    "IndexFile",
    "IndexResponseError",
    "IndexUnavailableError",
    "ProjectNotFoundError",
    "ProjectPage",
    "SimpleClient",
    "parse_project_page",
]
