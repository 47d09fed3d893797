"""Entry point: `dlenv` and `python -m dlenv`. Maps dlenv errors to one stderr line and an exit code."""

from __future__ import annotations

import os
import sys


def main() -> None:
    from dlenv.errors import EXIT_INTERNAL, DlenvError

    try:
        from dlenv.cli import make_app

        make_app(sys.argv[1:])(prog_name="dlenv")
    except DlenvError as error:
        sys.stderr.write(f"dlenv: error: {error}\n")
        sys.exit(error.exit_code)
    except KeyboardInterrupt:
        sys.stderr.write("dlenv: interrupted\n")
        sys.exit(130)
    except Exception as error:  # a bug in dlenv: one line, the traceback only on request
        if os.environ.get("DLENV_DEBUG"):
            raise
        sys.stderr.write(
            f"dlenv: internal error: {type(error).__name__}: {error} "
            "(rerun with DLENV_DEBUG=1 for the traceback and report it)\n"
        )
        sys.exit(EXIT_INTERNAL)


if __name__ == "__main__":
    main()
