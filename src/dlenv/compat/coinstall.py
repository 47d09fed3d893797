"""Frameworks in one environment: CUDA library pins that cannot both be installed, and different CUDA majors."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from dlenv.host.model import Finding, Severity

if TYPE_CHECKING:
    from collections.abc import Sequence

    from dlenv.compat.candidate import Candidate

_PIN = re.compile(r"^(nvidia-[a-z0-9-]+)\s*==\s*([0-9][0-9.*]*)")


def library_pins(candidate: Candidate) -> dict[str, str]:
    """Exact nvidia-* pins a build brings: its extras' pins and, for wheels that bundle it, its cuDNN."""
    pins: dict[str, str] = {}
    for requirements in candidate.build.extras.values():
        for text in requirements:
            match = _PIN.match(text.strip())
            if match:
                pins[match.group(1)] = match.group(2)
    cuda = candidate.cuda
    # where the plain package pins the CUDA libraries, a four-part cudnn is the nvidia-cudnn wheel it pins
    if candidate.build.cudnn and cuda and candidate.build.cudnn.count(".") >= 3 and candidate.family.cuda_from_package:
        pins.setdefault(f"nvidia-cudnn-cu{cuda.major}", candidate.build.cudnn)
    return pins


def _same(left: str, right: str) -> bool:
    if left.endswith("*") or right.endswith("*"):
        prefix = min(left.rstrip(".*"), right.rstrip(".*"), key=len)
        return left.startswith(prefix) and right.startswith(prefix)
    return left == right


def coinstall_findings(candidates: Sequence[Candidate]) -> list[Finding]:
    """Conflicts between the distinct builds of a stack (a requirements file naming one build many times is
    checked once per pair of builds, not per pair of lines)."""
    distinct = list({c.identity: c for c in candidates}.values())
    pins = {c.identity: library_pins(c) for c in distinct}
    findings = []
    for index, left in enumerate(distinct):
        for right in distinct[index + 1 :]:
            if left.subject == right.subject:
                continue
            left_pins, right_pins = pins[left.identity], pins[right.identity]
            for name in sorted(set(left_pins) & set(right_pins)):
                if not _same(left_pins[name], right_pins[name]):
                    findings.append(
                        Finding(
                            "conflict",
                            Severity.ERROR,
                            f"{left.label} pins {name}=={left_pins[name]} and {right.label} pins "
                            f"{name}=={right_pins[name]}: pip cannot install both in one environment.",
                            "install them in separate environments, or choose releases that pin the same version",
                            f"{left.package}, {right.package}",
                        )
                    )
            if left.cuda and right.cuda and left.cuda.major != right.cuda.major:
                findings.append(
                    Finding(
                        "conflict",
                        Severity.WARNING,
                        f"{left.label} needs CUDA {left.cuda.major} and {right.label} needs CUDA {right.cuda.major}: "
                        "one environment then carries two CUDA runtimes, and the driver must support the newer one.",
                        "choose builds of one CUDA major",
                        f"{left.package}, {right.package}",
                    )
                )
    return findings
