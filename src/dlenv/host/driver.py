"""Driver and GPUs: NVML first, then the kernel module's files, then nvidia-smi."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dlenv.host.model import Driver, Gpu, ProbeProblem
from dlenv.host.nvml import probe_nvml
from dlenv.host.procfs import kernel_module_version, nvml_library_version, proc_driver_version, proc_gpus
from dlenv.host.smi import probe_smi
from dlenv.records import record, replace

if TYPE_CHECKING:
    from dlenv.host.context import ProbeContext


@record
class DriverFacts:
    driver: Driver | None
    gpus: tuple[Gpu, ...]
    problems: tuple[ProbeProblem, ...]


def probe_driver(ctx: ProbeContext) -> DriverFacts:
    kernel_version = kernel_module_version(ctx)
    nvml = probe_nvml(ctx)
    problems = tuple(nvml.problems)
    if nvml.driver is not None:
        driver = replace(nvml.driver, kernel_module_version=kernel_version)
        return DriverFacts(driver, tuple(nvml.gpus), problems)

    library_version = nvml_library_version(ctx)
    proc_version = proc_driver_version(ctx)
    gpus = proc_gpus(ctx)
    fallback: Driver | None = None
    if proc_version or kernel_version:
        fallback = Driver(
            version=proc_version or kernel_version,
            kernel_module_version=kernel_version,
            library_version=library_version,
            source="procfs",
        )
    if fallback is None or not gpus:
        smi_driver, smi_gpus = probe_smi(ctx)
        if smi_driver is not None:
            fallback = replace(smi_driver, kernel_module_version=kernel_version, library_version=library_version)
        gpus = smi_gpus or gpus
    if fallback is None and library_version is not None:
        fallback = Driver(library_version=library_version, source="library")
    return DriverFacts(fallback, gpus, problems)
