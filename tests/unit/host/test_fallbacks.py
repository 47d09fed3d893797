"""When NVML fails: the kernel module's files, then nvidia-smi; and the findings that explain the failure."""

from __future__ import annotations

from pathlib import Path

import pynvml

from dlenv.doctor.diagnose import diagnose
from dlenv.host.context import Interpreter, ProbeContext
from dlenv.host.probe import probe_host
from dlenv.host.smi import parse_compute_capabilities, parse_smi_xml
from tests.fakes import FakeNvml
from tests.hosts import H100, h100_context, write

INTERPRETER = Interpreter("3.11.7", "CPython", "linux", "x86_64", "2.36")


def test_version_mismatch_names_both_versions(tmp_path: Path) -> None:
    ctx = h100_context(tmp_path, nvml=FakeNvml(init_error=pynvml.NVML_ERROR_LIB_RM_VERSION_MISMATCH))
    # After an upgrade without reboot: the library on disk is newer than the loaded module.
    (tmp_path / "lib/x86_64-linux-gnu/libnvidia-ml.so.580.159.04").rename(
        tmp_path / "lib/x86_64-linux-gnu/libnvidia-ml.so.580.172.01"
    )
    host = probe_host(ctx)
    assert host.driver is not None
    assert (host.driver.version, host.driver.source, host.driver.library_version) == (
        "580.159.04",
        "procfs",
        "580.172.01",
    )
    assert [gpu.name for gpu in host.gpus] == ["NVIDIA H100 80GB HBM3"]
    (finding,) = [finding for finding in diagnose(host) if finding.severity.value == "error"]
    assert finding.code == "driver_library_mismatch"
    assert "580.159.04" in finding.message and "580.172.01" in finding.message
    assert finding.fix is not None and "reboot" in finding.fix


def test_library_missing_with_module_loaded(tmp_path: Path) -> None:
    host = probe_host(h100_context(tmp_path, nvml=FakeNvml(init_error=pynvml.NVML_ERROR_LIBRARY_NOT_FOUND)))
    codes = [finding.code for finding in diagnose(host)]
    assert codes[0] == "nvml_library_not_found"


def test_no_driver_at_all_is_a_warning_with_a_container_fix(tmp_path: Path) -> None:
    write(tmp_path, "/.dockerenv")
    ctx = ProbeContext(
        env={"PATH": "/usr/bin"},
        root=tmp_path,
        interpreter=INTERPRETER,
        nvml_loader=lambda: FakeNvml(init_error=pynvml.NVML_ERROR_LIBRARY_NOT_FOUND),
        run=lambda argv, timeout: None,
    )
    host = probe_host(ctx)
    assert host.driver is None and host.gpus == ()
    (finding,) = diagnose(host)
    assert (finding.code, finding.severity.value) == ("no_driver", "warning")
    assert finding.fix is not None and "--gpus all" in finding.fix


def test_nvidia_smi_is_the_last_resort(tmp_path: Path) -> None:
    write(tmp_path, "/usr/bin/nvidia-smi", "#!/bin/sh\n", mode=0o755)
    xml = (H100 / "nvidia-smi-q.xml").read_text()

    def run(argv: object, timeout: float) -> str | None:
        args = list(argv)  # type: ignore[call-overload]
        if args[1:] == ["-q", "-x"]:
            return xml
        if args[1].startswith("--query-gpu=uuid,compute_cap"):
            return "GPU-00000000-1111-2222-3333-444444444444, 9.0\n"
        return None

    ctx = ProbeContext(
        env={"PATH": "/usr/bin"},
        root=tmp_path,
        interpreter=INTERPRETER,
        run=run,
        nvml_loader=lambda: FakeNvml(init_error=pynvml.NVML_ERROR_UNKNOWN),
    )
    host = probe_host(ctx)
    assert host.driver is not None
    assert (host.driver.version, host.driver.max_cuda, host.driver.source) == ("580.159.04", "13.0", "nvidia-smi")
    (gpu,) = host.gpus
    assert (gpu.compute_capability, gpu.architecture, gpu.memory_total_mib, gpu.mig_enabled) == (
        "9.0",
        "Hopper",
        81559,
        False,
    )


def test_smi_xml_garbage_is_ignored() -> None:
    assert parse_smi_xml("not xml") == (None, ())


def test_gpu_lost_finding_names_the_gpu(tmp_path: Path) -> None:
    from tests.fakes import FakeDevice

    nvml = FakeNvml(devices=[FakeDevice(), FakeDevice(error=pynvml.NVML_ERROR_GPU_IS_LOST)])
    host = probe_host(h100_context(tmp_path, nvml=nvml))
    (finding,) = [finding for finding in diagnose(host) if finding.code == "gpu_lost"]
    assert finding.subject == "gpu 1"
    assert "Xid 79" in (finding.fix or "")


def test_smi_compute_capabilities_are_parsed_not_copied() -> None:
    text = "GPU-a, 9.0\nGPU-b, [N/A]\nGPU-c,\nGPU-d, 12.0 \n"
    assert parse_compute_capabilities(text) == {"GPU-a": "9.0", "GPU-d": "12.0"}
