#!/usr/bin/env python3
"""Update the matrix from the package index in one command: refresh, format, compile, render the docs, diff.

    python scripts/update_matrix.py [--force] [--subject NAME]... [--index-url URL] [--matrices DIR]
                                    [--output FILE] [--docs DIR] [--timeout S] [--retries N]

The steps, each the function its own script runs:

1. refresh the framework files from the index pip is configured to use (dlenv.matrix.refresh, as
   scripts/refresh_matrix.py --force; a merge that would break the schema is not written);
2. format every matrix file in canonical form (scripts/format_matrix.py --force);
3. compile src/dlenv/matrix/data/matrix.json (scripts/compile_matrix.py: every file validated);
4. render docs/compat/ (scripts/render_matrix_docs.py);
5. print the refresh summary and a row-level diff of the matrix before and after (as `dlenv matrix diff`).

Refresh and format always run on a scratch copy of the matrix directory, which is validated (schema and
invariants) before anything in the tree is written. Without --force it is a dry run: nothing in the tree is
written, compile and docs run as --check, and the command lists the files that would change. With --force the
changed matrix files are written (atomically), then matrix.json and the pages.

Exit codes (the refresh's): 0 nothing to change, or written with --force; 1 changes pending (without --force);
2 bad input (a matrix file that cannot be read or does not validate, bad flags, a merge that would break the
schema); 4 the package index could not be read (dlenv.index.EXIT_INDEX).
"""

from __future__ import annotations

import argparse
import datetime
import filecmp
import shutil
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import compile_matrix  # noqa: E402
import format_matrix  # noqa: E402
import render_matrix_docs  # noqa: E402
from dlenv.errors import EXIT_BAD_INPUT, EXIT_OK, EXIT_PROBLEMS, DlenvError  # noqa: E402
from dlenv.files import write_atomically  # noqa: E402
from dlenv.matrix.load import read_documents_at  # noqa: E402
from dlenv.matrix.queries import diff  # noqa: E402
from dlenv.matrix.refresh.cli import make_client, shipped_policies  # noqa: E402
from dlenv.matrix.refresh.run import refresh_each, summary_lines, write_outcomes  # noqa: E402
from dlenv.matrix.schemas import COMPILED_PATH  # noqa: E402
from dlenv.render.console import make_console  # noqa: E402
from dlenv.render.matrix import render_diff  # noqa: E402

if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import TextIO

    from dlenv.matrix.model import RefreshPolicy


def build_parser(subjects: list[str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--force", action="store_true", help="write the files (default: a dry run on a scratch copy)")
    parser.add_argument("--subject", action="append", choices=sorted(subjects), help="refresh only this subject")
    parser.add_argument("--index-url", help="Simple API URL (default: the index pip is configured to use)")
    parser.add_argument(
        "--matrices", type=Path, default=ROOT / "matrices", help="matrix directory (default: %(default)s)"
    )
    parser.add_argument("--output", type=Path, default=COMPILED_PATH, help="compiled matrix (default: %(default)s)")
    parser.add_argument("--docs", type=Path, default=ROOT / "docs" / "compat", help="pages (default: %(default)s)")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per request (default: %(default)s)")
    parser.add_argument("--retries", type=int, default=4, help="retries per request (default: %(default)s)")
    parser.add_argument("--today", type=datetime.date.fromisoformat, default=None, help=argparse.SUPPRESS)
    return parser


def main(
    argv: list[str] | None = None,
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    policies: Mapping[str, RefreshPolicy] | None = None,
) -> int:
    """The command; `policies` replaces the loaded matrix's refresh policies (tests)."""
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    try:
        known = dict(policies) if policies is not None else shipped_policies()
        args = build_parser(list(known)).parse_args(argv)
        with tempfile.TemporaryDirectory(prefix="dlenv-update-") as scratch:
            return update(args, known, Path(scratch), out=out, err=err)
    except DlenvError as error:
        print(f"error: {error}", file=err)
        return error.exit_code


def update(
    args: argparse.Namespace, policies: Mapping[str, RefreshPolicy], scratch: Path, *, out: TextIO, err: TextIO
) -> int:
    """The five steps. Refresh and format run on a copy in `scratch`, which is validated before anything in the
    tree is written; a dry run compiles and renders it with --check, against the real outputs."""
    before = read_documents_at(args.matrices)  # validated: a broken tree is bad input before the index is asked
    work = scratch / "matrices"
    shutil.copytree(args.matrices, work)
    if not refresh(args, policies, work, out=out, err=err):
        return EXIT_BAD_INPUT
    if format_matrix.main([str(work), "--force"]) != EXIT_OK:
        return EXIT_BAD_INPUT  # format_matrix printed the problem
    after = read_documents_at(work)  # every refreshed file validated, invariants included
    changed = changed_files(args.matrices, work)
    if args.force:
        for name in changed:
            write_atomically(args.matrices / name, (work / name).read_text(encoding="utf-8"))
            print(f"wrote {args.matrices / name}", file=err)
    source, check = (args.matrices, []) if args.force else (work, ["--check"])
    outputs = [
        compile_matrix.main(["--matrices", str(source), "--output", str(args.output), *check]),
        render_matrix_docs.main(["--matrices", str(source), "--out", str(args.docs), *check]),
    ]
    if any(code not in (EXIT_OK, EXIT_PROBLEMS) for code in outputs):
        return EXIT_BAD_INPUT  # the step printed the problem
    render_diff(make_console(out), diff(before, after))
    if args.force:
        return EXIT_OK
    pending = [args.matrices / name for name in changed]
    pending += [path for code, path in zip(outputs, (args.output, args.docs), strict=True) if code == EXIT_PROBLEMS]
    return report_pending(pending, out)


def refresh(
    args: argparse.Namespace, policies: Mapping[str, RefreshPolicy], work: Path, *, out: TextIO, err: TextIO
) -> bool:
    """Step 1 on `work`; False when a merge would break the schema (nothing is written then)."""
    today = args.today or datetime.datetime.now(datetime.timezone.utc).date()
    client = make_client(args.index_url, timeout=args.timeout, retries=args.retries, log=err)
    subjects = args.subject or list(policies)
    outcomes = list(refresh_each(subjects, work, client, policies, missing_only=False, today=today, log=err))
    for outcome in outcomes:
        out.write("\n".join(summary_lines(outcome, missing_only=False)) + "\n")
    return write_outcomes(outcomes, err)


def changed_files(original: Path, work: Path) -> list[Path]:
    """The files of `work` (relative paths) that differ from, or are not in, `original`."""
    names = sorted(path.relative_to(work) for path in work.rglob("*") if path.is_file())
    return [
        name
        for name in names
        if not (original / name).is_file() or not filecmp.cmp(original / name, work / name, shallow=False)
    ]


def report_pending(pending: list[Path], out: TextIO) -> int:
    for path in pending:
        out.write(f"would change: {path}\n")
    if not pending:
        out.write("nothing to change\n")
        return EXIT_OK
    out.write(f"{len(pending)} file(s) would change; run with --force to write them\n")
    return EXIT_PROBLEMS


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
