"""The real H100 capture (driver 580.159.04, CUDA 13.0 container, torch 2.11.0+cu130) as a recorded host."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dlenv.doctor.diagnose import diagnose
from dlenv.host.model import HostFacts, has_errors
from dlenv.host.probe import probe_host
from dlenv.host.serialize import host_from_dict, host_to_dict
from tests.hosts import H100, h100_context


@pytest.fixture
def host(tmp_path: Path) -> HostFacts:
    return probe_host(h100_context(tmp_path))


def test_driver_and_gpu_agree_with_nvidia_smi(host: HostFacts) -> None:
    assert host.driver is not None
    assert (host.driver.version, host.driver.max_cuda, host.driver.kernel_module_version) == (
        "580.159.04",
        "13.0",
        "580.159.04",
    )
    (gpu,) = host.gpus
    smi = (H100 / "nvidia-smi-query.csv").read_text().splitlines()[1].split(", ")
    assert (gpu.name, host.driver.version, gpu.compute_capability) == (smi[0], smi[1], smi[2])
    assert gpu.memory_total_mib == int(smi[3].split()[0])
    assert gpu.architecture == "Hopper"


def test_toolkit_and_compat_libraries(host: HostFacts) -> None:
    (toolkit,) = host.toolkits
    assert (toolkit.version, toolkit.version_source, toolkit.path) == ("13.0.88", "nvcc", "/usr/local/cuda-13.0")
    assert {"PATH", "CUDA_HOME", "/usr/local/cuda"} <= set(toolkit.found_via)
    assert toolkit.compat_driver_version == "580.95.05"


def test_frameworks_agree_with_what_torch_reports(host: HostFacts) -> None:
    torch_report = json.loads((H100 / "torch.json").read_text())
    frameworks = {framework.name: framework for framework in host.frameworks}
    torch = frameworks["torch"]
    assert f"{torch.version}+{torch.local_version}" == torch_report["torch"]
    assert torch.cuda == torch_report["cuda"]
    assert 'nvidia-cudnn-cu13==9.19.0.56; platform_system == "Linux"' in torch.cuda_requirements
    assert frameworks["jax-cuda13-plugin"].local_version == "cuda13"
    assert frameworks["cupy-cuda13x"].version == "14.2.0"
    assert {name: f.family for name, f in frameworks.items()} == {
        "torch": "pytorch",
        "torchvision": "pytorch",
        "torchaudio": "pytorch",
        "jax": "jax",
        "jaxlib": "jax",
        "jax-cuda13-plugin": "jax",
        "jax-cuda13-pjrt": "jax",
        "cupy-cuda13x": "cupy",
    }


def test_libraries_pip_and_system(host: HostFacts) -> None:
    found = {(library.name, library.origin): library for library in host.libraries}
    assert found[("cudnn", "pip")].version == "9.19.0.56"
    assert found[("cudnn", "pip")].cuda_major == 13
    assert found[("cudnn", "system")].version == "9.14.0"
    assert found[("cuda-runtime", "pip")].cuda_major == 13
    assert found[("nccl", "pip")].version == "2.28.9"


def test_platform(host: HostFacts) -> None:
    assert (host.platform.os_name, host.platform.container, host.platform.glibc) == (
        "Ubuntu 24.04.3 LTS",
        "docker",
        "2.39",
    )
    assert host.env(
        "NVIDIA_REQUIRE_CUDA",
    ).startswith("cuda>=13.0 brand=unknown")  # type: ignore[union-attr]


def test_doctor_finds_nothing_wrong(host: HostFacts) -> None:
    findings = diagnose(host)
    assert not has_errors(findings), findings
    assert [finding.code for finding in findings] == []


def test_compat_libraries_on_the_loader_path_are_an_error(tmp_path: Path) -> None:
    from tests.hosts import captured_environment

    env = captured_environment()
    env["LD_LIBRARY_PATH"] = "/usr/local/cuda-13.0/compat:" + env["LD_LIBRARY_PATH"]
    findings = diagnose(probe_host(h100_context(tmp_path, env=env)))
    assert [finding.code for finding in findings] == ["compat_older_than_driver"]
    assert "580.95.05" in findings[0].message


def test_host_file_round_trip(host: HostFacts) -> None:
    data = json.loads(json.dumps(host_to_dict(host)))
    restored = host_from_dict(data, "h100.json")
    assert restored == HostFacts(**{**host.__dict__, "origin": "file:h100.json"})
