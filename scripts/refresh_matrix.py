#!/usr/bin/env python3
"""Refresh the index-derived facts of the framework matrix files from the package index pip is configured to use.

    python scripts/refresh_matrix.py [--subject NAME]... [--force] [--missing] [--index-url URL] [--matrices DIR]
                                     [--timeout S] [--retries N]

For each subject it reads the index projects its `family.refresh` block names (matrices/SUBJECT.yaml; for a file
that does not exist yet, the compiled matrix's) and computes, per release: the release date (first upload time), the
Python versions (cpXY / cpXYt wheel tags), yanked state, and for the default-index Linux x86_64 build the glibc
floor (manylinux tag) and the CUDA, cuDNN and NCCL versions its Requires-Dist pins. It then merges:

* a release on the index but not in the file gets a release row (and a default build row where the index facts
  suffice: `default_build`), citing index:PROJECT/VERSION[/FILE];
* existing rows get their index-derived fields updated (released, python, yanked, companions; glibc, cuda, cudnn,
  nccl of the default Linux build); curated fields (sass, ptx, index_url, notes, other builds...) are never removed.

Which releases the matrix must cover is policy, kept in `family.refresh.scope` (version floors, date windows). The
index is the one pip is configured to use (PIP_INDEX_URL, pip's config files, else pip's default), or --index-url.
The work is done by dlenv.matrix.refresh (read index facts, a pure merge, the policy from the family block); this
script is its command line. scripts/update_matrix.py runs it together with format, compile and the docs.

It prints a unified diff per file (stdout) and a summary (stdout), progress on stderr, and writes only with --force,
atomically (temporary file + os.replace), refusing a merge that would break the JSON Schema. --missing only reads the
release projects' pages and reports releases on the index that the file lacks (and rows the index does not have).

Exit codes: 0 nothing to change (or written with --force; or --missing found nothing missing); 1 changes pending
without --force, or --missing found missing releases; 2 bad input (unreadable matrix file, bad flags, a merge that
would break the schema); 4 the index could not be read (network down, index failing: dlenv.index.EXIT_INDEX).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from dlenv.matrix.refresh.cli import main

if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
