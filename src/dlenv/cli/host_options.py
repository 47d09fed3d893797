"""The host options every command takes: --host FILE, or flags that describe a host without a file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from dlenv.host.describe import GpuKnowledge, HostSpec, resolve_host

if TYPE_CHECKING:
    from dlenv.host.model import HostFacts
    from dlenv.matrix.families import FamilyIndex
    from dlenv.matrix.model import Matrix

HOST_PANEL = "Host (instead of probing this machine)"

HostFileOption = Annotated[
    Path | None,
    typer.Option(
        "--host",
        help="Read the host from a file written by `dlenv probe -o FILE`.",
        rich_help_panel=HOST_PANEL,
        dir_okay=False,
    ),
]
DriverOption = Annotated[
    str | None, typer.Option("--driver", help="NVIDIA driver version, e.g. 535.104.05.", rich_help_panel=HOST_PANEL)
]
GpuOption = Annotated[
    list[str] | None,
    typer.Option(
        "--gpu",
        help="A GPU: compute capability (8.0, sm_80) or product name (A100, T4, 'RTX 4090'). Repeatable.",
        rich_help_panel=HOST_PANEL,
    ),
]
PythonOption = Annotated[
    str | None, typer.Option("--python", help="Python version, e.g. 3.11.", rich_help_panel=HOST_PANEL)
]
OsOption = Annotated[
    str | None, typer.Option("--os", help="Operating system: linux, windows or macos.", rich_help_panel=HOST_PANEL)
]
ArchOption = Annotated[
    str | None, typer.Option("--arch", help="CPU architecture: x86_64 or aarch64.", rich_help_panel=HOST_PANEL)
]

ForwardCompatOption = Annotated[
    bool,
    typer.Option(
        "--allow-forward-compat",
        help="Accept builds that need NVIDIA's cuda-compat package on this host's data-center GPUs (you deploy it); "
        "never chosen over a build the driver runs natively.",
        rich_help_panel=HOST_PANEL,
    ),
]
StrictOption = Annotated[bool, typer.Option("--strict", help="Fail (exit 1) on warnings too.")]


MatrixDirOption = Annotated[
    Path | None,
    typer.Option(
        "--matrix",
        envvar="DLENV_MATRIX",
        file_okay=False,
        help="A directory of matrix YAML files layered over the shipped matrix (in-house packages, corrections).",
    ),
]


class MatrixSource:
    """Loads the matrix once, on first use: commands that never need it never pay for it."""

    def __init__(self, overlay_dir: Path | None) -> None:
        self.overlay_dir = overlay_dir
        self._matrix: Matrix | None = None

    def __call__(self) -> Matrix:
        if self._matrix is None:
            from dlenv.matrix.load import load_matrix

            self._matrix = load_matrix(self.overlay_dir)
        return self._matrix

    def knowledge(self) -> GpuKnowledge:
        from dlenv.compat.knowledge import MatrixGpuKnowledge

        return MatrixGpuKnowledge(self())

    def families(self) -> FamilyIndex:
        """The family index alone: without an overlay it is read without building the matrix."""
        if self._matrix is None and self.overlay_dir is None:
            from dlenv.matrix.families import current_families

            return current_families()
        return self().families


def host_from_options(
    host_file: Path | None,
    driver: str | None,
    gpus: list[str] | None,
    python: str | None,
    system: str | None,
    arch: str | None,
    matrix: MatrixSource | None = None,
) -> HostFacts:
    spec = HostSpec(host_file=host_file, driver=driver, gpus=tuple(gpus or ()), python=python, system=system, arch=arch)
    source = matrix if matrix is not None else MatrixSource(None)

    def probe() -> HostFacts:
        from dlenv.host.probe import probe_host

        return probe_host(families=source.families())

    return resolve_host(spec, probe=probe, knowledge=source.knowledge, env=os.environ)
