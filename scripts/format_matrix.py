#!/usr/bin/env python3
"""Rewrite matrix YAML files in canonical form (schema key order, quoting, layout: see dlenv.matrix.canonical).

    python scripts/format_matrix.py [FILE_OR_DIR ...] [--force]

By default prints a unified diff of what would change and exits 1 if anything would; --force writes the files.
With no arguments, formats matrices/*.yaml.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from dlenv.errors import EXIT_BAD_INPUT, EXIT_PROBLEMS, InputError  # noqa: E402
from dlenv.files import write_atomically  # noqa: E402
from dlenv.matrix.canonical import canonical_text  # noqa: E402
from dlenv.matrix.schemas import read_schema_dir  # noqa: E402
from dlenv.matrix.validate import matrix_files  # noqa: E402


def targets(arguments: list[Path]) -> list[Path]:
    paths: list[Path] = []
    for argument in arguments or [ROOT / "matrices"]:
        paths.extend(matrix_files(argument) if argument.is_dir() else [argument])
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("paths", nargs="*", type=Path, help="YAML files or directories (default: matrices/)")
    parser.add_argument("--force", action="store_true", help="write the canonical form instead of printing a diff")
    args = parser.parse_args(argv)
    schemas = read_schema_dir(ROOT / "matrices" / "schema")
    changed = 0
    try:
        for path in targets(args.paths):
            try:
                original = path.read_text(encoding="utf-8")
            except OSError as error:
                raise InputError(f"cannot read the file: {error}", path=path, fix="check the path") from None
            canonical = canonical_text(original, path, schemas)
            if canonical == original:
                continue
            changed += 1
            if args.force:
                write_atomically(path, canonical)
                print(f"formatted {path}", file=sys.stderr)
            else:
                sys.stdout.writelines(
                    difflib.unified_diff(
                        original.splitlines(keepends=True),
                        canonical.splitlines(keepends=True),
                        fromfile=str(path),
                        tofile=f"{path} (canonical)",
                    )
                )
    except InputError as error:
        print(error, file=sys.stderr)
        return EXIT_BAD_INPUT
    if changed and not args.force:
        print(f"{changed} file(s) not in canonical form; rerun with --force to rewrite them", file=sys.stderr)
        return EXIT_PROBLEMS
    return 0


if __name__ == "__main__":
    sys.exit(main())
