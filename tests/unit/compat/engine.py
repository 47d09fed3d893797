"""The frozen mini-matrix and host builders for the engine's tests."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

from dlenv.host.model import Driver, Gpu, HostFacts, Platform
from dlenv.matrix.model import Matrix

MINI = Path(__file__).parents[2] / "data" / "engine-matrix"


@cache
def mini_matrix() -> Matrix:
    documents = {}
    for path in sorted(MINI.glob("*.yaml")):
        document = yaml.safe_load(path.read_text())
        documents[document["subject"]] = document
    return Matrix.from_documents(documents)


def host(
    driver: str | None = None,
    max_cuda: str | None = None,
    gpus: tuple[tuple[str, str], ...] = (),
    python: str = "3.11",
    system: str = "linux",
    arch: str = "x86_64",
    glibc: str | None = "2.35",
) -> HostFacts:
    return HostFacts(
        platform=Platform(system=system, arch=arch, python_version=python, glibc=glibc),
        origin="flags",
        driver=Driver(version=driver, max_cuda=max_cuda, source="flag") if driver or max_cuda else None,
        gpus=tuple(Gpu(index=i, name=name, compute_capability=cc, source="flag") for i, (name, cc) in enumerate(gpus)),
    )
