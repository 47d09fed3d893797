"""CUDA facts derived from the matrix: the driver a CUDA version needs, and the newest CUDA a driver runs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dlenv.records import record
from dlenv.versions import CudaVersion, parse_cuda, parse_driver

if TYPE_CHECKING:
    from dlenv.matrix.model import DriverFloor, Matrix


def floor_for(floor: DriverFloor | None, system: str) -> str | None:
    if floor is None:
        return None
    return floor.windows if system == "windows" else floor.linux


@record
class CudaFacts:
    matrix: Matrix

    def toolkit_min_driver(self, cuda: CudaVersion, system: str) -> str | None:
        """The lowest driver any toolkit release of CUDA MAJOR.MINOR needs (its GA release's floor)."""
        floors = [
            floor_for(toolkit.min_driver, system)
            for toolkit in self.matrix.cuda.toolkits
            if parse_cuda(toolkit.version) == cuda
        ]
        known = [(parse_driver(floor), floor) for floor in floors if floor and parse_driver(floor)]
        return min(known)[1] if known else None

    def minor_compat_min_driver(self, major: int, system: str) -> str | None:
        row = self.matrix.cuda_major(major)
        return floor_for(row.minor_compat_min_driver, system) if row else None

    def max_cuda_for_driver(self, driver: str, system: str) -> CudaVersion | None:
        """The newest CUDA MAJOR.MINOR whose toolkit's own minimum driver this driver meets."""
        parsed = parse_driver(driver)
        if parsed is None:
            return None
        best: CudaVersion | None = None
        for toolkit in self.matrix.cuda.toolkits:
            floor = floor_for(toolkit.min_driver, system)
            floor_parsed = parse_driver(floor) if floor else None
            version = parse_cuda(toolkit.version)
            if floor_parsed and version and floor_parsed <= parsed and (best is None or version > best):
                best = version
        return best

    def compiler_targets(self, cuda: CudaVersion) -> tuple[str, ...]:
        """Compute capabilities nvcc of CUDA MAJOR.MINOR can build code for (any of its patch releases)."""
        targets: dict[str, None] = {}
        for toolkit in self.matrix.cuda.toolkits:
            if parse_cuda(toolkit.version) == cuda:
                targets.update(dict.fromkeys(toolkit.sass))
        return tuple(targets)
