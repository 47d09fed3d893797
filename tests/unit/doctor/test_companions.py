"""torchvision/torchaudio against the installed torch, from the matrix's companions of the torch release."""

from __future__ import annotations

from dlenv.doctor.verdicts import doctor_report
from dlenv.host.model import Framework, HostFacts, Platform
from tests.unit.compat.engine import mini_matrix


def _host(*frameworks: tuple[str, str]) -> HostFacts:
    installed = tuple(Framework(name, version, "pip", "/site", "pytorch") for name, version in frameworks)
    torch = Framework("torch", "2.6.0", "pip", "/site", "pytorch", local_version="cpu")
    return HostFacts(platform=Platform("linux", "x86_64", python_version="3.12.3"), frameworks=(torch, *installed))


def test_the_companion_released_with_torch_is_ok() -> None:
    report = doctor_report(_host(("torchvision", "0.21.0"), ("torchaudio", "2.6.0")), mini_matrix)
    assert {(c.name, c.status) for c in report.companions} == {("torchvision", "ok"), ("torchaudio", "ok")}
    assert not [f for f in report.findings if f.code == "companion_mismatch"]


def test_a_companion_of_another_release_is_an_error_with_the_version_to_install() -> None:
    report = doctor_report(_host(("torchvision", "0.20.1")), mini_matrix)
    (companion,) = report.companions
    assert (companion.status, companion.expected) == ("incompatible", "0.21.0")
    (finding,) = [f for f in report.findings if f.code == "companion_mismatch"]
    assert "torchvision 0.20.1 does not belong with torch 2.6.0" in finding.message
    assert finding.fix is not None and "torchvision==0.21.0" in finding.fix and "torch==2.6.0+cpu" in finding.fix
