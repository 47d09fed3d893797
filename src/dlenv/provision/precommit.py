"""The `dlenv-lock-check` pre-commit hook: `dlenv lock --check FILE HOST-OPTIONS` for every file pre-commit passes.

pre-commit calls the entry with the hook's `args` and then the staged file names; each host option takes one
value, so options and files are told apart by argparse. The exit code is the worst of the checks (0 all current
and fitting, 1 some lock stale or not fitting, 2 bad input).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

HOST_OPTIONS = ("--host", "--driver", "--gpu", "--python", "--os", "--arch", "--matrix")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dlenv-lock-check", description=__doc__)
    for option in HOST_OPTIONS:
        parser.add_argument(option, action="append", default=[], metavar="VALUE")
    parser.add_argument("files", nargs="*")
    namespace = parser.parse_args(argv)
    options: list[str] = []
    for option in HOST_OPTIONS:
        for value in getattr(namespace, option.removeprefix("--")):
            options += [option, value]
    worst = 0
    for path in namespace.files:
        result = subprocess.run([sys.executable, "-m", "dlenv", "lock", "--check", path, *options], check=False)
        worst = max(worst, result.returncode)
    return worst


if __name__ == "__main__":
    sys.exit(main())
