"""Entry point: `dlenv` and `python -m dlenv`. Maps dlenv errors to one stderr line and an exit code.

Every message is one line: click's usage errors (a bad flag or value) become `dlenv: error: COMMAND: PROBLEM (fix:
…)` instead of click's usage block, and characters that would break the line or drive the terminal (a newline or
an escape sequence in a file name, a host field or an overlay label) are shown escaped (dlenv.text.printable).
"""

from __future__ import annotations

import errno
import os
import sys
from typing import Any


def _one_line(text: str) -> str:
    from dlenv.text import printable

    return printable(" ".join(text.split("\n")).strip())


def _usage_message(error: Any) -> str:
    """A click UsageError as one line naming the command and the fix."""
    context = getattr(error, "ctx", None)
    command = context.command_path if context is not None else "dlenv"
    fix = f"see `{command} --help`"
    return f"{command}: {error.format_message()} (fix: {fix})"


def _click_class(name: str) -> type[Exception]:
    """click's exception class `name` as the installed typer uses it (typer 0.28 vendors click as typer._click)."""
    import typer

    return next(cls for cls in typer.BadParameter.__mro__ if cls.__name__ == name)


def main() -> None:
    from dlenv.errors import EXIT_BAD_INPUT, EXIT_INTERNAL, DlenvError

    try:
        from dlenv.cli.fast import run

        result = run(sys.argv[1:])
        if result is None:  # not a line the typer-free parser is sure of: typer parses it
            from dlenv.cli.typer_app import make_app

            result = make_app(sys.argv[1:])(prog_name="dlenv", standalone_mode=False)
    except DlenvError as error:
        sys.stderr.write(f"dlenv: error: {_one_line(str(error))}\n")
        sys.exit(error.exit_code)
    # An except clause evaluates its class only when an exception reaches it, so typer is not loaded for these.
    except _click_class("UsageError") as error:
        if type(error).__name__ == "NoArgsIsHelpError":  # `dlenv` alone: the help, as before
            error.show()  # type: ignore[attr-defined]
        else:
            sys.stderr.write(f"dlenv: error: {_one_line(_usage_message(error))}\n")
        sys.exit(EXIT_BAD_INPUT)
    except _click_class("ClickException") as error:  # click's own errors outside usage (a file click could not open)
        sys.stderr.write(f"dlenv: error: {_one_line(error.format_message())}\n")  # type: ignore[attr-defined]
        sys.exit(EXIT_BAD_INPUT)
    except KeyboardInterrupt:
        sys.stderr.write("dlenv: interrupted\n")
        sys.exit(130)
    except Exception as error:  # a bug in dlenv: one line, the traceback only on request
        if isinstance(error, ValueError) and "null byte" in str(error):  # a path argument with a NUL byte
            sys.stderr.write("dlenv: error: a path argument holds a NUL byte (fix: pass a real file name)\n")
            sys.exit(EXIT_BAD_INPUT)
        if isinstance(error, OSError) and error.errno in (errno.ENAMETOOLONG, errno.ELOOP):  # checked by click
            name = _one_line(str(error.filename))[:60]
            sys.stderr.write(f"dlenv: error: {name}…: {error.strerror} (fix: pass a real file name)\n")
            sys.exit(EXIT_BAD_INPUT)
        if type(error).__name__ == "Abort":  # click's and typer's Abort: Ctrl-C or EOF at a prompt
            sys.stderr.write("dlenv: interrupted\n")
            sys.exit(130)
        if os.environ.get("DLENV_DEBUG"):
            raise
        sys.stderr.write(
            f"dlenv: internal error: {type(error).__name__}: {_one_line(str(error))} "
            "(rerun with DLENV_DEBUG=1 for the traceback and report it)\n"
        )
        sys.exit(EXIT_INTERNAL)
    # Without standalone mode click returns the code of typer.Exit, or the command's return value (None: success).
    sys.exit(result if isinstance(result, int) else 0)


if __name__ == "__main__":
    main()
