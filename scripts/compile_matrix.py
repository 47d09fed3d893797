#!/usr/bin/env python3
"""Validate every matrix YAML file and write the compiled src/dlenv/matrix/data/matrix.json.

    python scripts/compile_matrix.py [--matrices DIR] [--output FILE] [--check]

Problems are printed one per line (file, row, field, what is wrong, fix) and exit 2. --check writes nothing and
exits 1 when matrix.json is stale (the sha256 of a YAML file or a schema differs from the one it records).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from dlenv.errors import EXIT_BAD_INPUT, EXIT_PROBLEMS, InputError  # noqa: E402
from dlenv.matrix.compile import compile_directory, is_up_to_date, write_compiled  # noqa: E402
from dlenv.matrix.schemas import COMPILED_PATH  # noqa: E402
from dlenv.matrix.validate import MatrixProblems  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--matrices", type=Path, default=ROOT / "matrices", help="the YAML sources (default: matrices/)"
    )
    parser.add_argument("--output", type=Path, default=COMPILED_PATH, help="the compiled file to write")
    parser.add_argument("--check", action="store_true", help="exit 1 if the compiled file is stale; write nothing")
    args = parser.parse_args(argv)
    if args.check:
        if is_up_to_date(args.matrices, args.output):
            return 0
        print(f"{args.output} is stale: run scripts/compile_matrix.py", file=sys.stderr)
        return EXIT_PROBLEMS
    try:
        compiled = compile_directory(args.matrices)
    except MatrixProblems as problems:
        for problem in problems.problems:
            print(problem, file=sys.stderr)
        return EXIT_BAD_INPUT
    except InputError as error:
        print(error, file=sys.stderr)
        return EXIT_BAD_INPUT
    write_compiled(compiled, args.output)
    rows = sum(len(rows) for doc in compiled["subjects"].values() for rows in doc.values() if isinstance(rows, list))
    print(f"wrote {args.output} ({len(compiled['subjects'])} subjects, {rows} rows)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
