"""Fixtures that start the real engines for the fleet tests and stop them by PID (engines.py)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.fleet.engines import DaskCluster, SlurmCluster, dask_refusal, slurm_refusal
from tests.unit.fleet.fleet_data import write_host_files


@pytest.fixture(scope="session")
def evidence() -> Path | None:
    """Where the tests leave what they saw (answers, the screenshot), when DLENV_TEST_EVIDENCE names a folder."""
    folder = os.environ.get("DLENV_TEST_EVIDENCE")
    if not folder:
        return None
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="module")
def node_hosts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("hosts")
    write_host_files(directory)
    return directory


@pytest.fixture(scope="module")
def slurm_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SlurmCluster]:
    refusal = slurm_refusal()
    if refusal:
        pytest.skip(refusal)
    # munged wants execute permission for all on every folder above its socket, which pytest's 0700 temp
    # folders refuse: the cluster gets its own folder directly under the system temp folder
    directory = Path(tempfile.mkdtemp(prefix="dlenv-slurm-"))
    cluster = SlurmCluster(directory)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DaskCluster]:
    refusal = dask_refusal()
    if refusal:
        pytest.skip(refusal)
    cluster = DaskCluster(tmp_path_factory.mktemp("dask"))
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
