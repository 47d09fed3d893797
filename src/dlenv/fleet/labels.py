"""Host facts from GPU Feature Discovery node labels (`kubectl get nodes -o json`).

What the labels say (NVIDIA/k8s-device-plugin, internal/lm and docs/gpu-feature-discovery): the driver
(`nvidia.com/cuda.driver-version.{major,minor,revision,full}`; the revision is a string with leading zeros, so it is
never read as a number), the newest CUDA the *driver* supports (`nvidia.com/cuda.runtime-version.*` — not a toolkit),
the GPU product (spaces turned into '-', a `-SHARED` suffix under time-slicing), count and compute capability, and
MIG (`nvidia.com/mig.strategy`, `nvidia.com/mig-<profile>.count`). Labels say nothing about Python, glibc or what is
installed: such a host is a described one (origin `kubernetes-labels`), and the fleet answer says Python is unverified.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from dlenv.errors import InputError
from dlenv.fleet.reports import NodeReport
from dlenv.host.model import Driver, Gpu, HostFacts, MigDevice, Platform
from dlenv.versions import parse_compute_capability

if TYPE_CHECKING:
    from collections.abc import Mapping

LABEL_ORIGIN = "kubernetes-labels"
_PREFIX = "nvidia.com/"
_ARCHES = {"amd64": "x86_64", "arm64": "aarch64", "ppc64le": "ppc64le"}
_MIG_COUNT = re.compile(r"^nvidia\.com/mig-(?P<profile>[0-9]+g\.[0-9]+gb(?:\+me)?)\.count$")
NO_GFD = "no GPU Feature Discovery labels (nvidia.com/cuda.driver-version.*, nvidia.com/gpu.product)"


def _label(labels: Mapping[str, str], *names: str) -> str | None:
    """The first of the label names (current spelling first, then the deprecated one) that is set."""
    for name in names:
        value = labels.get(_PREFIX + name)
        if value:
            return value
    return None


def _driver(labels: Mapping[str, str]) -> Driver | None:
    full = _label(labels, "cuda.driver-version.full")
    if full is None:
        parts = [
            _label(labels, "cuda.driver-version.major", "cuda.driver.major"),
            _label(labels, "cuda.driver-version.minor", "cuda.driver.minor"),
            _label(labels, "cuda.driver-version.revision", "cuda.driver.rev"),
        ]
        # keep the revision as written: 550.90.07, not 550.90.7
        full = ".".join(part for part in parts if part) if parts[0] and parts[1] else None
    if full is None:
        return None
    max_cuda = _label(labels, "cuda.runtime-version.full")
    if max_cuda is None:
        major = _label(labels, "cuda.runtime-version.major", "cuda.runtime.major")
        minor = _label(labels, "cuda.runtime-version.minor", "cuda.runtime.minor")
        max_cuda = f"{major}.{minor}" if major and minor else None
    return Driver(version=full, max_cuda=max_cuda, source="gfd")


def _product(labels: Mapping[str, str]) -> tuple[str | None, bool]:
    """The GPU product name as NVML spells it, and whether it names a MIG slice (single strategy)."""
    product = _label(labels, "gpu.product")
    if product is None:
        return None, False
    product = product.removesuffix("-SHARED")
    mig_slice = "-MIG-" in product
    product = product.split("-MIG-")[0]
    return product.replace("-", " "), mig_slice


def _mig_devices(labels: Mapping[str, str]) -> tuple[MigDevice, ...]:
    """The MIG slices the per-profile count labels name (`nvidia.com/mig-1g.5gb.count: 7`)."""
    devices: list[MigDevice] = []
    for name, value in sorted(labels.items()):
        match = _MIG_COUNT.match(name)
        if match and value.isdigit():
            devices += [MigDevice(index=len(devices) + i, name=match["profile"]) for i in range(int(value))]
    return tuple(devices)


def host_from_labels(labels: Mapping[str, str], node: str) -> HostFacts | None:
    """The facts the labels give, or None when the node carries no GPU Feature Discovery labels."""
    driver = _driver(labels)
    name, mig_slice = _product(labels)
    if driver is None and name is None:
        return None
    major, minor = _label(labels, "gpu.compute.major"), _label(labels, "gpu.compute.minor")
    capability = parse_compute_capability(f"{major}.{minor}") if major and minor else None
    count_text = _label(labels, "gpu.count") or "1"
    if not count_text.isdigit():
        raise InputError(
            f"node {node}: label nvidia.com/gpu.count is {count_text!r}, not a number",
            where="kubectl get nodes",
            fix="check GPU Feature Discovery on that node",
        )
    strategy = _label(labels, "mig.strategy")
    mig_devices = _mig_devices(labels)
    mig_enabled = True if (mig_slice or mig_devices) else (False if strategy else None)
    memory = _label(labels, "gpu.memory")
    gpus = tuple(
        Gpu(
            index=index,
            name=name,
            compute_capability=capability,
            memory_total_mib=int(memory) if memory and memory.isdigit() else None,
            mig_enabled=mig_enabled,
            mig_devices=mig_devices if index == 0 else (),
            source="gfd",
        )
        # Under the single MIG strategy gpu.count counts MIG slices, not boards: one GPU entry carries them.
        for index in range(1 if mig_slice else int(count_text))
    )
    arch = labels.get("kubernetes.io/arch") or labels.get("beta.kubernetes.io/arch") or "amd64"
    system = labels.get("kubernetes.io/os") or "linux"
    platform = Platform(system=system, arch=_ARCHES.get(arch, arch), container="kubernetes")
    return HostFacts(platform=platform, origin=LABEL_ORIGIN, driver=driver, gpus=gpus)


def reports_from_node_list(document: Any, where: str) -> list[NodeReport]:
    """One report per node of a Kubernetes NodeList; a node without GFD labels is reported with that error."""
    if not isinstance(document, dict) or not isinstance(document.get("items"), list):
        raise InputError("not a Kubernetes NodeList (no items)", where=where, fix="check the kubectl context")
    reports = []
    for item in document["items"]:
        metadata = item.get("metadata") if isinstance(item, dict) else None
        if not isinstance(metadata, dict) or not isinstance(metadata.get("name"), str):
            raise InputError("a node without metadata.name", where=where, fix="check the kubectl context")
        labels = metadata.get("labels") or {}
        node = metadata["name"]
        host = host_from_labels({str(k): str(v) for k, v in labels.items()}, node)
        reports.append(NodeReport(node, "kubernetes", host, None if host else NO_GFD))
    return reports
