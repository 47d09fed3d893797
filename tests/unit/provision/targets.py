"""The golden targets: hosts described by flags, resolved over the frozen mini-matrix exactly as the CLI does."""

from __future__ import annotations

from dataclasses import dataclass

from dlenv.cli.options import OutputTarget
from dlenv.cli.provision_options import regenerate_command
from dlenv.compat.knowledge import MatrixGpuKnowledge
from dlenv.host.describe import HostSpec, resolve_host
from dlenv.host.model import HostFacts
from dlenv.provision.stack import Stack, build_stack
from tests.unit.compat.engine import mini_matrix


@dataclass(frozen=True)
class Target:
    name: str
    requirements: tuple[str, ...]
    driver: str | None = None
    gpus: tuple[str, ...] = ()
    python: str = "3.11"

    def host(self) -> HostFacts:
        spec = HostSpec(driver=self.driver, gpus=self.gpus, python=self.python, system="linux", arch="x86_64")

        def no_probe() -> HostFacts:
            raise AssertionError("golden targets never probe this machine")

        return resolve_host(spec, probe=no_probe, knowledge=lambda: MatrixGpuKnowledge(mini_matrix()), env={})

    def stack(self) -> Stack:
        return build_stack(self.host(), mini_matrix(), list(self.requirements))

    def command(self, kind: str, extra: list[str], output: str) -> list[str]:
        spec = HostSpec(driver=self.driver, gpus=self.gpus, python=self.python, system="linux", arch="x86_64")
        return regenerate_command(kind, list(self.requirements), spec, extra, OutputTarget(output))


TARGETS = (
    Target("cpu-only", ("torch",)),
    Target("driver-470-ampere", ("torch",), "470.82.01", ("8.6",), "3.10"),
    Target("driver-535-v100", ("torch",), "535.104.05", ("V100",)),
    Target("driver-580-h100", ("torch",), "580.65.06", ("H100",)),
    Target("rtx-5090", ("torch",), "570.86.15", ("RTX 5090",), "3.12"),
    Target("rapids-pytorch", ("torch", "cudf-cu12"), "580.65.06", ("H100",), "3.12"),
)
