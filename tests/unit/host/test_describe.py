"""Hosts that are not this one: host files, host flags and peers' overrides."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import pytest

from dlenv.errors import InputError
from dlenv.host.describe import HostSpec, resolve_host
from dlenv.host.model import Gpu, HostFacts, Platform
from dlenv.host.serialize import host_to_json, read_host_file


class FakeKnowledge:
    products: ClassVar[dict[str, tuple[str, str, str]]] = {
        "a100": ("A100", "8.0", "Ampere"),
        "rtx 4090": ("GeForce RTX 4090", "8.9", "Ada Lovelace"),
    }

    def gpu_by_name(self, name: str) -> tuple[str, str, str | None] | None:
        return self.products.get(name.lower())

    def gpu_names(self) -> Sequence[str]:
        return ["A100", "RTX 4090"]

    def architecture_of(self, compute_capability: str) -> str | None:
        return {"8.0": "Ampere", "8.6": "Ampere", "9.0": "Hopper"}.get(compute_capability)

    def max_cuda_for_driver(self, driver_version: str, system: str) -> str | None:
        return "12.2" if driver_version.startswith("535") else None


def no_probe() -> HostFacts:
    raise AssertionError("a described host must not probe this machine")


def resolve(spec: HostSpec, env: dict[str, str] | None = None) -> HostFacts:
    return resolve_host(spec, probe=no_probe, knowledge=FakeKnowledge, env=env or {})


def test_flags_describe_a_host() -> None:
    host = resolve(HostSpec(driver="535.104.05", gpus=("A100", "sm_86", "9.0"), python="3.10", system="linux"))
    assert host.origin == "flags"
    assert host.driver is not None
    assert (host.driver.version, host.driver.max_cuda) == ("535.104.05", "12.2")
    assert [(gpu.compute_capability, gpu.architecture) for gpu in host.gpus] == [
        ("8.0", "Ampere"),
        ("8.6", "Ampere"),
        ("9.0", "Hopper"),
    ]
    assert host.platform.python_version == "3.10"


@pytest.mark.parametrize(
    ("spec", "where"),
    [
        (HostSpec(driver="latest"), "--driver"),
        (HostSpec(python="python3"), "--python"),
        (HostSpec(system="beos"), "--os"),
        (HostSpec(arch="mips"), "--arch"),
        (HostSpec(gpus=("RTX 4099",)), "--gpu"),
    ],
)
def test_bad_flags_are_one_line_errors(spec: HostSpec, where: str) -> None:
    with pytest.raises(InputError) as raised:
        resolve(spec)
    assert raised.value.where == where
    assert "\n" not in str(raised.value)


def test_unknown_gpu_suggests_close_names() -> None:
    with pytest.raises(InputError, match="RTX 4090"):
        resolve(HostSpec(gpus=("RTX 4099",)))


def test_overrides_apply_and_are_shown() -> None:
    host = resolve(HostSpec(gpus=("8.0",)), env={"CONDA_OVERRIDE_CUDA": "12.4", "UV_CUDA_DRIVER_VERSION": "550.54.15"})
    assert host.driver is not None
    assert (host.driver.version, host.driver.max_cuda) == ("550.54.15", "12.4")
    assert [override.name for override in host.overrides] == ["CONDA_OVERRIDE_CUDA", "UV_CUDA_DRIVER_VERSION"]


def test_a_bare_driver_branch_is_read_alike_by_flag_override_and_host_file(tmp_path: Path) -> None:
    # One reading of '535' everywhere (versions.parse_driver): --driver once refused it while the environment
    # override and a host file took it.
    path = tmp_path / "host.json"
    data = json.loads(host_to_json(_host()))
    data["driver"] = {"version": "535"}
    path.write_text(json.dumps(data))
    hosts = [
        resolve(HostSpec(driver="535", gpus=("8.0",))),
        resolve(HostSpec(gpus=("8.0",)), env={"UV_CUDA_DRIVER_VERSION": "535"}),
        resolve(HostSpec(host_file=path)),
    ]
    assert [host.driver.version if host.driver else None for host in hosts] == ["535", "535", "535"]
    for bad in ("535.104.05.1", "535.", "9" * 5000):
        with pytest.raises(InputError, match="--driver"):
            resolve(HostSpec(driver=bad))
        with pytest.raises(InputError, match="UV_CUDA_DRIVER_VERSION"):
            resolve(HostSpec(gpus=("8.0",)), env={"UV_CUDA_DRIVER_VERSION": bad})
        data["driver"] = {"version": bad}
        path.write_text(json.dumps(data))
        with pytest.raises(InputError, match=r"driver\.version"):
            resolve(HostSpec(host_file=path))


def test_every_spelling_of_a_compute_capability_is_one_gpu() -> None:
    # --gpu 9.0a was refused as an unknown product name while sm_90a was taken
    host = resolve(HostSpec(gpus=("9.0", "9.0a", "sm_90", "sm_90a", "SM90", "compute_90")))
    assert {(gpu.compute_capability, gpu.architecture) for gpu in host.gpus} == {("9.0", "Hopper")}


def test_bad_override_is_input_error() -> None:
    with pytest.raises(InputError, match="CONDA_OVERRIDE_CUDA"):
        resolve(HostSpec(gpus=("8.0",)), env={"CONDA_OVERRIDE_CUDA": "twelve"})


def _host() -> HostFacts:
    return HostFacts(
        platform=Platform(system="linux", arch="x86_64", python_version="3.11.7"),
        gpus=(Gpu(index=0, name="Tesla T4", compute_capability="7.5"),),
        environment=(("A", "b"),),
    )


def test_host_file_with_flag_corrections(tmp_path: Path) -> None:
    path = tmp_path / "host.json"
    path.write_text(host_to_json(_host()))
    host = resolve(HostSpec(host_file=path, python="3.12"))
    assert host.origin == f"file:{path}"
    assert host.gpus[0].name == "Tesla T4"
    assert host.platform.python_version == "3.12"
    assert host.env("A") == "b"


@pytest.mark.parametrize(
    ("mutate", "where", "problem"),
    [
        (lambda d: d.update(schema_version=99), "schema_version", "not supported"),
        (lambda d: d["gpus"][0].update(compute_capability=7.5), "gpus[0].compute_capability", "expected str"),
        (lambda d: d["gpus"][0].update(colour="green"), "gpus[0].colour", "unknown field"),
        (lambda d: d.pop("platform"), "platform", "required field is missing"),
        (lambda d: d.update(environment=["x"]), "environment", "expected an object"),
    ],
)
def test_malformed_host_files(tmp_path: Path, mutate, where: str, problem: str) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(host_to_json(_host()))
    mutate(data)
    path = tmp_path / "host.json"
    path.write_text(json.dumps(data))
    with pytest.raises(InputError) as raised:
        read_host_file(path)
    assert raised.value.where == where
    assert problem in raised.value.problem
    assert str(path) in str(raised.value)


def test_host_file_not_json(tmp_path: Path) -> None:
    path = tmp_path / "host.json"
    path.write_text("{nope")
    with pytest.raises(InputError, match=r"line 1"):
        read_host_file(path)
    with pytest.raises(InputError, match="cannot read"):
        read_host_file(tmp_path / "missing.json")
