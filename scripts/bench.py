#!/usr/bin/env python3
"""Benchmark dlenv's commands as whole processes against reference commands in the same environment.

    python scripts/bench.py [--runs 11] [--json] [--quick]

Each command runs once to warm caches, then --runs times; the median wall time is reported with its ratio to a bare
`python -c pass` and to `python -m pip list` measured in the same run. Series (check -r of 10 to 10,000 lines, host
files of 1 and 64 GPUs, 1 to 512 identical GPUs given by --gpu, doctor beside 2,000 installed distributions) print
their slope: the time added per item and the ratio of the largest input to the smallest. Targets (issue "Speed at
every size", this 2-core machine): doctor <= 8x bare python, --format json <= 6x, check of one requirement <= 10x;
check -r of 1,000 lines <= 4x one line, 10,000 lines <= 10x; a 512-GPU host <= 1.5x one GPU.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PYTHON = sys.executable
DLENV = str(Path(PYTHON).with_name("dlenv")) if Path(PYTHON).with_name("dlenv").exists() else shutil.which("dlenv")
RTX5090 = ["--gpu", "RTX 5090", "--driver", "570.86.15", "--python", "3.12"]
A100 = ["--gpu", "A100", "--driver", "550.54.15", "--python", "3.11"]
# a requirements file as projects write them: framework pins among plain packages
LINES = ["torch==2.6.0+cu124", "numpy<2", "jax[cuda12]==0.6.2", "requests>=2", "cupy-cuda12x==13.3.0", "pyyaml"]


def _dlenv() -> str:
    if DLENV is None:
        raise SystemExit("bench: no dlenv executable beside this Python or on PATH; install the project first")
    return DLENV


def single_commands() -> dict[str, list[str]]:
    dlenv = _dlenv()
    table = {
        "python -c pass": [PYTHON, "-c", "pass"],
        "python -m pip list": [PYTHON, "-m", "pip", "list"],
        "dlenv doctor": [dlenv, "doctor"],
        "dlenv doctor --format json": [dlenv, "doctor", "--format", "json"],
        "dlenv probe": [dlenv, "probe"],
        "dlenv check (compatible)": [dlenv, "check", "torch==2.7.1+cu128", *RTX5090],
        "dlenv check (incompatible)": [dlenv, "check", "torch==2.6.0+cu124", *RTX5090],
        "dlenv check --format json (compatible)": [dlenv, "check", "torch==2.7.1+cu128", *RTX5090, "--format", "json"],
        "dlenv resolve torch tensorflow cudf-cu12": [dlenv, "resolve", "torch", "tensorflow", "cudf-cu12", *A100],
    }
    if shutil.which("nvidia-smi"):
        table["nvidia-smi"] = ["nvidia-smi"]
    return table


def _host_file(directory: Path, gpus: int) -> Path:
    """A host file of `gpus` identical A100s, written by the real serializer."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from dlenv.host.model import Driver, Gpu, HostFacts, Platform
    from dlenv.host.serialize import host_to_json

    host = HostFacts(
        platform=Platform("linux", "x86_64", python_version="3.11", glibc="2.35"),
        origin="flags",
        driver=Driver(version="550.54.15", max_cuda="12.4", source="flag"),
        gpus=tuple(Gpu(index=i, name="A100", compute_capability="8.0", source="flag") for i in range(gpus)),
    )
    path = directory / f"host-{gpus}.json"
    path.write_text(host_to_json(host))
    return path


def _site_with_distributions(directory: Path, count: int) -> Path:
    site = directory / f"site-{count}"
    for index in range(count):
        info = site / f"bench_package_{index}-1.0.dist-info"
        info.mkdir(parents=True, exist_ok=True)
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: bench-package-{index}\nVersion: 1.0\n")
    return site


def series(directory: Path, quick: bool) -> dict[str, dict[int, tuple[list[str], dict[str, str]]]]:
    dlenv = _dlenv()
    sizes = [10, 100, 1000] if quick else [10, 100, 1000, 10000]
    requirement_files: dict[int, tuple[list[str], dict[str, str]]] = {}
    for size in [1, *sizes]:
        path = directory / f"requirements-{size}.txt"
        path.write_text("".join(LINES[i % len(LINES)] + "\n" for i in range(size)))
        requirement_files[size] = ([dlenv, "check", "-r", str(path), *RTX5090, "--format", "json"], {})
    # Host files hold at most 64 GPUs (dlenv.host.serialize.MAX_GPUS, the hostile-input rule), so the series to 512
    # describes the host with flags; both paths build the same host facts.
    hosts: dict[int, tuple[list[str], dict[str, str]]] = {}
    for gpus in (1, 64):
        hosts[gpus] = ([dlenv, "check", "torch==1.8.0+cu111", "--host", str(_host_file(directory, gpus))], {})
    flagged: dict[int, tuple[list[str], dict[str, str]]] = {}
    for gpus in (1, 64, 512):
        flags = ["--driver", "550.54.15", "--python", "3.11", *["--gpu", "A100"] * gpus]
        flagged[gpus] = ([dlenv, "check", "torch==1.8.0+cu111", *flags], {})
    installed: dict[int, tuple[list[str], dict[str, str]]] = {}
    for count in (0, 2000):
        site = _site_with_distributions(directory, count)
        # after any PYTHONPATH already set (a checkout under test must stay first)
        search_path = os.pathsep.join(filter(None, [os.environ.get("PYTHONPATH"), str(site)]))
        installed[count] = ([dlenv, "doctor", "--format", "json"], {"PYTHONPATH": search_path})
    return {
        "check -r (lines)": requirement_files,
        "check --host FILE (GPUs)": hosts,
        "check --gpu x N (GPUs)": flagged,
        "doctor (distributions)": installed,
    }


def time_command(argv: list[str], runs: int, extra_env: dict[str, str] | None = None) -> float:
    # An installed dlenv runs from cached bytecode; an editable checkout under PYTHONDONTWRITEBYTECODE would
    # recompile every module on every run and time the compiler instead. The warm-up run writes the cache.
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    environment["NO_COLOR"] = "1"
    environment.update(extra_env or {})
    subprocess.run(argv, capture_output=True, env=environment, check=False)
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, capture_output=True, env=environment, check=False)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--json", action="store_true", help="print the medians as JSON")
    parser.add_argument("--quick", action="store_true", help="leave out the 10,000-line series point")
    args = parser.parse_args()
    medians = {name: time_command(argv, args.runs) for name, argv in single_commands().items()}
    with tempfile.TemporaryDirectory() as tmp:
        measured = {
            name: {size: time_command(argv, max(3, args.runs // 3), env) for size, (argv, env) in points.items()}
            for name, points in series(Path(tmp), args.quick).items()
        }
    if args.json:
        print(json.dumps({"runs": args.runs, "median_s": medians, "series_s": measured}, indent=2))
        return 0
    bare, pip_list = medians["python -c pass"], medians["python -m pip list"]
    width = max(map(len, medians)) + 2
    print(f"{'command':<{width}} {'median':>9} {'x bare':>7} {'x pip list':>10}")
    for name, seconds in medians.items():
        print(f"{name:<{width}} {seconds * 1000:7.1f}ms {seconds / bare:7.1f} {seconds / pip_list:10.2f}")
    for name, points in measured.items():
        sizes = sorted(points)
        smallest, largest = sizes[0], sizes[-1]
        slope = (points[largest] - points[smallest]) / (largest - smallest) * 1000
        cells = "  ".join(f"{size}: {points[size] * 1000:.0f}ms" for size in sizes)
        print(
            f"{name}: {cells}  | +{slope:.3f} ms per item, {largest} / {smallest} = "
            f"{points[largest] / points[smallest]:.2f}x"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
