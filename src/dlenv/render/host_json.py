"""Host facts and doctor reports as versioned JSON."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from dlenv import __version__, records
from dlenv.host.model import Finding, Severity, has_errors
from dlenv.host.serialize import host_to_dict

if TYPE_CHECKING:
    from dlenv.doctor.verdicts import DoctorReport

DOCTOR_SCHEMA_VERSION = 1


def finding_to_dict(finding: Finding) -> dict[str, Any]:
    data = records.asdict(finding)
    data["severity"] = finding.severity.value
    return data


def doctor_to_json(report: DoctorReport) -> str:
    findings = report.findings
    platform_key = report.host.platform.key
    document = {
        "schema_version": DOCTOR_SCHEMA_VERSION,
        "dlenv_version": __version__,
        "ok": not has_errors(findings),
        "summary": {severity.value: sum(f.severity is severity for f in findings) for severity in Severity},
        "host": host_to_dict(report.host),
        "frameworks": [
            {
                "package": verdict.requirement.name,
                "installed": verdict.requirement.text,
                "status": verdict.status,
                "build": verdict.evaluation.candidate.label if verdict.evaluation else None,
                "repair": verdict.alternatives[0].candidate.install_line(platform_key)
                if verdict.alternatives
                else None,
            }
            for verdict in report.verdicts
        ],
        "companions": [
            {
                "package": companion.name,
                "installed": companion.version,
                "status": companion.status,
                "with": f"{companion.primary.name}=={companion.primary.version}",
                "expected": companion.expected,
            }
            for companion in report.companions
        ],
        "findings": [finding_to_dict(finding) for finding in findings],
    }
    return json.dumps(document, indent=2) + "\n"
