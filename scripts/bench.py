#!/usr/bin/env python3
"""Benchmark dlenv's commands as whole processes against reference commands in the same environment.

    python scripts/bench.py [--runs 15] [--json]

Each command runs once to warm caches, then --runs times; the median wall time is reported. Targets: on the
2-core development machine, `dlenv doctor` under 0.15 s and at most half of `python -m pip list` (0.20 s on an
H100 host); `dlenv check` of one requirement and `dlenv resolve torch tensorflow cudf-cu12` over the full matrix
each under 0.15 s.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

PYTHON = sys.executable
DLENV = str(Path(PYTHON).with_name("dlenv")) if Path(PYTHON).with_name("dlenv").exists() else shutil.which("dlenv")


def commands() -> dict[str, list[str]]:
    if DLENV is None:
        raise SystemExit("bench: no dlenv executable beside this Python or on PATH; install the project first")
    table = {
        "python -c pass": [PYTHON, "-c", "pass"],
        "python -m pip list": [PYTHON, "-m", "pip", "list"],
        "dlenv doctor": [DLENV, "doctor"],
        "dlenv doctor --format json": [DLENV, "doctor", "--format", "json"],
        "dlenv probe": [DLENV, "probe"],
        "dlenv check (one requirement)": [
            DLENV,
            "check",
            "torch==2.6.0+cu124",
            "--gpu",
            "RTX 5090",
            "--driver",
            "570.86.15",
            "--python",
            "3.12",
        ],
        "dlenv resolve torch tensorflow cudf-cu12": [
            DLENV,
            "resolve",
            "torch",
            "tensorflow",
            "cudf-cu12",
            "--gpu",
            "A100",
            "--driver",
            "550.54.15",
            "--python",
            "3.11",
        ],
    }
    if shutil.which("nvidia-smi"):
        table["nvidia-smi"] = ["nvidia-smi"]
    return table


def time_command(argv: list[str], runs: int) -> float:
    # An installed dlenv runs from cached bytecode; an editable checkout under PYTHONDONTWRITEBYTECODE would
    # recompile every module on every run and time the compiler instead. The warm-up run writes the cache.
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    environment["NO_COLOR"] = "1"
    subprocess.run(argv, capture_output=True, env=environment, check=False)
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, capture_output=True, env=environment, check=False)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--json", action="store_true", help="print the medians as JSON")
    args = parser.parse_args()
    medians = {name: time_command(argv, args.runs) for name, argv in commands().items()}
    if args.json:
        print(json.dumps({"runs": args.runs, "median_s": medians}, indent=2))
    else:
        width = max(map(len, medians))
        for name, seconds in medians.items():
            print(f"{name:<{width}}  {seconds * 1000:7.1f} ms")
        ratio = medians["dlenv doctor"] / medians["python -m pip list"]
        print(f"{'doctor / pip list':<{width}}  {ratio:7.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
