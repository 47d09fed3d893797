"""The typer application. Command modules stay thin: they parse options, call core code, render values.

`make_app(argv)` registers only the command a run names (a process runs one command, and importing and
introspecting the others costs it time); `app` is the application with every command, for help and tests.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from collections.abc import Sequence

HELP = "Will this NVIDIA driver, GPU, CUDA, cuDNN and framework stack work together?"
# Shared by every typer application of dlenv (the main one and command groups).
APP_SETTINGS: dict[str, Any] = {
    "no_args_is_help": True,
    "add_completion": False,
    "pretty_exceptions_enable": False,
    "rich_markup_mode": None,
}

# command name -> (module, attribute): a function registered as a command, or a typer app added as a group.
COMMANDS = {
    "doctor": ("dlenv.cli.doctor_cmd", "doctor"),
    "probe": ("dlenv.cli.probe_cmd", "probe"),
    "check": ("dlenv.cli.check_cmd", "check"),
    "resolve": ("dlenv.cli.resolve_cmd", "resolve"),
    "lock": ("dlenv.cli.lock_cmd", "lock"),
    "env": ("dlenv.cli.env_cmd", "env"),
    "build": ("dlenv.cli.build_cmd", "build"),
    "matrix": ("dlenv.cli.matrix_cmd", "app"),
    "fleet": ("dlenv.cli.fleet_cmd", "app"),
}


def _show_version(value: bool) -> None:
    if value:
        from dlenv import __version__

        typer.echo(f"dlenv {__version__}")
        raise typer.Exit()


def _main(
    version: Annotated[
        bool, typer.Option("--version", help="Show dlenv's version and exit.", is_eager=True, callback=_show_version)
    ] = False,
) -> None:
    """Will this NVIDIA driver, GPU, CUDA, cuDNN and framework stack work together?"""


def make_app(argv: Sequence[str] | None = None) -> typer.Typer:
    """The application with the command `argv` names (its first word), or with every command."""
    first = next((word for word in argv or () if not word.startswith("-")), None)
    names = [first] if first in COMMANDS else list(COMMANDS)
    application = typer.Typer(name="dlenv", help=HELP, **APP_SETTINGS)
    application.callback()(_main)
    for name in names:
        module, attribute = COMMANDS[name]
        target = getattr(importlib.import_module(module), attribute)
        if isinstance(target, typer.Typer):
            application.add_typer(target, name=name)
        else:
            application.command(name)(target)
    return application


def __getattr__(name: str) -> Any:
    if name == "app":
        application = make_app()
        globals()["app"] = application
        return application
    raise AttributeError(name)
