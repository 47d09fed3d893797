"""The typer application. Command modules stay thin: they parse options, call core code, render values."""

from __future__ import annotations

from typing import Annotated

import typer

app = typer.Typer(
    name="dlenv",
    help="Will this NVIDIA driver, GPU, CUDA, cuDNN and framework stack work together?",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

from dlenv.cli import (  # noqa: E402  (register below)
    build_cmd,
    check_cmd,
    doctor_cmd,
    env_cmd,
    lock_cmd,
    matrix_cmd,
    probe_cmd,
    resolve_cmd,
)

app.command("doctor")(doctor_cmd.doctor)
app.command("probe")(probe_cmd.probe)
app.command("check")(check_cmd.check)
app.command("resolve")(resolve_cmd.resolve)
app.command("lock")(lock_cmd.lock)
app.command("env")(env_cmd.env)
app.command("build")(build_cmd.build)
app.add_typer(matrix_cmd.app, name="matrix")


def _show_version(value: bool) -> None:
    if value:
        from dlenv import __version__

        typer.echo(f"dlenv {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", help="Show dlenv's version and exit.", is_eager=True, callback=_show_version)
    ] = False,
) -> None:
    """Will this NVIDIA driver, GPU, CUDA, cuDNN and framework stack work together?"""
