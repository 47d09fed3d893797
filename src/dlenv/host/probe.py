"""The host probe: one call that reads this machine through a ProbeContext and returns HostFacts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dlenv.host.context import ProbeContext
from dlenv.host.distributions import conda_packages, installed_distributions
from dlenv.host.driver import probe_driver
from dlenv.host.frameworks import probe_frameworks
from dlenv.host.libraries import conda_libraries, pip_libraries, system_libraries
from dlenv.host.model import Framework, HostFacts
from dlenv.host.platform_probe import probe_platform, relevant_environment
from dlenv.host.toolkits import probe_toolkits

if TYPE_CHECKING:
    from dlenv.matrix.families import FamilyIndex


def probe_host(ctx: ProbeContext | None = None, families: FamilyIndex | None = None) -> HostFacts:
    """This machine's facts; `families` (default: the matrix this run uses) says which distributions are frameworks."""
    ctx = ctx if ctx is not None else ProbeContext.current()
    if families is None:
        from dlenv.matrix.families import current_families

        families = current_families()
    driver = probe_driver(ctx)
    distributions = installed_distributions(ctx.site_dirs)
    conda_prefix = ctx.env.get("CONDA_PREFIX")
    conda = conda_packages(ctx.path(conda_prefix)) if conda_prefix else {}
    return HostFacts(
        platform=probe_platform(ctx),
        origin="probe",
        driver=driver.driver,
        gpus=driver.gpus,
        toolkits=probe_toolkits(ctx),
        libraries=tuple(pip_libraries(distributions) + conda_libraries(conda) + system_libraries(ctx)),
        frameworks=probe_frameworks(distributions, conda, families),
        environment=relevant_environment(ctx),
        problems=driver.problems,
    )


def probe_installed_frameworks(
    ctx: ProbeContext | None = None, families: FamilyIndex | None = None
) -> tuple[Framework, ...]:
    """The frameworks installed in this environment (pip and conda), probed alone: `check --installed` judges them
    against any host, this one or one described by a file or flags."""
    ctx = ctx if ctx is not None else ProbeContext.current()
    if families is None:
        from dlenv.matrix.families import current_families

        families = current_families()
    conda_prefix = ctx.env.get("CONDA_PREFIX")
    conda = conda_packages(ctx.path(conda_prefix)) if conda_prefix else {}
    return probe_frameworks(installed_distributions(ctx.site_dirs), conda, families)


__all__ = ["ProbeContext", "probe_host", "probe_installed_frameworks"]
