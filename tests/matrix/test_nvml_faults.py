"""The CI preflight on a broken host: the recorded H100 with NVML in each fault mode, `check --installed` over the
real matrix. A broken driver is never a green preflight; missing facts are unverified, which --strict fails."""

from __future__ import annotations

from pathlib import Path

import pynvml
import pytest

from dlenv.compat.check import check
from dlenv.compat.requirements import from_installed
from dlenv.host.probe import probe_host
from dlenv.matrix.model import Matrix
from tests.fakes import FakeDevice, FakeNvml
from tests.hosts import h100_context

BLOCKING = {
    "version mismatch": FakeNvml(init_error=pynvml.NVML_ERROR_LIB_RM_VERSION_MISMATCH),
    "driver not loaded": FakeNvml(init_error=pynvml.NVML_ERROR_DRIVER_NOT_LOADED),
    "unknown error": FakeNvml(init_error=pynvml.NVML_ERROR_UNKNOWN),
    "uninitialized": FakeNvml(init_error=pynvml.NVML_ERROR_UNINITIALIZED),
    "gpu lost": FakeNvml(devices=[FakeDevice(error=pynvml.NVML_ERROR_GPU_IS_LOST)]),
    "reset required": FakeNvml(devices=[FakeDevice(error=pynvml.NVML_ERROR_RESET_REQUIRED)]),
}
HIDING = {
    "no permission": FakeNvml(devices=[FakeDevice(error=pynvml.NVML_ERROR_NO_PERMISSION)]),
    # NOT_SUPPORTED for the compute capability of a GPU whose name no table knows: the GPU rules have nothing to go on
    "not supported": FakeNvml(devices=[FakeDevice(name="NVIDIA Prototype", unsupported=frozenset({"capability"}))]),
}


def _report(tmp_path: Path, nvml: FakeNvml, matrix: Matrix):  # type: ignore[no-untyped-def]
    host = probe_host(h100_context(tmp_path, nvml))
    return check(host, matrix, from_installed(host))


@pytest.mark.parametrize("mode", sorted(BLOCKING))
def test_a_broken_driver_fails_the_preflight(mode: str, tmp_path: Path, matrix: Matrix) -> None:
    report = _report(tmp_path, BLOCKING[mode], matrix)
    assert not report.compatible and report.exit_code() == 1, mode
    torch = next(result for result in report.results if result.requirement.name == "torch")
    assert "host_cuda_unusable" in {finding.code for finding in torch.findings}


@pytest.mark.parametrize("mode", sorted(HIDING))
def test_missing_facts_are_unverified_and_strict_fails(mode: str, tmp_path: Path, matrix: Matrix) -> None:
    report = _report(tmp_path, HIDING[mode], matrix)
    assert report.exit_code(strict=True) == 1, mode
    torch = next(result for result in report.results if result.requirement.name == "torch")
    assert torch.status != "ok", [f.code for f in torch.findings]


def test_a_healthy_probe_keeps_its_green(tmp_path: Path, matrix: Matrix) -> None:
    report = _report(tmp_path, FakeNvml(), matrix)
    torch = next(result for result in report.results if result.requirement.name == "torch")
    assert torch.status == "ok", [f.message for f in torch.findings]


def test_not_supported_queries_the_probe_recovers_keep_the_green(tmp_path: Path, matrix: Matrix) -> None:
    # an H100 whose capability query is not supported is still known by name: nothing is missing
    nvml = FakeNvml(devices=[FakeDevice(unsupported=frozenset({"capability"}))])
    torch = next(r for r in _report(tmp_path, nvml, matrix).results if r.requirement.name == "torch")
    assert torch.status == "ok", [f.message for f in torch.findings]
