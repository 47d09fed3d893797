"""The command line. `dlenv.cli.typer_app` is the typer application; `dlenv.cli.fast` runs doctor and probe without
loading typer. This package imports nothing itself, so reaching `dlenv.cli.fast` costs no typer."""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name in ("app", "make_app", "typer_command", "APP_SETTINGS", "COMMANDS", "HELP"):
        from dlenv.cli import typer_app

        return getattr(typer_app, name)
    raise AttributeError(name)
