"""Installed Python distributions and conda packages, read from metadata on disk (never by importing them).

Listing dist-info folder names with os.scandir costs a few milliseconds, far less than importlib.metadata.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from dlenv.records import record
from dlenv.versions import canonical_name

if TYPE_CHECKING:
    from collections.abc import Iterable


@record
class Distribution:
    name: str
    version: str
    metadata_dir: Path
    site_dir: Path

    def metadata_headers(self) -> list[tuple[str, str]]:
        """The header fields of METADATA (PKG-INFO for eggs), stopping before the long description."""
        for filename in ("METADATA", "PKG-INFO"):
            try:
                text = (self.metadata_dir / filename).read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            headers = []
            for line in text.split("\n\n", 1)[0].splitlines():
                key, sep, value = line.partition(": ")
                if sep and not line.startswith((" ", "\t")):
                    headers.append((key, value.strip()))
            return headers
        return []


@record
class CondaPackage:
    name: str
    version: str
    build: str
    prefix: Path


def _split_metadata_dir(name: str) -> tuple[str, str] | None:
    for suffix in (".dist-info", ".egg-info"):
        if name.endswith(suffix):
            stem = name[: -len(suffix)]
            project, sep, rest = stem.partition("-")
            if not sep:
                return None
            return canonical_name(project), rest.split("-", 1)[0]
    return None


def installed_distributions(site_dirs: Iterable[Path]) -> dict[str, Distribution]:
    """Distributions by normalised name; the first site dir on the path wins, as for imports."""
    found: dict[str, Distribution] = {}
    for site_dir in site_dirs:
        try:
            entries = list(os.scandir(site_dir))
        except OSError:
            continue
        for entry in entries:
            parsed = _split_metadata_dir(entry.name)
            if parsed is None or parsed[0] in found:
                continue
            found[parsed[0]] = Distribution(parsed[0], parsed[1], Path(entry.path), Path(site_dir))
    return found


def conda_packages(prefix: Path) -> dict[str, CondaPackage]:
    """Packages of a conda environment from conda-meta/NAME-VERSION-BUILD.json file names."""
    try:
        names = os.listdir(prefix / "conda-meta")
    except OSError:
        return {}
    packages = {}
    for filename in names:
        if not filename.endswith(".json"):
            continue
        parts = filename[: -len(".json")].rsplit("-", 2)
        if len(parts) == 3:
            packages[parts[0]] = CondaPackage(parts[0], parts[1], parts[2], prefix)
    return packages
