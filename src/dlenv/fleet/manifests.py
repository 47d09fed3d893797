"""Manifests that run `dlenv fleet node-report` on every GPU node and print one report line per node.

Kubernetes: a DaemonSet (one pod on every GPU node, now and as nodes join; the pod prints its line and then waits,
so `kubectl logs -l app.kubernetes.io/name=dlenv-fleet-probe` reads every node) or a Job (N pods, one per node by
pod anti-affinity, `restartPolicy: Never`). GPU nodes are chosen by GPU Feature Discovery's labels, the pods
tolerate the usual `nvidia.com/gpu` taint and run under the NVIDIA runtime class with every GPU visible; the probe
asks for no `nvidia.com/gpu` resource, so it never waits for a GPU to be free, and has small CPU/memory limits.
Slurm: an sbatch script with one task per node whose per-node outputs are joined into one JSON Lines file.
"""

from __future__ import annotations

import shlex
from typing import Any

import yaml

from dlenv.errors import InputError

APP_LABEL = "dlenv-fleet-probe"
GPU_NODE_LABEL = "nvidia.com/gpu.product"
"""Set by GPU Feature Discovery on every node with an NVIDIA GPU."""
RUNTIME_CLASS = "nvidia"
LIMITS = {"cpu": "500m", "memory": "256Mi"}
# The oldest and newest Kubernetes the manifests are validated against (tests/integration/fleet).
KUBERNETES_VERSIONS = ("1.25.0", "1.37.0")


def _container(image: str) -> dict[str, Any]:
    return {
        "name": "probe",
        "image": image,
        "command": ["dlenv", "fleet", "node-report", "--source", "kubernetes"],
        "env": [
            {"name": "NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
            {"name": "NVIDIA_VISIBLE_DEVICES", "value": "all"},
            {"name": "NVIDIA_DRIVER_CAPABILITIES", "value": "utility"},
        ],
        "resources": {"requests": dict(LIMITS), "limits": dict(LIMITS)},
        "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True},
    }


def _pod_spec(image: str, restart: str) -> dict[str, Any]:
    return {
        "runtimeClassName": RUNTIME_CLASS,
        "restartPolicy": restart,
        "affinity": {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [{"matchExpressions": [{"key": GPU_NODE_LABEL, "operator": "Exists"}]}]
                }
            }
        },
        "nodeSelector": {"kubernetes.io/os": "linux"},
        "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
        "containers": [_container(image)],
    }


def kubernetes_manifest(kind: str, image: str, namespace: str, nodes: int | None) -> dict[str, Any]:
    if not image.strip():
        raise InputError("no image", where="--image", fix="name an image that has dlenv installed")
    labels = {"app.kubernetes.io/name": APP_LABEL}
    metadata = {"name": APP_LABEL, "namespace": namespace, "labels": dict(labels)}
    if kind == "daemonset":
        spec = _pod_spec(image, "Always")
        container = spec["containers"][0]
        # print the line, then stay (a DaemonSet's pods always restart): the logs hold one line per node
        container["command"] = ["sh", "-c", f"{shlex.join(container['command'])}; exec sleep infinity"]
        return {
            "apiVersion": "apps/v1",
            "kind": "DaemonSet",
            "metadata": metadata,
            "spec": {
                "selector": {"matchLabels": dict(labels)},
                "template": {"metadata": {"labels": dict(labels)}, "spec": spec},
            },
        }
    if kind != "job":
        raise InputError(f"unknown kind {kind!r}", where="--kind", fix="use job or daemonset")
    if nodes is None or nodes < 1:
        raise InputError("a Job needs the number of GPU nodes", where="--nodes", fix="give --nodes N (N ≥ 1)")
    spec = _pod_spec(image, "Never")
    spec["affinity"]["podAntiAffinity"] = {
        "requiredDuringSchedulingIgnoredDuringExecution": [
            {"labelSelector": {"matchLabels": dict(labels)}, "topologyKey": "kubernetes.io/hostname"}
        ]
    }
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": metadata,
        "spec": {
            "completions": nodes,
            "parallelism": nodes,
            "backoffLimit": 0,
            "ttlSecondsAfterFinished": 3600,
            "template": {"metadata": {"labels": dict(labels)}, "spec": spec},
        },
    }


def render_kubernetes(manifest: dict[str, Any]) -> str:
    return yaml.safe_dump(manifest, sort_keys=False)


def slurm_script(nodes: int, partition: str | None, output: str, time_limit: str) -> str:
    if nodes < 1:
        raise InputError("a job needs at least one node", where="--nodes", fix="give --nodes N (N ≥ 1)")
    header = [
        "#!/bin/bash",
        "#SBATCH --job-name=dlenv-fleet-probe",
        f"#SBATCH --nodes={nodes}",
        "#SBATCH --ntasks-per-node=1",
        f"#SBATCH --time={time_limit}",
        "#SBATCH --output=dlenv-fleet-probe-%j.log",
    ]
    if partition:
        header.append(f"#SBATCH --partition={partition}")
    body = [
        "set -euo pipefail",
        "# one report line per node, each into its own file (srun's %N) in the submit directory, which the nodes",
        "# share; joined at the end",
        'parts="${SLURM_SUBMIT_DIR:-.}/.dlenv-fleet-${SLURM_JOB_ID}"',
        'mkdir -p "$parts"',
        'srun --ntasks-per-node=1 --output="$parts/%N.jsonl" dlenv fleet node-report --source slurm',
        f'cat "$parts"/*.jsonl > {shlex.quote(output)}',
        'rm -r "$parts"',
        f'echo "dlenv: $(wc -l < {shlex.quote(output)}) node reports in {output}; '
        f'read them with dlenv fleet resolve FRAMEWORK --reports {output}" >&2',
    ]
    return "\n".join([*header, "", *body]) + "\n"
