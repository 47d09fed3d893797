"""Host facts and doctor reports as versioned JSON."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from dlenv import __version__
from dlenv.host.model import Finding, HostFacts, Severity
from dlenv.host.serialize import host_to_dict

DOCTOR_SCHEMA_VERSION = 1


def finding_to_dict(finding: Finding) -> dict[str, Any]:
    data = dataclasses.asdict(finding)
    data["severity"] = finding.severity.value
    return data


def doctor_to_json(host: HostFacts, findings: list[Finding]) -> str:
    report = {
        "schema_version": DOCTOR_SCHEMA_VERSION,
        "dlenv_version": __version__,
        "ok": not any(finding.severity is Severity.ERROR for finding in findings),
        "summary": {severity.value: sum(f.severity is severity for f in findings) for severity in Severity},
        "host": host_to_dict(host),
        "findings": [finding_to_dict(finding) for finding in findings],
    }
    return json.dumps(report, indent=2) + "\n"
