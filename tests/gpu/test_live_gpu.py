"""Live checks on a real NVIDIA host (marker `gpu`; skipped where NVML does not initialise)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from dlenv.host.probe import probe_host

pytestmark = pytest.mark.gpu


def _smi(query: str) -> list[list[str]]:
    executable = shutil.which("nvidia-smi")
    if executable is None:
        pytest.skip("nvidia-smi is not on PATH")
    output = subprocess.run(
        [executable, f"--query-gpu={query}", "--format=csv,noheader,nounits"],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout
    return [[cell.strip() for cell in line.split(",")] for line in output.strip().splitlines()]


def test_probe_agrees_with_nvidia_smi() -> None:
    host = probe_host()
    rows = _smi("index,name,uuid,driver_version,compute_cap,memory.total,pci.bus_id")
    assert host.driver is not None and host.driver.version == rows[0][3]
    assert host.driver.max_cuda is not None
    assert len(host.gpus) == len(rows)
    for gpu, row in zip(host.gpus, rows, strict=True):
        assert (str(gpu.index), gpu.name, gpu.uuid, gpu.compute_capability) == (*row[:3], row[4])
        assert gpu.memory_total_mib == int(row[5])
        assert gpu.pci_bus_id is not None and gpu.pci_bus_id.lower() == row[6].lower()


def test_doctor_json_on_this_gpu_host() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "dlenv", "doctor", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr
    report = json.loads(result.stdout)
    assert report["host"]["gpus"], "a GPU host must report its GPUs"
    assert not [f for f in report["findings"] if f["code"] in {"no_driver", "nvml_error", "driver_hung"}]


def test_torch_agrees_when_installed() -> None:
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json, torch; print(json.dumps({'version': torch.__version__, "
            "'cuda': torch.version.cuda, 'cap': list(torch.cuda.get_device_capability(0))}))",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if probe.returncode != 0:
        pytest.skip("torch with CUDA is not importable here")
    truth = json.loads(probe.stdout)
    host = probe_host()
    torch = next(f for f in host.frameworks if f.name == "torch")
    reported = f"{torch.version}+{torch.local_version}" if torch.local_version else torch.version
    assert reported == truth["version"]
    assert torch.cuda == truth["cuda"]
    assert host.gpus[0].compute_capability == "{}.{}".format(*truth["cap"])
