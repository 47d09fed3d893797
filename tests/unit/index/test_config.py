"""Which index pip's configuration names: environment, then config files by pip's precedence, then pip's default."""

from __future__ import annotations

import builtins
from pathlib import Path
from typing import Any

import pytest

from dlenv.errors import InputError
from dlenv.index.config import (
    PIP_DEFAULT_ORIGIN,
    config_files,
    find_index_config,
    pip_default_index_url,
)

DEFAULT = "http://127.0.0.1:9/default/simple"


def _default() -> str:
    return DEFAULT


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_nothing_configured_uses_pips_default(tmp_path: Path) -> None:
    config = find_index_config({"HOME": str(tmp_path)}, files=[], default_url=_default)
    assert config.index_url == DEFAULT
    assert config.index_origin == PIP_DEFAULT_ORIGIN
    assert config.extra_index_urls == ()


def test_environment_wins_over_every_file(tmp_path: Path) -> None:
    conf = _write(tmp_path / "pip.conf", "[global]\nindex-url = http://127.0.0.1:1/file/simple\n")
    env = {"PIP_INDEX_URL": "http://127.0.0.1:2/env/simple", "PIP_EXTRA_INDEX_URL": "http://a/ http://b/"}
    config = find_index_config(env, files=[conf], default_url=_default)
    assert config.index_url == "http://127.0.0.1:2/env/simple"
    assert config.index_origin == "PIP_INDEX_URL"
    assert config.extra_index_urls == ("http://a/", "http://b/")
    assert config.all_urls[0] == config.index_url


def test_command_section_wins_over_global_and_underscores_are_dashes(tmp_path: Path) -> None:
    conf = _write(
        tmp_path / "pip.conf",
        "[global]\nindex-url = http://g/simple\n[install]\nindex_url = http://i/simple\n"
        "[download]\nindex-url = http://d/simple\n",
    )
    assert find_index_config({}, files=[conf], default_url=_default).index_url == "http://i/simple"
    assert find_index_config({}, command="download", files=[conf], default_url=_default).index_url == "http://d/simple"


def test_file_precedence_follows_pip(tmp_path: Path) -> None:
    home = tmp_path / "home"
    xdg = tmp_path / "xdg"
    venv = tmp_path / "venv"
    env = {"HOME": str(home), "XDG_CONFIG_DIRS": str(xdg), "VIRTUAL_ENV": str(venv)}
    files = config_files(env)
    assert files == [
        xdg / "pip" / "pip.conf",
        Path("/etc/pip.conf"),
        home / ".pip" / "pip.conf",
        home / ".config" / "pip" / "pip.conf",
        venv / "pip.conf",
    ]
    _write(xdg / "pip" / "pip.conf", "[global]\nindex-url = http://global/simple\n")
    assert find_index_config(env, files=files, default_url=_default).index_url == "http://global/simple"
    _write(home / ".pip" / "pip.conf", "[global]\nindex-url = http://legacy/simple\n")
    assert find_index_config(env, files=files, default_url=_default).index_url == "http://legacy/simple"
    _write(home / ".config" / "pip" / "pip.conf", "[global]\nindex-url = http://user/simple\n")
    assert find_index_config(env, files=files, default_url=_default).index_url == "http://user/simple"
    _write(venv / "pip.conf", "[global]\nindex-url = http://site/simple\nextra-index-url = http://x/\n")
    config = find_index_config(env, files=files, default_url=_default)
    assert config.index_url == "http://site/simple"
    assert config.index_origin == f"{venv / 'pip.conf'} [global]"
    assert config.extra_index_urls == ("http://x/",)


def test_pip_config_file_is_read_last_and_hides_user_files(tmp_path: Path) -> None:
    home = tmp_path / "home"
    _write(home / ".config" / "pip" / "pip.conf", "[global]\nindex-url = http://user/simple\n")
    named = _write(tmp_path / "named.conf", "[global]\nindex-url = http://named/simple\n")
    env = {"HOME": str(home), "XDG_CONFIG_DIRS": str(tmp_path / "none"), "PIP_CONFIG_FILE": str(named)}
    files = config_files(env)
    assert files[-1] == named
    assert home / ".config" / "pip" / "pip.conf" not in files
    assert find_index_config(env, files=files, default_url=_default).index_url == "http://named/simple"


def test_a_broken_config_file_is_an_input_error(tmp_path: Path) -> None:
    broken = _write(tmp_path / "pip.conf", "index-url = no section\n")
    with pytest.raises(InputError, match="pip's configuration") as caught:
        find_index_config({}, files=[broken], default_url=_default)
    assert caught.value.path == str(broken)


def test_default_comes_from_pip_at_run_time() -> None:
    from pip._internal.models.index import PyPI

    assert pip_default_index_url() == PyPI.simple_url


def test_without_pip_the_user_is_told_to_set_pip_index_url(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_pip(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "pip" or name.startswith("pip."):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pip)
    with pytest.raises(InputError, match="PIP_INDEX_URL"):
        pip_default_index_url()
    with pytest.raises(InputError, match="PIP_INDEX_URL"):
        find_index_config({}, files=[])
