"""make_app registers only the command a run names; without one (help, --version) it registers every command."""

from __future__ import annotations

from dlenv.cli import COMMANDS, make_app


def names(argv: list[str]) -> set[str]:
    app = make_app(argv)
    return {c.name or "" for c in app.registered_commands} | {g.name or "" for g in app.registered_groups}


def test_a_run_registers_the_command_it_names() -> None:
    assert names(["check", "torch", "--gpu", "A100"]) == {"check"}
    assert names(["matrix", "stats"]) == {"matrix"}


def test_help_version_and_unknown_words_get_every_command() -> None:
    assert names([]) == set(COMMANDS)
    assert names(["--version"]) == set(COMMANDS)
    assert names(["nosuch"]) == set(COMMANDS)
