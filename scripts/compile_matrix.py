#!/usr/bin/env python3
"""Validate every matrix YAML file and write the compiled src/dlenv/matrix/data/matrix.json.

    python scripts/compile_matrix.py [--matrices DIR] [--output FILE] [--check]

Problems are printed one per line (file, row, field, what is wrong, fix) and exit 2. --check writes nothing and
exits 1 when matrix.json is stale (the sha256 of a YAML file or a schema differs from the one it records).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from dlenv.errors import EXIT_BAD_INPUT, EXIT_PROBLEMS, InputError  # noqa: E402
from dlenv.matrix.compile import compile_directory, is_up_to_date, write_compiled  # noqa: E402
from dlenv.matrix.load import compiled_documents  # noqa: E402
from dlenv.matrix.schemas import COMPILED_PATH  # noqa: E402
from dlenv.matrix.validate import MatrixProblems, sections_summary  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--matrices", type=Path, default=ROOT / "matrices", help="the YAML sources (default: matrices/)"
    )
    parser.add_argument("--output", type=Path, default=COMPILED_PATH, help="the compiled file to write")
    parser.add_argument("--check", action="store_true", help="exit 1 if the compiled file is stale; write nothing")
    parser.add_argument("--time", action="store_true", help="then time the run-time load of the compiled file")
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
    rows = sum(
        len(doc.get(section, []))
        for subject, doc in compiled_documents(compiled).items()
        for section in sections_summary(subject)
    )
    print(f"wrote {args.output} ({len(compiled['subjects'])} subjects, {rows} rows)", file=sys.stderr)
    if args.time:
        print(f"run-time load: {time_load(args.output):.1f} ms (median of 21, every subject built)", file=sys.stderr)
    return 0


def time_load(path: Path, runs: int = 21) -> float:
    """Milliseconds to parse the compiled file and build every record, as load_matrix() does on first use."""
    from dlenv.matrix import load
    from dlenv.matrix.model import Matrix

    timings = []
    for _ in range(runs):
        load.clear_cache()
        start = time.perf_counter()
        compiled = load.load_compiled(path)
        matrix = Matrix.from_documents(compiled["subjects"], versions=compiled["versions"])
        rows = len(matrix.cuda.toolkits) + len(matrix.gpus.gpus) + len(matrix.images)  # builds on access
        rows += sum(len(framework.builds_of("0")) for framework in matrix.frameworks.values())
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings)


if __name__ == "__main__":
    sys.exit(main())
