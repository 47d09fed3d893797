"""A Debian base image made here with debootstrap (nothing can be pulled), cached between test runs.

The rootfs carries python3 with venv and pip, the host's CA bundle (the one the host's pip verifies the index with)
and the host's pip index settings, so pip inside a build reaches the index the host's pip reaches. It is kept as a
tarball under a cache directory this test owns; the key names everything that goes into it.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

SUITE = "bookworm"
PACKAGES = ("python3", "python3-venv", "python3-pip", "ca-certificates")
"""bookworm's python3 is 3.11; python3.11-venv comes with python3-venv."""
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
CACHE = Path(os.environ.get("DLENV_TEST_BASE_CACHE", Path.home() / ".cache" / "dlenv-test-base"))
_PIP_KEYS = ("index-url", "extra-index-url", "trusted-host", "timeout", "default-timeout", "retries")


def debian_mirror(sources: Path = Path("/etc/apt")) -> str:
    """The Debian archive apt uses here: the first http(s) URI of a deb822 or one-line source for Debian."""
    files = sorted([sources / "sources.list", *sorted((sources / "sources.list.d").glob("*"))])
    for path in files:
        if not path.is_file() or path.name.endswith(".disabled") or "disabled" in path.name:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for uri in re.findall(r"^URIs:\s*(\S+)", text, flags=re.MULTILINE) + re.findall(
            r"^deb\s+(?:\[[^]]*\]\s+)?(\S+)\s+\S+", text, flags=re.MULTILINE
        ):
            if uri.startswith(("http://", "https://")) and uri.rstrip("/").endswith("/debian"):
                return str(uri)
    raise RuntimeError(f"no Debian archive in {sources}/sources.list*")


def pip_settings() -> str:
    """The host pip's index settings as a pip.conf; local paths (file://, /...) do not exist inside the image."""
    result = subprocess.run(
        ["python3", "-m", "pip", "config", "list"], capture_output=True, text=True, check=False, timeout=60
    )
    lines = ["[global]", f"cert = {CA_BUNDLE}"]
    for raw in result.stdout.splitlines():
        key, _, value = raw.partition("=")
        name = key.rsplit(".", 1)[-1]
        value = value.strip().strip("'\"")
        if name in _PIP_KEYS:
            kept = [v for v in value.split() if v.startswith(("http://", "https://")) or name != "extra-index-url"]
            if name == "index-url" and not value.startswith(("http://", "https://")):
                continue
            if kept:
                lines.append(f"{name} = {' '.join(kept)}")
    for variable, name in (("PIP_INDEX_URL", "index-url"), ("PIP_EXTRA_INDEX_URL", "extra-index-url")):
        urls = [v for v in os.environ.get(variable, "").split() if v.startswith(("http://", "https://"))]
        if urls:
            lines.append(f"{name} = {' '.join(urls)}")
    return "\n".join(lines) + "\n"


def cache_key(mirror: str, pip_conf: str) -> str:
    digest = hashlib.sha256()
    for part in (SUITE, mirror, " ".join(PACKAGES), pip_conf, CA_BUNDLE.read_bytes().hex()):
        digest.update(part.encode() + b"\0")
    return digest.hexdigest()[:16]


def base_rootfs(log: Path | None = None) -> Path:
    """The cached rootfs tarball, made with debootstrap when missing (a few minutes the first time)."""
    mirror = debian_mirror()
    pip_conf = pip_settings()
    tarball = CACHE / f"{SUITE}-{cache_key(mirror, pip_conf)}.tar"
    if tarball.exists():
        return tarball
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="rootfs-", dir=CACHE) as scratch:
        root = Path(scratch) / "root"
        out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 - closed below
        try:
            command = ["debootstrap", "--variant=minbase", f"--include={','.join(PACKAGES)}", SUITE, str(root), mirror]
            subprocess.run(command, check=True, stdout=out, stderr=subprocess.STDOUT, timeout=1200)
        finally:
            if log:
                out.close()  # type: ignore[union-attr]
        shutil.copyfile(CA_BUNDLE, root / "etc/ssl/certs/ca-certificates.crt")
        (root / "etc/pip.conf").write_text(pip_conf, encoding="utf-8")
        # Trim what a build never reads: apt's package lists and caches.
        for cache in ("var/cache/apt/archives", "var/lib/apt/lists"):
            for item in (root / cache).glob("*.deb"):
                item.unlink()
        partial = tarball.with_suffix(".tar.partial")
        subprocess.run(["tar", "-C", str(root), "-cf", str(partial), "."], check=True, timeout=600)
        partial.rename(tarball)
    return tarball


if __name__ == "__main__":
    print(base_rootfs())
