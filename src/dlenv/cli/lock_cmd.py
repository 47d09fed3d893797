"""`dlenv lock`: a hashed pip lock of a stack known to work on the host; `--check` says whether a lock still fits."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from dlenv.cli.options import FORWARD_COMPAT, HOST, MATRIX, OUTPUT, MatrixSource, host_facts, takes
from dlenv.cli.provision_options import (
    PROGRESS,
    STACK_REQUIREMENTS,
    Progress,
    regenerate_command,
)
from dlenv.errors import EXIT_OK, EXIT_PROBLEMS, InputError

if TYPE_CHECKING:
    from dlenv.cli.options import OutputTarget
    from dlenv.host.describe import HostSpec


class LockFormat(str, Enum):
    requirements = "requirements"
    pylock = "pylock"


@takes(STACK_REQUIREMENTS, OUTPUT, MATRIX, HOST, FORWARD_COMPAT, PROGRESS)
def lock(  # keyword-only: the option groups (dlenv.cli.options) have no defaults
    *,
    requirements: list[str] | None,
    output: OutputTarget,
    output_format: Annotated[
        LockFormat, typer.Option("--format", "-f", help="requirements (pip -r) or pylock (PEP 751 pylock.toml).")
    ] = LockFormat.requirements,
    check_file: Annotated[
        Path | None,
        typer.Option(
            "--check", dir_okay=False, help="Exit 1 when this lock is stale or its pins no longer fit the host."
        ),
    ] = None,
    matrix_dir: Path | None,
    host_spec: HostSpec,
    allow_forward_compat: bool,
    progress: Progress,
) -> None:
    """Pin a stack that works on the host, with its whole dependency closure and a sha256 for every file.

    pip resolves the closure for the target's Python and platform. Exit codes: 0 written (or, with --check, the
    lock is current and fits), 1 no stack works / the lock is stale or does not fit, 2 bad input.
    """
    matrix = MatrixSource(matrix_dir)
    host = host_facts(host_spec, matrix)
    if check_file is not None:
        from dlenv.provision.lock import check_lock, render_check

        if requirements:
            raise InputError("--check reads the requirements from the lock", where="arguments", fix="drop them")
        if output.path is not None:
            raise InputError("--check writes no file; it prints its verdict", where="-o", fix="drop -o")
        try:
            text = check_file.read_text(encoding="utf-8")
        except OSError as error:
            raise InputError(f"cannot read: {error.strerror or error}", path=check_file, fix="pass a lock") from None
        except UnicodeDecodeError:
            raise InputError("not UTF-8 text", path=check_file, fix="pass a lock `dlenv lock` wrote") from None
        result = check_lock(str(check_file), text, host, matrix())
        typer.echo(render_check(result), nl=False)
        raise typer.Exit(EXIT_OK if result.ok else EXIT_PROBLEMS)

    from dlenv.provision.lock import generate_lock
    from dlenv.provision.stack import build_stack

    output.check()
    stack = build_stack(host, matrix(), requirements or [], allow_forward_compat=allow_forward_compat)
    extra = ["--format", output_format.value] if output_format is not LockFormat.requirements else []
    command = regenerate_command(
        "lock", list(stack.requirements), host_spec, extra, output, matrix_dir,
        allow_forward_compat=allow_forward_compat, overrides=[(o.name, o.value) for o in host.overrides],
    )  # fmt: skip
    progress(f"resolving the stack's closure for Python {stack.python} on {stack.platform_key} with pip")
    text = generate_lock(stack, output_format.value, command)
    progress("resolved")
    output.write(text)
