"""Which package index the user's pip configuration names.

Precedence, highest first (as pip itself applies it):

1. the environment: PIP_INDEX_URL, PIP_EXTRA_INDEX_URL;
2. the file PIP_CONFIG_FILE names;
3. the site file: $VIRTUAL_ENV/pip.conf;
4. the user files: ~/.config/pip/pip.conf (or $XDG_CONFIG_HOME/pip/pip.conf), then the legacy ~/.pip/pip.conf;
5. the global files: /etc/pip.conf, then /etc/xdg/pip/pip.conf (or each $XDG_CONFIG_DIRS entry).

Within one file the command section ([install] or [download]) wins over [global]. As in pip, the user files are not
read when PIP_CONFIG_FILE names an existing file. Only when no source sets index-url is pip's own built-in default
used, read from pip at run time so that no registry host is written here.
"""

from __future__ import annotations

import configparser
import os
from pathlib import Path
from typing import TYPE_CHECKING

from dlenv.errors import InputError
from dlenv.records import record

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

PIP_DEFAULT_ORIGIN = "pip's built-in default"


@record
class IndexConfig:
    """The primary index URL, the extra index URLs, and where each came from (for messages)."""

    index_url: str
    extra_index_urls: tuple[str, ...] = ()
    index_origin: str = PIP_DEFAULT_ORIGIN
    extra_origin: str | None = None

    @property
    def all_urls(self) -> tuple[str, ...]:
        return (self.index_url, *self.extra_index_urls)


def pip_default_index_url() -> str:
    """pip's built-in default index (its Simple API URL), asked of pip at run time."""
    try:
        from pip._internal.models.index import PyPI
    except ImportError:
        raise InputError(
            "no package index is configured and pip is not importable to name its default index",
            fix="set PIP_INDEX_URL to your package index's Simple API URL",
        ) from None
    url: str = PyPI.simple_url
    return url


def config_files(environ: Mapping[str, str], home: Path | None = None) -> list[Path]:
    """pip's configuration files in the order pip reads them: lowest precedence first."""
    home = home if home is not None else Path(environ.get("HOME") or Path.home())
    files: list[Path] = []
    xdg_dirs = [part for part in environ.get("XDG_CONFIG_DIRS", "/etc/xdg").split(os.pathsep) if part]
    # pip's site_config_dirs: each XDG config dir, then /etc; later files override earlier ones, so the first XDG
    # dir must come last among them.
    files.extend(Path(directory) / "pip" / "pip.conf" for directory in reversed(xdg_dirs or ["/etc/xdg"]))
    files.append(Path("/etc/pip.conf"))
    env_file = environ.get("PIP_CONFIG_FILE")
    if not (env_file and Path(env_file).exists()):
        files.append(home / ".pip" / "pip.conf")
        xdg_home = environ.get("XDG_CONFIG_HOME") or str(home / ".config")
        files.append(Path(xdg_home) / "pip" / "pip.conf")
    virtual_env = environ.get("VIRTUAL_ENV")
    if virtual_env:
        files.append(Path(virtual_env) / "pip.conf")
    if env_file and env_file != os.devnull:
        files.append(Path(env_file))
    return files


def _read_file(path: Path, sections: Sequence[str]) -> dict[str, tuple[str, str]]:
    """key -> (value, origin) from one file; later sections in `sections` override earlier ones."""
    parser = configparser.RawConfigParser()
    try:
        with path.open(encoding="utf-8") as handle:
            parser.read_file(handle)
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, configparser.Error) as error:
        raise InputError(
            f"cannot read pip's configuration: {error}", path=path, fix="correct or remove the file"
        ) from None
    found: dict[str, tuple[str, str]] = {}
    for section in sections:
        if not parser.has_section(section):
            continue
        for key, value in parser.items(section):
            found[key.replace("_", "-").lower()] = (value, f"{path} [{section}]")
    return found


def find_index_config(
    environ: Mapping[str, str],
    *,
    command: str = "install",
    home: Path | None = None,
    files: Sequence[Path] | None = None,
    default_url: Callable[[], str] = pip_default_index_url,
) -> IndexConfig:
    """The index pip would use for `pip COMMAND`, read from `environ` (pass os.environ) and pip's config files."""
    settings: dict[str, tuple[str, str]] = {}
    for path in files if files is not None else config_files(environ, home):
        settings.update(_read_file(path, ["global", command]))
    for key, variable in (("index-url", "PIP_INDEX_URL"), ("extra-index-url", "PIP_EXTRA_INDEX_URL")):
        value = environ.get(variable)
        if value:
            settings[key] = (value, variable)
    if "index-url" in settings and settings["index-url"][0].strip():
        index_url, index_origin = settings["index-url"][0].strip(), settings["index-url"][1]
    else:
        index_url, index_origin = default_url(), PIP_DEFAULT_ORIGIN
    extra_value, extra_origin = settings.get("extra-index-url", ("", None))
    extras = tuple(extra_value.split())
    return IndexConfig(
        index_url=index_url,
        extra_index_urls=extras,
        index_origin=index_origin,
        extra_origin=extra_origin if extras else None,
    )


def current_index_config(command: str = "install") -> IndexConfig:
    """find_index_config for this process's environment."""
    return find_index_config(os.environ, command=command)


__all__ = ["IndexConfig", "config_files", "current_index_config", "find_index_config", "pip_default_index_url"]
