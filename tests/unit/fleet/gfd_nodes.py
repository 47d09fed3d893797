"""A Kubernetes NodeList with GPU Feature Discovery labels as GFD writes them: H100/550, A100/535, V100/470,
an A100 in MIG (single strategy), and a CPU node without GFD labels."""

from __future__ import annotations

from typing import Any


def _gfd(
    product: str,
    driver: tuple[str, str, str],
    cuda: tuple[str, str],
    compute: tuple[str, str],
    count: int,
    **extra: str,
) -> dict[str, str]:
    major, minor, revision = driver
    labels = {
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/os": "linux",
        "nvidia.com/cuda.driver-version.major": major,
        "nvidia.com/cuda.driver-version.minor": minor,
        "nvidia.com/cuda.driver-version.revision": revision,
        "nvidia.com/cuda.driver-version.full": f"{major}.{minor}.{revision}",
        "nvidia.com/cuda.driver.major": major,
        "nvidia.com/cuda.driver.minor": minor,
        "nvidia.com/cuda.driver.rev": revision,
        "nvidia.com/cuda.runtime-version.major": cuda[0],
        "nvidia.com/cuda.runtime-version.minor": cuda[1],
        "nvidia.com/cuda.runtime-version.full": f"{cuda[0]}.{cuda[1]}",
        "nvidia.com/gpu.product": product,
        "nvidia.com/gpu.count": str(count),
        "nvidia.com/gpu.compute.major": compute[0],
        "nvidia.com/gpu.compute.minor": compute[1],
        "nvidia.com/gpu.family": "hopper",
        "nvidia.com/gpu.memory": "81559",
        "nvidia.com/mig.capable": "false",
        "nvidia.com/gfd.timestamp": "1732406400",
    }
    labels.update({f"nvidia.com/{k.replace('_', '.')}": v for k, v in extra.items()})
    return labels


NODE_LABELS: dict[str, dict[str, str]] = {
    "gpu-h100-a": _gfd("NVIDIA-H100-80GB-HBM3", ("550", "90", "07"), ("12", "4"), ("9", "0"), 8),
    "gpu-a100-a": _gfd("NVIDIA-A100-SXM4-80GB", ("535", "104", "05"), ("12", "2"), ("8", "0"), 8),
    "gpu-v100-a": _gfd("Tesla-V100-SXM2-32GB", ("470", "82", "01"), ("11", "4"), ("7", "0"), 4),
    "gpu-a100-mig": {
        **_gfd("NVIDIA-A100-SXM4-40GB-MIG-1g.5gb", ("535", "104", "05"), ("12", "2"), ("8", "0"), 7),
        "nvidia.com/mig.capable": "true",
        "nvidia.com/mig.strategy": "single",
        "nvidia.com/mig-1g.5gb.count": "7",
    },
    "cpu-only-a": {"kubernetes.io/arch": "amd64", "kubernetes.io/os": "linux"},
}


def node_list() -> dict[str, Any]:
    return {
        "kind": "NodeList",
        "apiVersion": "v1",
        "metadata": {"resourceVersion": "1"},
        "items": [
            {
                "kind": "Node",
                "apiVersion": "v1",
                "metadata": {
                    "name": name,
                    "labels": labels,
                    "uid": f"uid-{index}",
                    "resourceVersion": "1",
                    "creationTimestamp": "2026-11-24T00:00:00Z",
                },
                "spec": {},
                "status": {
                    "capacity": {"cpu": "64"},
                    "conditions": [
                        {
                            "type": "Ready",
                            "status": "True",
                            "reason": "KubeletReady",
                            "lastHeartbeatTime": "2026-11-24T00:00:00Z",
                            "lastTransitionTime": "2026-11-24T00:00:00Z",
                            "message": "ready",
                        }
                    ],
                },
            }
            for index, (name, labels) in enumerate(NODE_LABELS.items())
        ],
    }
