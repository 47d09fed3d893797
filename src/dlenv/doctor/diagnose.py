"""All doctor findings for a host, most severe first."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dlenv.doctor.host_findings import (
    compat_findings,
    shadowing_findings,
    toolkit_findings,
    visibility_findings,
)
from dlenv.doctor.probe_findings import probe_findings
from dlenv.host.model import Finding, HostFacts, Severity

if TYPE_CHECKING:
    from dlenv.matrix.families import FamilyIndex

_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


def diagnose(host: HostFacts, families: FamilyIndex | None = None) -> list[Finding]:
    """Every host-level finding; `families` (default: the matrix this run uses) names the installed frameworks'
    families."""
    findings = [
        *probe_findings(host),
        *visibility_findings(host),
        *toolkit_findings(host, families),
        *compat_findings(host),
        *shadowing_findings(host),
    ]
    findings += [
        Finding(
            "override",
            Severity.INFO,
            f"{override.name}={override.value} is in effect: {override.effect}.",
            None,
            "environment",
        )
        for override in host.overrides
    ]
    return sort_findings(findings)


def severity_rank(finding: Finding) -> int:
    """0 for an error, 1 for a warning, 2 for information: lower is more severe."""
    return _ORDER[finding.severity]


def sort_findings(findings: list[Finding]) -> list[Finding]:
    """Most severe first; the order within a severity is kept."""
    return sorted(findings, key=severity_rank)
