#!/usr/bin/env python3
"""Write the finding-code tables of README.md, docs/check.md and docs/fleet.md from dlenv.findings.CODES.

    python scripts/render_code_tables.py [--check]

Each table stands between `<!-- codes: COMMAND -->` and `<!-- /codes -->`. --check writes nothing and exits 1 when
a table differs from the registry.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from dlenv.files import write_atomically  # noqa: E402
from dlenv.findings import table  # noqa: E402

PAGES = ("README.md", "docs/check.md", "docs/fleet.md")
_BLOCK = re.compile(r"(<!-- codes: (\w+) -->\n)(.*?)(<!-- /codes -->)", re.DOTALL)


def rendered(text: str) -> str:
    return _BLOCK.sub(lambda m: m.group(1) + table(m.group(2)) + m.group(4), text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="exit 1 if a table is stale; write nothing")
    args = parser.parse_args(argv)
    stale = []
    for name in PAGES:
        path = ROOT / name
        text = path.read_text(encoding="utf-8")
        if not _BLOCK.search(text):
            print(f"{name}: no <!-- codes: COMMAND --> block", file=sys.stderr)
            return 2
        new = rendered(text)
        if new != text:
            stale.append(name)
            if not args.check:
                write_atomically(path, new)
    if stale:
        print(f"{'stale' if args.check else 'written'}: {', '.join(stale)}", file=sys.stderr)
    return 1 if stale and args.check else 0


if __name__ == "__main__":
    raise SystemExit(main())
