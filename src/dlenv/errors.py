"""The one exception tree of dlenv; each class carries its process exit code (documented API)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 3
# The package index could not be read (network down, index failing): neither bad input nor a dlenv bug.
EXIT_INDEX = 4


def verdict_exit_code(compatible: bool, has_warnings: bool, *, strict: bool) -> int:
    """Every verdict's exit code (doctor, check, resolve, fleet): 0 when it holds — warnings allowed unless
    `strict` — and 1 otherwise."""
    return EXIT_OK if compatible and not (strict and has_warnings) else EXIT_PROBLEMS


class DlenvError(Exception):
    """An error dlenv reports in one line and maps to an exit code."""

    exit_code = EXIT_INTERNAL


class InputError(DlenvError):
    """Bad input: a malformed file, flag, requirement or lockfile.

    The message names the file, the place in it, what is wrong and how to fix it.
    """

    exit_code = EXIT_BAD_INPUT

    def __init__(
        self, message: str, *, path: Path | str | None = None, where: str | None = None, fix: str | None = None
    ) -> None:
        self.path = str(path) if path is not None else None
        self.where = where
        self.problem = message
        self.fix = fix
        super().__init__(self._render())

    def _render(self) -> str:
        location = ":".join(part for part in (self.path, self.where) if part)
        text = f"{location}: {self.problem}" if location else self.problem
        return f"{text} (fix: {self.fix})" if self.fix else text


class ProblemsError(DlenvError):
    """The inputs are fine but no answer exists: no combination resolves, no base image fits (exit 1)."""

    exit_code = EXIT_PROBLEMS
