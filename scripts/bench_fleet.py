#!/usr/bin/env python3
"""Scale benchmark of `dlenv fleet`: synthetic node reports in 200 pools, read (streamed) into pools and answered.

    python scripts/bench_fleet.py [--sizes 1000,10000,100000] [--pools 200] [--json]

Each size runs in a fresh process (so its peak RSS is its own): it writes a JSON Lines file of N reports (8 GPUs a
node, each with its own UUID and PCI bus id, so no two lines are equal), then times, as whole commands do,
`read_fleet` + `fleet_resolve torch` + the JSON report, and `fleet_check torch==2.5.1`. Target on the 2-core
development machine: 10,000 nodes answered in under 3 s, time growing linearly in N, memory bounded by the pools.
"""

from __future__ import annotations

import argparse
import itertools
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

GPUS = ("H100", "A100", "V100", "L4", "T4", "RTX 4090", "L40S")
DRIVERS = (
    "470.82.01",
    "525.60.13",
    "535.104.05",
    "545.23.08",
    "550.90.07",
    "560.35.03",
    "570.86.15",
    "575.57.08",
    "580.65.06",
)
PYTHONS = ("3.10", "3.11", "3.12", "3.13")
GPUS_PER_NODE = 8


def pool_hosts(pools: int) -> list[dict[str, Any]]:
    from dlenv.cli.options import MatrixSource
    from dlenv.host.describe import HostSpec, apply_flags, flag_host
    from dlenv.host.serialize import host_to_dict

    knowledge = MatrixSource(None).knowledge
    # no impossible nodes: Hopper, Ada and the like need a 525 driver or newer
    combos = [
        (gpu, driver, python)
        for gpu, driver, python in itertools.product(GPUS, DRIVERS, PYTHONS)
        if gpu in ("A100", "V100", "T4") or driver >= "525"
    ][:pools]
    if len(combos) < pools:
        raise SystemExit(f"bench: at most {len(combos)} pools")
    hosts = []
    for gpu, driver, python in combos:
        spec = HostSpec(driver=driver, gpus=(gpu,) * GPUS_PER_NODE, python=python)
        host = host_to_dict(apply_flags(flag_host(), spec, knowledge))
        host["origin"] = "probe"
        hosts.append(host)
    return hosts


def write_reports(path: Path, nodes: int, pools: int) -> None:
    """N report lines cycling through the pools' facts, each node with its own GPU UUIDs and bus ids."""
    hosts = pool_hosts(pools)
    with path.open("w", encoding="utf-8") as out:
        for index in range(nodes):
            host = hosts[index % pools]
            gpus = [
                {**gpu, "uuid": f"GPU-{index:08x}-{slot}", "pci_bus_id": f"00000000:{slot:02X}:00.0"}
                for slot, gpu in enumerate(host["gpus"])
            ]
            record = {"schema_version": 1, "node": f"gpu{index:06d}", "source": "slurm", "host": {**host, "gpus": gpus}}
            out.write(json.dumps(record, separators=(",", ":")) + "\n")


def run_one(nodes: int, pools: int) -> dict[str, Any]:
    from dlenv.compat.requirements import from_arguments
    from dlenv.fleet.answer import fleet_check, fleet_resolve
    from dlenv.fleet.reports import read_fleet
    from dlenv.matrix.load import load_matrix
    from dlenv.render.fleet_report import fleet_to_json

    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "reports.jsonl"
        write_reports(path, nodes, pools)
        size_mb = path.stat().st_size / 1e6
        matrix = load_matrix(None)
        start = time.perf_counter()
        fleet = read_fleet([path])
        read_s = time.perf_counter() - start
        answer = fleet_resolve(fleet, matrix, from_arguments(["torch"]))
        fleet_to_json(answer)
        resolve_s = time.perf_counter() - start
        start = time.perf_counter()
        checked = fleet_check(read_fleet([path]), matrix, from_arguments(["torch==2.5.1"]))
        fleet_to_json(checked)
        check_s = time.perf_counter() - start
    return {
        "nodes": nodes,
        "pools": len(fleet.pools),
        "file_mb": round(size_mb, 1),
        "read_s": round(read_s, 3),
        "read_and_resolve_s": round(resolve_s, 3),
        "read_and_check_s": round(check_s, 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "stack": answer.stack[0][1] or "none",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--pools", type=int, default=200)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args.pools)))
        return 0
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        command = [sys.executable, __file__, "--one", str(size), "--pools", str(args.pools)]
        rows.append(json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout))
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"{'nodes':>8} {'pools':>5} {'MB':>6} {'read s':>7} {'+resolve s':>10} {'check s':>8} {'peak RSS MB':>11}")
    for row in rows:
        print(
            f"{row['nodes']:>8} {row['pools']:>5} {row['file_mb']:>6} {row['read_s']:>7} "
            f"{row['read_and_resolve_s']:>10} {row['read_and_check_s']:>8} {row['peak_rss_mb']:>11}"
        )
    for before, after in itertools.pairwise(rows):
        # the slope: what each further node costs (the pools' judgement is the same at every size)
        added = after["nodes"] - before["nodes"]
        slope = (after["read_and_resolve_s"] - before["read_and_resolve_s"]) / added * 1e6
        print(
            f"{before['nodes']}→{after['nodes']}: +{slope:.1f} µs per node (read+resolve), "
            f"RSS +{after['peak_rss_mb'] - before['peak_rss_mb']:.1f} MB"
        )
    print(f"fleet stack: torch {rows[-1]['stack']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
