"""Rich consoles that respect NO_COLOR, non-TTY output and the data/messages split (stdout/stderr)."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from collections.abc import Callable

    from rich.console import Console

    from dlenv.cli.options import OutputTarget


def make_console(stream: TextIO | None = None) -> Console:
    """A console for `stream` (stdout by default): colour only on a terminal and only without NO_COLOR."""
    from rich.console import Console

    target = stream if stream is not None else sys.stdout
    is_terminal = target.isatty()
    return Console(
        file=target,
        no_color=bool(os.environ.get("NO_COLOR")) or not is_terminal,
        force_terminal=is_terminal,
        highlight=False,
        soft_wrap=not is_terminal,
        width=None if is_terminal else 120,
    )


def render_to(output: OutputTarget, draw: Callable[[Console], None]) -> None:
    """Draw on a console for stdout, or for the -o file (plain text: not a terminal) written when done."""
    if not output.is_file:
        draw(make_console())
        return
    import io

    buffer = io.StringIO()
    draw(make_console(buffer))
    output.write(buffer.getvalue())
