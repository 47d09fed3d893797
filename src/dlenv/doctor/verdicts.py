"""Verdicts per installed framework: the compatibility engine run over what is installed (compat.installed: the
matrix's build, or a candidate from the installed metadata where the matrix lacks the build), with the command that
repairs each incompatible one. Doctor judges no framework itself."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dlenv.doctor.diagnose import diagnose, severity_rank, sort_findings
from dlenv.host.model import Finding, Severity, has_errors, has_warnings
from dlenv.records import record, replace

if TYPE_CHECKING:
    from collections.abc import Callable

    from dlenv.compat.check import RequirementResult
    from dlenv.doctor.companions import CompanionVerdict
    from dlenv.host.model import HostFacts
    from dlenv.matrix.model import Matrix


@record
class DoctorReport:
    host: HostFacts
    findings: list[Finding]
    verdicts: tuple[RequirementResult, ...]
    companions: tuple[CompanionVerdict, ...] = ()

    @property
    def compatible(self) -> bool:
        """No error finding: what runs here runs (warnings allowed)."""
        return not has_errors(self.findings)

    @property
    def has_warnings(self) -> bool:
        return has_warnings(self.findings)

    def exit_code(self, strict: bool = False) -> int:
        """0 no error finding (with `strict`: no warning either), 1 otherwise (the documented exit codes)."""
        from dlenv.errors import verdict_exit_code

        return verdict_exit_code(self.compatible, self.has_warnings, strict=strict)


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
    from dlenv.compat.installed import check_installed
    from dlenv.doctor.companions import companion_verdicts

    report = check_installed(host, matrix())
    platform_key = host.platform.key
    said = _host_facts_said(findings)
    engine = [
        f
        for result in report.results
        if result.evaluation is not None
        for f in _with_repair(result, platform_key)
        # companions are said by companion_verdicts below, in the installed packages' own words
        if f.code != "companion_mismatch" and (f.code not in said or severity_rank(f) < said[f.code])
    ]
    verdicts = tuple(result for result in report.results if result.evaluation is not None)
    companions = companion_verdicts(host, matrix())
    mismatches = [finding for verdict in companions if (finding := verdict.finding()) is not None]
    return DoctorReport(host, sort_findings([*findings, *engine, *mismatches, *report.conflicts]), verdicts, companions)


def _host_facts_said(findings: list[Finding]) -> dict[str, int]:
    """The facts of the host that the engine repeats on every CUDA build — no driver, the driver branches of a GPU —
    which doctor has already said, for the host or per GPU, and how severely (code -> rank, 0 most severe). The
    verdicts keep their status; an engine finding more severe than doctor's is kept."""
    from dlenv.compat.gpu_rules import DRIVER_BRANCH_CODES

    host_facts = DRIVER_BRANCH_CODES | {"no_driver"}
    said: dict[str, int] = {}
    for finding in findings:
        if finding.code in host_facts:
            said[finding.code] = min(said.get(finding.code, severity_rank(finding)), severity_rank(finding))
    return said
