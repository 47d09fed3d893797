"""Refresh the index-derived facts of the framework matrix files from the package index pip is configured to use.

The command line of scripts/refresh_matrix.py (its docstring is the user's manual): flags, output and exit codes.
"""

from __future__ import annotations

import argparse
import datetime
import difflib
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from dlenv.errors import EXIT_BAD_INPUT, EXIT_OK, EXIT_PROBLEMS, DlenvError
from dlenv.matrix.refresh.run import refresh_each, refresh_policies, summary_lines, write_outcomes
from dlenv.matrix.schemas import source_matrix_dir

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import TextIO

    from dlenv.index.simple import SimpleClient
    from dlenv.matrix.model import RefreshPolicy
    from dlenv.matrix.refresh.run import Outcome

DESCRIPTION = (__doc__ or "").splitlines()[0]


def build_parser(subjects: Sequence[str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=DESCRIPTION)
    parser.add_argument(
        "--subject", action="append", choices=sorted(subjects), help="limit to this subject (repeatable)"
    )
    parser.add_argument("--force", action="store_true", help="write the merged files (atomically)")
    parser.add_argument(
        "--missing", action="store_true", help="only report index releases absent from the matrix (exit 1 if any)"
    )
    parser.add_argument("--index-url", help="Simple API URL (default: the index pip is configured to use)")
    parser.add_argument(
        "--matrices",
        type=Path,
        default=source_matrix_dir() or Path("matrices"),
        help="matrix directory (default: %(default)s)",
    )
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per request (default: %(default)s)")
    parser.add_argument("--retries", type=int, default=4, help="retries per request (default: %(default)s)")
    parser.add_argument("--today", type=datetime.date.fromisoformat, default=None, help=argparse.SUPPRESS)
    return parser


def shipped_policies() -> dict[str, RefreshPolicy]:
    """The refresh policy of every framework of the loaded matrix (shipped data, and the DLENV_MATRIX overlay)."""
    from dlenv.matrix.load import load_matrix

    return refresh_policies(load_matrix())


def make_client(index_url: str | None, *, timeout: float, retries: int, log: TextIO) -> SimpleClient:
    """A client of --index-url, else of the index pip is configured to use (never a hard-coded host)."""
    from dlenv.index.config import find_index_config
    from dlenv.index.simple import SimpleClient

    client = SimpleClient(index_url or find_index_config(os.environ).index_url, timeout=timeout, retries=retries)
    print(f"index: {client.index_url}", file=log)
    return client


def main(
    argv: list[str] | None = None,
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    policies: Mapping[str, RefreshPolicy] | None = None,
) -> int:
    """scripts/refresh_matrix.py; `policies` replaces the loaded matrix's (tests)."""
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    try:
        known = dict(policies) if policies is not None else shipped_policies()
    except DlenvError as error:
        print(f"error: {error}", file=err)
        return error.exit_code
    args = build_parser(list(known)).parse_args(argv)
    today = args.today or datetime.datetime.now(datetime.timezone.utc).date()
    outcomes: list[Outcome] = []
    try:
        client = make_client(args.index_url, timeout=args.timeout, retries=args.retries, log=err)
        subjects = args.subject or list(known)
        for outcome in refresh_each(
            subjects, args.matrices, client, known, missing_only=args.missing, today=today, log=err
        ):
            outcomes.append(outcome)
            if not args.missing and outcome.changed:
                out.writelines(unified_diff(outcome))
    except DlenvError as error:
        print(f"error: {error}", file=err)
        return error.exit_code
    for outcome in outcomes:
        out.write("\n".join(summary_lines(outcome, missing_only=args.missing)) + "\n")
    return verdict(outcomes, missing_only=args.missing, force=args.force, out=out, err=err)


def unified_diff(outcome: Outcome) -> list[str]:
    return list(
        difflib.unified_diff(
            outcome.original.splitlines(keepends=True),
            outcome.new_text.splitlines(keepends=True),
            fromfile=str(outcome.path),
            tofile=f"{outcome.path} (refreshed)",
        )
    )


def verdict(outcomes: Sequence[Outcome], *, missing_only: bool, force: bool, out: TextIO, err: TextIO) -> int:
    """The closing line and the exit code; with --force, the files written."""
    if missing_only:
        total = sum(len(outcome.coverage.missing) for outcome in outcomes)
        out.write(f"missing releases: {total}\n")
        return EXIT_PROBLEMS if total else EXIT_OK
    changed = [outcome for outcome in outcomes if outcome.changed]
    if not changed:
        out.write("nothing to change\n")
        return EXIT_OK
    if not force:
        out.write(f"{len(changed)} file(s) would change; run with --force to write them\n")
        return EXIT_PROBLEMS
    return EXIT_OK if write_outcomes(changed, err) else EXIT_BAD_INPUT
