"""Run a command without importing typer, where every option it takes is declared in dlenv.cli.options.

typer and click cost about three times a bare interpreter's start-up (scripts/bench.py), more than doctor's probing
itself; `dlenv probe`/`doctor` run on every node of a fleet, `check` in every CI job. This parser reads the same
declarations the typer side expands, and accepts only a command line whose meaning is certain: exact flags,
`--flag value`, `--flag=value`, positional words, a choice among its choices, a path of the right kind. Anything
else — --help, an unknown or abbreviated flag, a missing value, a bad choice, `--`, a boolean from the environment —
returns None and typer parses the line, so errors and help read exactly as before. tests/unit/cli/test_fast.py
checks against click that both parsers agree on every line this one accepts.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dlenv.cli.options import assemble, flag_name, groups_of

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from dlenv.cli.options import Group, Option

# Commands whose every option is declared in dlenv.cli.options (their modules import neither typer nor rich).
FAST_COMMANDS = {
    "doctor": ("dlenv.cli.doctor_cmd", "doctor"),
    "probe": ("dlenv.cli.probe_cmd", "probe"),
    "check": ("dlenv.cli.check_cmd", "check"),
}


def command_of(name: str) -> Callable[..., int]:
    module, attribute = FAST_COMMANDS[name]
    function: Callable[..., int] = getattr(importlib.import_module(module), attribute)
    return function


def parse(groups: tuple[Group, ...], argv: Sequence[str], env: Mapping[str, str]) -> dict[str, Any] | None:
    """Option values keyed by flag_name, as click would give them, or None where this parser is not sure."""
    options = [option for group in groups for option in group.options]
    by_flag = {flag: option for option in options for flag in option.flags}
    positional = next((option for option in options if option.kind == "arguments"), None)
    values: dict[str, Any] = {}
    words = list(argv)
    while words:
        word = words.pop(0)
        if positional is not None and not word.startswith("-"):
            values.setdefault(flag_name(positional), []).append(word)
            continue
        flag, equals, inline = word.partition("=")
        option = by_flag.get(flag) if flag.startswith("--") or len(flag) == 2 else None
        if option is None or (equals and not flag.startswith("--")):
            return None  # positional, unknown, abbreviated, -fVALUE, -f=VALUE, - or --: typer decides
        if not option.takes_value:
            if equals:
                return None
            values[flag_name(option)] = option.kind != "switch" or flag == option.flags[0]
            continue
        if equals:
            value = inline
        elif words and not (words[0].startswith("-") and words[0] != "-"):
            value = words.pop(0)
        else:
            return None  # a missing value, or one that looks like an option: click's rules are subtler
        converted = _convert(option, value)
        if converted is None:
            return None
        if option.repeats:
            values.setdefault(flag_name(option), []).append(converted)
        else:
            values[flag_name(option)] = converted
    for option in options:
        if option.envvar and flag_name(option) not in values and env.get(option.envvar):
            converted = _convert(option, env[option.envvar]) if option.takes_value else None
            if converted is None:
                return None  # a boolean from the environment: click's spelling rules decide
            values[flag_name(option)] = converted
    return values


def _convert(option: Option, value: str) -> Any:
    """The value as click converts it, or None where click would refuse it (typer then says why)."""
    if option.kind == "choice":
        return value if value in option.choices else None
    if option.kind in ("path", "paths", "directory"):
        if not value:
            return None
        path = Path(value)
        try:
            if path.exists() and path.is_dir() != (option.kind == "directory"):
                return None
        except (OSError, ValueError):
            return None
        return path
    return value


def run(argv: Sequence[str]) -> int | None:
    """The exit code of the command `argv` names, or None where typer must parse the line."""
    if not argv or argv[0] not in FAST_COMMANDS:
        return None
    function = command_of(argv[0])
    groups = groups_of(function)
    values = parse(groups, argv[1:], os.environ)
    if values is None:
        return None
    return function(**assemble(groups, values))
