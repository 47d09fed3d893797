"""Node facts for fleet tests, built the way `dlenv probe --driver/--gpu/--python` builds them (the matrix's GPU
table), so they are real host files, not hand-written dicts."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from dlenv import records
from dlenv.cli.options import MatrixSource
from dlenv.fleet.reports import NodeReport, report_line
from dlenv.host.describe import HostSpec, apply_flags, flag_host
from dlenv.host.serialize import host_to_json

if TYPE_CHECKING:
    from pathlib import Path

    from dlenv.host.model import HostFacts
    from dlenv.matrix.model import Matrix

_MATRIX = MatrixSource(None)

# The three kinds of node the Slurm and Dask clusters in the tests see (name -> driver, GPUs, Python).
NODE_FACTS = {
    "node1": ("550.90.07", ("H100",) * 2, "3.11"),
    "node2": ("535.104.05", ("A100",) * 2, "3.11"),
    "node3": ("470.82.01", ("V100",) * 2, "3.10"),
}


def host(driver: str, gpus: tuple[str, ...], python: str, serial: int = 0) -> HostFacts:
    """A node's facts; `serial` gives its GPUs their own UUIDs and bus ids, as on real machines."""
    facts = apply_flags(flag_host(), HostSpec(driver=driver, gpus=gpus, python=python), _MATRIX.knowledge)
    named = tuple(
        records.replace(gpu, uuid=f"GPU-{serial:04d}-{gpu.index}", pci_bus_id=f"00000000:{gpu.index + 1:02X}:00.0")
        for gpu in facts.gpus
    )
    return records.replace(facts, gpus=named, origin="probe")


def write_host_files(directory: Path) -> dict[str, Path]:
    """One `dlenv probe` host file per node of NODE_FACTS."""
    files = {}
    for serial, (name, (driver, gpus, python)) in enumerate(NODE_FACTS.items()):
        files[name] = directory / f"{name}.json"
        files[name].write_text(host_to_json(host(driver, gpus, python, serial)), encoding="utf-8")
    return files


def write_reports(path: Path, nodes: dict[str, tuple[str, tuple[str, ...], str] | str]) -> Path:
    """A reports file: node -> facts, or node -> the error it reported."""
    lines = []
    for serial, (name, facts) in enumerate(nodes.items()):
        if isinstance(facts, str):
            lines.append(report_line(NodeReport(name, "test", None, facts)))
        else:
            lines.append(report_line(NodeReport(name, "test", host(*facts, serial=serial))))
    path.write_text("".join(lines), encoding="utf-8")
    return path


def matrix() -> Matrix:
    return _MATRIX()


def lines_of(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
