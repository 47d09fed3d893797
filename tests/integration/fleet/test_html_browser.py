"""The fleet HTML report in a real headless Chromium (Debian's): the grid renders, every cell the browser shows
matches the JSON report, nothing is fetched, and the screenshot shows the grid's colours."""

from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
import sys
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.unit.fleet.fleet_data import NODE_FACTS, write_reports

pytestmark = pytest.mark.integration

# the grid's cell colours (render/fleet_html.py)
OK_RGB, INCOMPATIBLE_RGB = (0xD9, 0xF2, 0xDC), (0xF9, 0xD3, 0xD3)


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _browser(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    chromium = _chromium()
    assert chromium is not None
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    command = [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


class _Cells(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.cells: dict[tuple[str, str], str] = {}
        self.columns: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "td" and values.get("data-status"):
            self.cells[(str(values["data-pool"]), str(values["data-column"]))] = str(values["data-status"])
        if tag == "th" and values.get("data-column"):
            self.columns.append(str(values["data-column"]))


def _png_pixels(path: Path) -> set[tuple[int, int, int]]:
    """The distinct RGB colours of an 8-bit RGB/RGBA, non-interlaced PNG (what Chromium writes)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, chunks, header = 8, [], b""
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            chunks.append(body)
        position += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and colour in (2, 6)
    channels = 3 if colour == 2 else 4
    raw = zlib.decompress(b"".join(chunks))
    stride = width * channels
    previous = bytearray(stride)
    colours: set[tuple[int, int, int]] = set()
    for row in range(height):
        start = row * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                guess = left + up - corner
                pa, pb, pc = abs(guess - left), abs(guess - up), abs(guess - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
        colours.update(tuple(line[i : i + 3]) for i in range(0, stride, channels))  # type: ignore[misc]
        previous = line
    return colours


def test_grid_renders_and_matches_the_json(tmp_path: Path, evidence: Path | None) -> None:
    if _chromium() is None:
        pytest.skip("chromium is not installed (apt-get install chromium; .ci/run does)")
    nodes: dict[str, tuple[str, tuple[str, ...], str] | str] = dict(NODE_FACTS)
    nodes["node4"] = ("535.54.03", ("A100",) * 2, "3.11")  # driver drift on the A100s
    nodes["node5"] = "not probed: sinfo state down"
    reports = write_reports(tmp_path / "fleet.jsonl", nodes)
    html, document_path = tmp_path / "fleet.html", tmp_path / "fleet.json"
    for fmt, out in (("html", html), ("json", document_path)):
        made = subprocess.run(
            [
                sys.executable,
                "-m",
                "dlenv",
                "fleet",
                "resolve",
                "torch",
                "--reports",
                str(reports),
                "--format",
                fmt,
                "-o",
                str(out),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert made.returncode == 0, made.stderr
    document = json.loads(document_path.read_text())

    dom = _browser(tmp_path, "--dump-dom", html.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    parser = _Cells()
    parser.feed(dom.stdout)
    expected = {(p["id"], key): cell["status"] for p in document["pools"] for key, cell in p["cells"].items()}
    assert parser.cells == expected
    assert parser.columns == [c["key"] for c in document["columns"]]
    assert len(set(expected.values())) >= 2  # the grid shows a verdict that differs
    assert re.search(r"5 nodes, 4 reported, 1 unreported, 4 pools", dom.stdout)

    png = tmp_path / "fleet.png"
    shot = _browser(tmp_path, f"--screenshot={png}", "--window-size=1400,900", "--hide-scrollbars", html.as_uri())
    assert shot.returncode == 0 and png.exists(), shot.stderr[-2000:]
    colours = _png_pixels(png)
    statuses = set(expected.values())
    assert OK_RGB in colours or "ok" not in statuses
    assert INCOMPATIBLE_RGB in colours or "incompatible" not in statuses
    assert OK_RGB in colours or INCOMPATIBLE_RGB in colours
    if evidence is not None:
        shutil.copy(png, evidence / "fleet-report.png")
        shutil.copy(html, evidence / "fleet-report.html")
        shutil.copy(document_path, evidence / "fleet-report.json")
