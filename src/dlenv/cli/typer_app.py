"""The typer application. Command modules stay thin: they parse options, call core code, render values.

`make_app(argv)` registers only the command a run names (a process runs one command, and importing and
introspecting the others costs it time); `app` is the application with every command, for help and tests.
"""

from __future__ import annotations

import enum
import functools
import importlib
import inspect
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from dlenv.cli.options import Option, assemble, flag_name, groups_of

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

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


_ANNOTATIONS: dict[str, Any] = {
    "text": str | None,
    "path": Path | None,
    "directory": Path | None,
    "flag": bool,
    "repeat": list[str] | None,
    "paths": list[Path] | None,
    "switch": bool | None,
    "choice": str,
}


def _typer_parameter(option: Option) -> inspect.Parameter:
    if option.kind == "arguments":
        argument = typer.Argument(help=option.help, show_default=False)
        words: Any = Annotated[list[str] | None, argument]
        return inspect.Parameter(option.name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=words)
    declarations = ["/".join(option.flags)] if option.kind == "switch" else option.flags
    info = typer.Option(
        *declarations,
        show_default=option.kind != "switch",
        help=option.help,
        envvar=option.envvar,
        rich_help_panel=option.panel,
        file_okay=option.kind != "directory",
        dir_okay=option.kind not in ("path", "paths"),
    )
    default = None if option.repeats else option.default
    value_type: Any = _ANNOTATIONS[option.kind]
    if option.kind == "choice":  # typer offers an Enum's values as the choices; the command gets the str back
        value_type = _choices(option)
        default = value_type(option.default)
    annotation = Annotated[value_type, info]
    return inspect.Parameter(flag_name(option), inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)


def _choices(option: Option) -> type[enum.Enum]:
    """A str Enum of the option's choices: typer offers an Enum's values and checks them."""
    members = [(choice, choice) for choice in option.choices]
    choices: type[enum.Enum] = enum.Enum(option.name, members, type=str)  # type: ignore[misc]
    return choices


def typer_command(function: Callable[..., Any]) -> Callable[..., Any]:
    """`function` as typer sees it: its option groups (dlenv.cli.options) expanded into typer options, and its
    return value (an exit code) raised as typer.Exit so that every way of invoking it sees the code."""
    groups = groups_of(function)
    signature = inspect.signature(function)  # group parameters' annotations may name TYPE_CHECKING-only types
    grouped = {group.param: group for group in groups}
    parameters: list[inspect.Parameter] = []
    choices = [flag_name(o) for group in groups for o in group.options if o.kind == "choice"]
    for parameter in signature.parameters.values():
        group = grouped.get(parameter.name)
        if group is None:
            annotation = parameter.annotation
            if isinstance(annotation, str):
                annotation = eval(annotation, function.__globals__)
            parameters.append(parameter.replace(kind=inspect.Parameter.KEYWORD_ONLY, annotation=annotation))
        else:
            parameters += [_typer_parameter(option) for option in group.options]

    @functools.wraps(function)
    def command(**values: Any) -> None:
        for name in choices:
            values[name] = values[name].value
        built = assemble(groups, values)  # takes the grouped options out of `values`
        code = function(**values, **built)
        if code:
            raise typer.Exit(code)

    del command.__wrapped__  # typer must read the expanded signature below, not the function's own
    command.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    command.__annotations__ = {parameter.name: parameter.annotation for parameter in parameters}
    return command


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
            application.command(name)(typer_command(target))
    return application


def __getattr__(name: str) -> Any:
    if name == "app":
        application = make_app()
        globals()["app"] = application
        return application
    raise AttributeError(name)
