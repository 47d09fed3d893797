"""Fakes at the hardware seam: an NVML with the pynvml API, raising the real bindings' error classes."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pynvml


@dataclass
class FakeMig:
    name: str
    uuid: str
    memory_bytes: int


@dataclass
class FakeDevice:
    name: str = "NVIDIA H100 80GB HBM3"
    uuid: str = "GPU-00000000-1111-2222-3333-444444444444"
    capability: tuple[int, int] = (9, 0)
    architecture: int = pynvml.NVML_DEVICE_ARCH_HOPPER
    memory_bytes: int = 85520809984
    brand: int = pynvml.NVML_BRAND_NVIDIA
    bus_id: str = "00000000:00:06.0"
    persistence: int = 1
    mig_mode: tuple[int, int] = (0, 0)
    mig_devices: Sequence[FakeMig | None] = ()
    error: int | None = None
    """An NVML error code every query on this device raises (e.g. GPU lost)."""
    unsupported: frozenset[str] = frozenset()
    """Query names that raise NOT_SUPPORTED on this device."""


def a100(index: int) -> FakeDevice:
    return FakeDevice(
        name="NVIDIA A100-SXM4-80GB",
        uuid=f"GPU-a100-{index}",
        capability=(8, 0),
        architecture=pynvml.NVML_DEVICE_ARCH_AMPERE,
        memory_bytes=85899345920,
        brand=pynvml.NVML_BRAND_NVIDIA,
        bus_id=f"00000000:{index:02x}:00.0",
    )


@dataclass
class FakeNvml:
    """The subset of the pynvml module dlenv calls, driven by plain data."""

    devices: list[FakeDevice] = field(default_factory=lambda: [FakeDevice()])
    driver: str = "580.159.04"
    cuda_driver: int = 13000
    nvml_version: str = "13.580.159.04"
    init_error: int | None = None
    count_error: int | None = None
    hang_seconds: float = 0.0
    calls: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        for name in dir(pynvml):
            if name.startswith("NVML_"):
                setattr(self, name, getattr(pynvml, name))
        self.NVMLError = pynvml.NVMLError

    def _fail(self, code: int) -> None:
        raise pynvml.NVMLError(code)

    def nvmlInit(self) -> None:
        self.calls.append("init")
        if self.hang_seconds:
            time.sleep(self.hang_seconds)
        if self.init_error is not None:
            self._fail(self.init_error)

    def nvmlShutdown(self) -> None:
        self.calls.append("shutdown")

    def nvmlSystemGetDriverVersion(self) -> str:
        return self.driver

    def nvmlSystemGetCudaDriverVersion_v2(self) -> int:
        return self.cuda_driver

    def nvmlSystemGetCudaDriverVersion(self) -> int:
        return self.cuda_driver

    def nvmlSystemGetNVMLVersion(self) -> str:
        return self.nvml_version

    def nvmlDeviceGetCount(self) -> int:
        if self.count_error is not None:
            self._fail(self.count_error)
        return len(self.devices)

    def nvmlDeviceGetHandleByIndex(self, index: int) -> FakeDevice:
        device = self.devices[index]
        if device.error is not None:
            self._fail(device.error)
        return device

    def _query(self, device: Any, name: str) -> Any:
        if isinstance(device, FakeMig):
            return device
        if device.error is not None:
            self._fail(device.error)
        if name in device.unsupported:
            self._fail(pynvml.NVML_ERROR_NOT_SUPPORTED)
        return device

    def nvmlDeviceGetName(self, handle: Any) -> str:
        return str(self._query(handle, "name").name)

    def nvmlDeviceGetUUID(self, handle: Any) -> str:
        return str(self._query(handle, "uuid").uuid)

    def nvmlDeviceGetCudaComputeCapability(self, handle: Any) -> tuple[int, int]:
        return self._query(handle, "capability").capability  # type: ignore[no-any-return]

    def nvmlDeviceGetArchitecture(self, handle: Any) -> int:
        return int(self._query(handle, "architecture").architecture)

    def nvmlDeviceGetMemoryInfo(self, handle: Any) -> Any:
        return SimpleNamespace(total=self._query(handle, "memory").memory_bytes)

    def nvmlDeviceGetBrand(self, handle: Any) -> int:
        return int(self._query(handle, "brand").brand)

    def nvmlDeviceGetPciInfo(self, handle: Any) -> Any:
        return SimpleNamespace(busId=self._query(handle, "pci").bus_id.encode())

    def nvmlDeviceGetPersistenceMode(self, handle: Any) -> int:
        return int(self._query(handle, "persistence").persistence)

    def nvmlDeviceGetMigMode(self, handle: Any) -> tuple[int, int]:
        return self._query(handle, "mig").mig_mode  # type: ignore[no-any-return]

    def nvmlDeviceGetMaxMigDeviceCount(self, handle: Any) -> int:
        return len(self._query(handle, "mig").mig_devices)

    def nvmlDeviceGetMigDeviceHandleByIndex(self, handle: Any, index: int) -> FakeMig:
        mig = self._query(handle, "mig").mig_devices[index]
        if mig is None:
            self._fail(pynvml.NVML_ERROR_NOT_FOUND)
        return mig  # type: ignore[no-any-return]
