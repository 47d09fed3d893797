"""GPU Feature Discovery labels read as host facts: exact strings, the driver's maximum CUDA, MIG, no labels."""

from __future__ import annotations

from dlenv.fleet.labels import LABEL_ORIGIN, NO_GFD, host_from_labels, reports_from_node_list
from tests.unit.fleet.gfd_nodes import NODE_LABELS, node_list


def test_driver_revision_keeps_its_leading_zero_and_runtime_is_the_driver_maximum() -> None:
    host = host_from_labels(NODE_LABELS["gpu-h100-a"], "gpu-h100-a")
    assert host is not None and host.driver is not None
    assert host.driver.version == "550.90.07"
    assert host.driver.max_cuda == "12.4"  # the driver's maximum CUDA, not a toolkit
    assert host.toolkits == ()
    assert len(host.gpus) == 8 and host.gpus[0].name == "NVIDIA H100 80GB HBM3"
    assert host.gpus[0].compute_capability == "9.0" and host.origin == LABEL_ORIGIN
    assert host.platform.key == "linux-x86_64" and host.platform.python_version is None


def test_driver_from_the_parts_when_full_is_missing() -> None:
    labels = {k: v for k, v in NODE_LABELS["gpu-h100-a"].items() if not k.endswith(".full")}
    host = host_from_labels(labels, "n")
    assert host is not None and host.driver is not None
    assert host.driver.version == "550.90.07" and host.driver.max_cuda == "12.4"


def test_deprecated_driver_labels_alone() -> None:
    labels = {k: v for k, v in NODE_LABELS["gpu-v100-a"].items() if "driver-version" not in k}
    host = host_from_labels(labels, "n")
    assert host is not None and host.driver is not None and host.driver.version == "470.82.01"


def test_mig_single_strategy_names_the_parent_gpu_and_the_slices() -> None:
    host = host_from_labels(NODE_LABELS["gpu-a100-mig"], "gpu-a100-mig")
    assert host is not None
    assert host.gpus[0].name == "NVIDIA A100 SXM4 40GB" and host.gpus[0].mig_enabled is True
    assert [d.name for d in host.gpus[0].mig_devices] == ["1g.5gb"] * 7


def test_a_node_without_gfd_is_reported_with_why() -> None:
    reports = {r.node: r for r in reports_from_node_list(node_list(), "test")}
    assert reports["cpu-only-a"].host is None and reports["cpu-only-a"].error == NO_GFD
    assert sum(r.host is not None for r in reports.values()) == 4


def test_a_compute_capability_label_that_is_no_number_leaves_it_unknown() -> None:
    # int() of a label of over 4,300 digits raised; the one capability parser bounds it and says "unknown"
    for major in ("9" * 5000, "x"):
        labels = {**NODE_LABELS["gpu-h100-a"], "nvidia.com/gpu.compute.major": major}
        host = host_from_labels(labels, "n")
        assert host is not None and host.gpus[0].compute_capability is None
