"""The typer-free parser (dlenv.cli.fast) against click: on every command line it accepts, both give the same
values; where it is not sure it declines, and typer answers. And doctor/probe on it load neither typer nor rich."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer.main
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from dlenv.cli.fast import FAST_COMMANDS, command_of, parse
from dlenv.cli.options import flag_name, groups_of
from dlenv.cli.typer_app import make_app


def click_values(name: str, argv: list[str]) -> dict[str, Any] | None:
    """What click makes of the line (None: it refuses it), normalised as typer hands it to the command."""
    group = typer.main.get_command(make_app([name]))
    command = group.commands[name]  # type: ignore[attr-defined]
    try:
        context = command.make_context(name, list(argv))
    except Exception:  # click's usage errors, and --help's exit
        return None
    values: dict[str, Any] = {}
    for key, value in context.params.items():
        if isinstance(value, tuple | list):
            values[key] = [str(item) for item in value] or None
        else:
            values[key] = str(value) if isinstance(value, Path) else value
    return values


def fast_values(name: str, argv: list[str]) -> dict[str, Any] | None:
    groups = groups_of(command_of(name))
    parsed = parse(groups, argv, os.environ)
    if parsed is None:
        return None
    values: dict[str, Any] = {}
    for group in groups:
        for option in group.options:
            value = parsed.get(flag_name(option), None if option.repeats else option.default)
            if isinstance(value, list):
                value = [str(item) for item in value]
            values[flag_name(option)] = str(value) if isinstance(value, Path) else value
    return values


@pytest.fixture(scope="module")
def places(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    root = tmp_path_factory.mktemp("fast")
    (root / "host.json").write_text("{}", encoding="utf-8")
    return str(root / "host.json"), str(root)


def _words(name: str, file: str, directory: str) -> st.SearchStrategy[list[str]]:
    """Mostly well-formed lines (an option and a value of the kind it takes), with odd words mixed in."""
    options = [option for group in groups_of(command_of(name)) for option in group.options]
    values = ["json", "text", "xml", "", "-", "a=b", "-x", "8.0", "A100", "535.104.05", file, directory, "missing"]
    odd = ["--bogus", "-x", "--", "-", "--help", "--form", "-fjson", "torch==2.5.1", "jax>=0.4", "--force=1"]

    @st.composite
    def pair(draw: st.DrawFn) -> list[str]:
        option = draw(st.sampled_from(options))
        if option.kind == "arguments":
            return [draw(st.sampled_from(["torch==2.5.1", "jax>=0.4", "numpy", "-", "8.0"]))]
        flag = draw(st.sampled_from(option.flags))
        if not option.takes_value:
            return [flag]
        value = draw(st.sampled_from([*option.choices, *values]))
        return [f"{flag}={value}"] if flag.startswith("--") and draw(st.booleans()) else [flag, value]

    word_lists = st.one_of(pair(), pair(), pair(), st.sampled_from(odd).map(lambda word: [word]))
    return st.lists(word_lists, max_size=6).map(lambda parts: [word for part in parts for word in part])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_fast_parser_agrees_with_click_where_it_accepts(data: st.DataObject, places: tuple[str, str]) -> None:
    file, directory = places
    name = data.draw(st.sampled_from(sorted(FAST_COMMANDS)))
    argv = data.draw(_words(name, file, directory))
    environment = {
        "DLENV_MATRIX": data.draw(st.sampled_from([None, directory, file, ""])),
        "DLENV_RESOLVE": data.draw(st.sampled_from([None, "1", "no", ""])),
    }
    saved = {key: os.environ.pop(key, None) for key in environment}
    try:
        os.environ.update({key: value for key, value in environment.items() if value is not None})
        fast = fast_values(name, argv)
        event("accepted" if fast is not None else "declined")
        if fast is not None:
            assert fast == click_values(name, argv), argv
    finally:
        for key, value in saved.items():
            os.environ.pop(key, None)
            if value is not None:
                os.environ[key] = value


@pytest.mark.parametrize(
    ("argv", "accepted"),
    [
        (["--format", "json", "--gpu", "8.0", "--gpu", "A100", "--driver=535.104.05"], True),
        (["-f", "text", "-o", "-"], True),
        (["--format", "xml"], False),  # click says why
        (["--help"], False),
        (["--form", "json"], False),  # an abbreviation: click's business
        (["-fjson"], False),
        (["--driver"], False),  # a missing value
    ],
)
def test_what_the_fast_parser_declines(argv: list[str], accepted: bool) -> None:
    assert (fast_values("doctor", argv) is not None) == accepted


def test_doctor_and_probe_load_neither_typer_nor_rich() -> None:
    code = (
        "import sys; from dlenv.cli.fast import run; sys.stdout = open('/dev/null', 'w');"
        "[run([name, '--format', 'json', '--driver', '535.104.05', '--gpu', '8.0']) for name in ('doctor', 'probe')];"
        "sys.stderr.write(' '.join(m for m in sys.modules if m.split('.')[0] in ('typer', 'click', 'rich')))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stderr
    assert loaded == ""
