"""Test tiers, by what they run:

- tests/unit: in-process (typer's CliRunner, fakes at the hardware and network seams, the frozen mini-matrix); they
  never reach a real GPU or a non-loopback address. `pytest tests/unit` is the quick loop.
- tests/matrix: the real matrix data.
- tests/integration: real parts — pip, uv and a local index, golden files of generated environments, buildah, a Slurm
  and a Dask cluster, kubectl, a headless browser. Every test there carries the `integration` marker (added below),
  so `pytest -m "not integration"` leaves them out; the README's `python -m pytest` (and .ci/run) runs them all.
- `gpu` tests run only where NVML works; `online` tests only with DLENV_ONLINE=1.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


def _real_gpu_available() -> bool:
    try:
        import pynvml

        pynvml.nvmlInit()
        count = pynvml.nvmlDeviceGetCount()
        pynvml.nvmlShutdown()
    except Exception:
        return False
    return bool(count)


_INTEGRATION = Path(__file__).resolve().parent / "integration"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if _INTEGRATION in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.integration)
    if not any(item.get_closest_marker("gpu") for item in items):
        return
    if _real_gpu_available():
        return
    skip = pytest.mark.skip(reason="needs a real NVIDIA GPU and driver (NVML did not initialise)")
    for item in items:
        if item.get_closest_marker("gpu"):
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _tripwire(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Unit tests fail loudly if they reach the real NVML or a non-loopback network address."""
    if request.node.get_closest_marker("gpu") or request.node.get_closest_marker("online"):
        yield
        return

    def no_real_nvml() -> Any:
        raise AssertionError("a unit test reached the real NVML: pass a fake nvml_loader")

    monkeypatch.setattr("dlenv.host.context.load_pynvml", no_real_nvml)
    real_connect = socket.socket.connect

    def loopback_only(self: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and (host.startswith("127.") or host in {"localhost", "::1"} or host.startswith("/")):
            return real_connect(self, address)
        raise AssertionError(f"a unit test tried to reach {address!r}: only 127.0.0.1 servers are allowed")

    monkeypatch.setattr(socket.socket, "connect", loopback_only)
    # `dlenv check` runs uv (a subprocess the socket tripwire cannot see) for ranges; tests that want it pass
    # --resolve with a local index (tests/unit/compat/test_uv_resolve.py)
    monkeypatch.setenv("DLENV_RESOLVE", "0")
    yield
