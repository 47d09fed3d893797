"""A package index on 127.0.0.1 for lock tests: tiny wheels built with zipfile, PEP 503 pages with sha256 fragments.

Layout (each an index root):  /simple/  the default index (what the user's pip configuration would name)
                              /whl/cpu/, /whl/cu118/  stand-ins for PyTorch's indexes (the tests rewrite the URLs)
Wheels are byte-for-byte reproducible (fixed timestamps, sorted entries), so their hashes are stable.
"""

from __future__ import annotations

import base64
import hashlib
import html
import http.server
import os
import sys
import threading
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class Wheel:
    name: str
    version: str
    tags: tuple[str, ...]
    requires: tuple[str, ...] = ()

    @property
    def filenames(self) -> tuple[str, ...]:
        return tuple(f"{self.name.replace('-', '_')}-{self.version}-{tag}.whl" for tag in self.tags)


def _record_line(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def build_wheel(wheel: Wheel, tag: str, directory: Path) -> Path:
    module = wheel.name.replace("-", "_")
    dist_info = f"{module}-{wheel.version}.dist-info"
    metadata = ["Metadata-Version: 2.1", f"Name: {wheel.name}", f"Version: {wheel.version}"]
    metadata += [f"Requires-Dist: {requirement}" for requirement in wheel.requires]
    purelib = tag.endswith("-none-any")
    files = {
        f"{module}/__init__.py": f"__version__ = {wheel.version!r}\n".encode(),
        f"{dist_info}/METADATA": ("\n".join(metadata) + "\n").encode(),
        f"{dist_info}/WHEEL": (
            f"Wheel-Version: 1.0\nGenerator: dlenv-tests\nRoot-Is-Purelib: {str(purelib).lower()}\nTag: {tag}\n"
        ).encode(),
    }
    record = [_record_line(path, data) for path, data in sorted(files.items())] + [f"{dist_info}/RECORD,,"]
    files[f"{dist_info}/RECORD"] = ("\n".join(record) + "\n").encode()
    path = directory / f"{module}-{wheel.version}-{tag}.whl"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in sorted(files.items()):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            archive.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    return path


CP = ("cp310", "cp311", "cp312")
LINUX = "manylinux_2_28_x86_64"
FILELOCK = Wheel("filelock", "3.16.1", ("py3-none-any",))
RUNTIME_12 = Wheel("nvidia-cuda-runtime-cu12", "12.8.90", ("py3-none-manylinux2014_x86_64",))
RUNTIME_11 = Wheel("nvidia-cuda-runtime-cu11", "11.8.89", ("py3-none-manylinux2014_x86_64",))


def _dlenv_dependencies() -> tuple[Wheel, ...]:
    """A stand-in wheel for each of dlenv's own dependencies, read from pyproject.toml (the one list of them), at
    the lowest version its specifier allows."""
    from packaging.requirements import Requirement

    if sys.version_info >= (3, 11):
        import tomllib
    else:
        import tomli as tomllib

    project = tomllib.loads((Path(__file__).parents[3] / "pyproject.toml").read_text())["project"]
    wheels = []
    for text in project["dependencies"]:
        requirement = Requirement(text)
        floors = [spec.version for spec in requirement.specifier if spec.operator in (">=", "==", "~=")]
        parts = (floors[0] if floors else "1.0").split(".")
        version = ".".join(parts + ["0"] * (3 - len(parts)))  # 0.20 -> 0.20.0, as the real releases are named
        wheels.append(Wheel(requirement.name, version, ("py3-none-any",)))
    return tuple(wheels)


DLENV_DEPENDENCIES = _dlenv_dependencies()

INDEXES: dict[str, tuple[Wheel, ...]] = {
    "simple": (
        Wheel(
            "torch",
            "2.8.0",
            tuple(f"{cp}-{cp}-{LINUX}" for cp in CP),
            # As the real torch 2.8.0 declares it: a dependency only Python 3.12 and newer install, and one only
            # Windows installs (pip evaluates both for its own interpreter; dlenv for the target).
            (
                "filelock",
                'nvidia-cuda-runtime-cu12==12.8.90; platform_system == "Linux"',
                'setuptools; python_version >= "3.12"',
                'colorama; sys_platform == "win32"',
            ),
        ),
        Wheel("cudf-cu12", "24.10.1", tuple(f"{cp}-{cp}-{LINUX}" for cp in CP), ("nvidia-cuda-runtime-cu12>=12.0",)),
        FILELOCK,
        RUNTIME_12,
        Wheel("setuptools", "75.1.0", ("py3-none-any",)),
        Wheel("colorama", "0.4.6", ("py2.py3-none-any",)),
        # dlenv's own dependencies, for the dlenv-check.lock of `dlenv build -o DIR/Dockerfile` (stand-ins whose
        # versions meet dlenv's Requires-Dist; the wheel of the running dlenv is the one real package).
        *DLENV_DEPENDENCIES,
    ),
    "whl/cpu": (Wheel("torch", "2.8.0+cpu", tuple(f"{cp}-{cp}-{LINUX}" for cp in CP), ("filelock",)), FILELOCK),
    "whl/cu118": (
        Wheel(
            "torch",
            "2.7.1+cu118",
            tuple(f"{cp}-{cp}-{LINUX}" for cp in CP),
            ("filelock", 'nvidia-cuda-runtime-cu11==11.8.89; platform_system == "Linux"'),
        ),
        FILELOCK,
        RUNTIME_11,
    ),
}


def build_indexes(root: Path) -> None:
    files = root / "files"
    files.mkdir(parents=True, exist_ok=True)
    for index, wheels in INDEXES.items():
        by_project: dict[str, list[Path]] = {}
        for wheel in wheels:
            for tag in wheel.tags:
                path = files / f"{wheel.name.replace('-', '_')}-{wheel.version}-{tag}.whl"
                if not path.exists():
                    build_wheel(wheel, tag, files)
                by_project.setdefault(wheel.name, []).append(path)
        depth = "../" * (index.count("/") + 2)
        for project, paths in by_project.items():
            page = root / index / project
            page.mkdir(parents=True, exist_ok=True)
            links = "".join(
                f'<a href="{depth}files/{html.escape(p.name)}#sha256={hashlib.sha256(p.read_bytes()).hexdigest()}">'
                f"{html.escape(p.name)}</a><br>\n"
                for p in sorted(paths)
            )
            (page / "index.html").write_text(f"<!DOCTYPE html>\n<html><body>\n{links}</body></html>\n")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        return


@contextmanager
def serve_handler(handler: Callable[..., http.server.BaseHTTPRequestHandler]) -> Iterator[str]:
    """An HTTP server on 127.0.0.1 with `handler`, for the duration of the block; yields the base URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextmanager
def serve(root: Path) -> Iterator[str]:
    """Serve `root` on 127.0.0.1; yields the base URL."""

    def handler(*args: object, **kwargs: object) -> _Quiet:
        return _Quiet(*args, directory=str(root), **kwargs)  # type: ignore[arg-type]

    with serve_handler(handler) as url:
        yield url


def use_index(monkeypatch: pytest.MonkeyPatch, url: str, root: Path) -> dict[str, str]:
    """Point pip (and dlenv's own index client) at the local index only, for one test; returns that environment."""
    for key in [key for key in os.environ if key.startswith("PIP_")]:
        monkeypatch.delenv(key)
    env = pip_env(url, root)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


def pip_env(base_url: str, home: Path) -> dict[str, str]:
    """An environment in which pip sees only the local index: no configuration files, no PIP_* from outside."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PIP_")}
    env.update(
        PIP_CONFIG_FILE=os.devnull,
        PIP_INDEX_URL=f"{base_url}/simple",
        PIP_NO_CACHE_DIR="1",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PIP_NO_INPUT="1",
        HOME=str(home),
    )
    return env


def rewrite_for(base_url: str) -> Callable[[str], str]:
    def rewrite(url: str) -> str:
        return url.replace("https://download.pytorch.org", base_url)

    return rewrite
