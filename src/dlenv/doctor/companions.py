"""Companion packages against the framework they were built with: torchvision and torchaudio are released in step
with torch (the matrix's `companions` of each release), and a mismatched pair fails at import with undefined
symbols or operator registration errors."""

from __future__ import annotations

from typing import TYPE_CHECKING

from packaging.version import InvalidVersion, Version

from dlenv.host.model import Finding, Severity
from dlenv.records import record
from dlenv.versions import canonical_name

if TYPE_CHECKING:
    from dlenv.host.model import Framework, HostFacts
    from dlenv.matrix.model import Matrix


@record
class CompanionVerdict:
    name: str
    version: str
    primary: Framework
    expected: str

    @property
    def matches(self) -> bool:
        try:
            return Version(self.version).public == Version(self.expected).public
        except InvalidVersion:
            return self.version == self.expected

    @property
    def status(self) -> str:
        return "ok" if self.matches else "incompatible"

    def finding(self) -> Finding | None:
        if self.matches:
            return None
        primary = self.primary
        build = f"+{primary.local_version}" if primary.local_version else ""
        return Finding(
            "companion_mismatch",
            Severity.ERROR,
            f"{self.name} {self.version} does not belong with {primary.name} {primary.version}: the {self.name} "
            f"release made for it is {self.expected}. Mismatched pairs fail at import (undefined symbols, operators "
            "that do not register).",
            f"pip install '{self.name}=={self.expected}' from the index that provided {primary.name}"
            f"=={primary.version}{build}",
            self.name,
        )


def companion_verdicts(host: HostFacts, matrix: Matrix) -> tuple[CompanionVerdict, ...]:
    installed = {canonical_name(framework.name): framework for framework in host.frameworks}
    verdicts: dict[str, CompanionVerdict] = {}
    for primary in host.frameworks:
        framework = matrix.framework_for_package(primary.name)
        release = framework.release(primary.version) if framework is not None else None
        if release is None:
            continue
        for name, expected in release.companions.items():
            companion = installed.get(canonical_name(name))
            if companion is not None and companion.name not in verdicts:
                verdicts[companion.name] = CompanionVerdict(companion.name, companion.version, primary, expected)
    return tuple(verdicts.values())
