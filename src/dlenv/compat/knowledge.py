"""The matrix as the knowledge a described host needs (GPU product names, the CUDA a driver supports)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dlenv.compat.cuda_facts import CudaFacts
from dlenv.records import record

if TYPE_CHECKING:
    from collections.abc import Sequence

    from dlenv.matrix.model import Matrix


@record
class MatrixGpuKnowledge:
    matrix: Matrix

    @classmethod
    def load(cls) -> MatrixGpuKnowledge:
        from dlenv.matrix import load_matrix

        return cls(load_matrix())

    def gpu_by_name(self, name: str) -> tuple[str, str, str | None] | None:
        """(name, compute capability, architecture); a name several products share (an alias such as 'H100')
        stays as typed rather than becoming the first of them."""
        products = self.matrix.gpus_named(name)
        if not products:
            return None
        product = products[0]
        shown = product.name if len(products) == 1 else name.strip()
        return (shown, product.compute_capability, product.architecture)

    def gpu_names(self) -> Sequence[str]:
        return [name for product in self.matrix.gpus.gpus for name in (product.name, *product.aliases)]

    def architecture_of(self, compute_capability: str) -> str | None:
        architecture = self.matrix.architecture_of(compute_capability)
        return architecture.name if architecture else None

    def max_cuda_for_driver(self, driver_version: str, system: str) -> str | None:
        version = CudaFacts(self.matrix).max_cuda_for_driver(driver_version, system)
        return str(version) if version else None
