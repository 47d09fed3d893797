"""Verdicts per installed framework: the compatibility engine run over what is installed, with the command that
repairs each incompatible one. Frameworks the matrix does not know keep the host-level driver findings."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from dlenv.doctor.diagnose import diagnose, sort_findings
from dlenv.host.model import Finding, Severity

if TYPE_CHECKING:
    from collections.abc import Callable

    from dlenv.compat.check import RequirementResult
    from dlenv.doctor.companions import CompanionVerdict
    from dlenv.host.model import HostFacts
    from dlenv.matrix.model import Matrix

# Host-level findings about one framework that the engine's verdict replaces when it judged that framework.
_SUPERSEDED = {"driver_too_old", "minor_version_compat", "cuda_build_without_driver"}


@dataclass(frozen=True)
class DoctorReport:
    host: HostFacts
    findings: list[Finding]
    verdicts: tuple[RequirementResult, ...]
    companions: tuple[CompanionVerdict, ...] = ()


def _with_repair(result: RequirementResult, platform_key: str) -> list[Finding]:
    if result.compatible or not result.alternatives:
        return list(result.findings)
    repair = result.alternatives[0].candidate.install_line(platform_key)
    return [
        replace(f, fix=f"{f.fix}; e.g. {repair}" if f.fix else repair) if f.severity is Severity.ERROR else f
        for f in result.findings
    ]


def _driver_branch_findings(host: HostFacts, matrix: Callable[[], Matrix]) -> list[Finding]:
    """Each GPU against the driver branches that support its architecture (the matrix's gpus table)."""
    driver = host.driver.version if host.driver else None
    if not driver or not any(gpu.compute_capability for gpu in host.gpus):
        return []
    from dlenv.compat.gpu_rules import driver_branch_finding

    table = matrix()
    return [f for gpu in host.gpus if (f := driver_branch_finding(table, driver, gpu, f"gpu {gpu.index}"))]


def doctor_report(host: HostFacts, matrix: Callable[[], Matrix]) -> DoctorReport:
    families = matrix().families if host.frameworks else None  # the matrix is loaded for the verdicts anyway
    findings = sort_findings([*diagnose(host, families), *_driver_branch_findings(host, matrix)])
    if not host.frameworks:
        return DoctorReport(host, findings, ())
    from dlenv.compat.check import check
    from dlenv.compat.gpu_rules import DRIVER_BRANCH_CODES
    from dlenv.compat.requirements import from_installed
    from dlenv.doctor.companions import companion_verdicts

    report = check(host, matrix(), from_installed(host, matrix()))
    judged = {result.requirement.name for result in report.results if result.evaluation is not None}
    platform_key = host.platform.key
    kept = [f for f in findings if not (f.code in _SUPERSEDED and f.subject in judged)]
    # the GPU-and-driver facts are said once, per GPU, above; the verdicts keep their status
    engine = [
        f
        for result in report.results
        if result.evaluation is not None
        for f in _with_repair(result, platform_key)
        # companions are said by companion_verdicts below, in the installed packages' own words
        if f.code not in DRIVER_BRANCH_CODES and f.code != "companion_mismatch"
    ]
    verdicts = tuple(result for result in report.results if result.evaluation is not None)
    companions = companion_verdicts(host, matrix())
    mismatches = [finding for verdict in companions if (finding := verdict.finding()) is not None]
    return DoctorReport(host, sort_findings([*kept, *engine, *mismatches, *report.conflicts]), verdicts, companions)
