"""Collecting node reports through the engine a cluster already runs: Slurm (`srun`, one task a node), Dask
(`Client.run` on every worker), Kubernetes (node labels through `kubectl`). No agent or transport of dlenv's own.

On every node the probe is `dlenv fleet node-report`, which prints one report line. What it runs to get the facts
is the *probe command* (default: dlenv's own probe of that machine); `--probe-command CMD` replaces it with any
command that prints `dlenv probe` JSON — a container (`apptainer exec IMG dlenv probe`), or a host file per node
(`dlenv probe --host /shared/hosts/$SLURMD_NODENAME.json`). A node that is down, times out or whose probe fails is
reported with the reason, never dropped.
"""

from __future__ import annotations

import json
import os
import shlex
import socket
import subprocess
from typing import TYPE_CHECKING, Any

from dlenv.errors import DlenvError, InputError
from dlenv.fleet.reports import NodeReport
from dlenv.host.serialize import host_from_dict

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from dlenv.host.model import HostFacts

# sinfo states in which a node runs no job step (`sinfo -h -N -o '%N %t'` prints them short, '*' = not responding)
_UNUSABLE_STATES = ("down", "drain", "drng", "fail", "failg", "maint", "futr", "npc", "pow_dn", "unk", "inval")
_OUTPUT_TAIL = 300


def node_name(env: Mapping[str, str]) -> str:
    """This node's name as the engine knows it: Slurm's, Kubernetes' (the manifest's NODE_NAME), or the hostname."""
    return env.get("SLURMD_NODENAME") or env.get("NODE_NAME") or socket.gethostname()


def probe_this_node(probe_command: Sequence[str] | None, timeout: float) -> HostFacts:
    """The facts of this machine: dlenv's probe, or what the probe command prints (`dlenv probe` JSON)."""
    if not probe_command:
        from dlenv.host.probe import probe_host

        return probe_host()
    shown = shlex.join(probe_command)
    try:
        completed = subprocess.run(list(probe_command), capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise InputError(f"probe command failed: {error}", where=shown, fix="check --probe-command") from None
    if completed.returncode != 0:
        tail = completed.stderr.strip().splitlines()[-1:] or [""]
        raise InputError(
            f"probe command exited {completed.returncode}: {tail[0][:_OUTPUT_TAIL]}",
            where=shown,
            fix="check --probe-command on that node",
        )
    try:
        data = json.loads(completed.stdout)
    except json.JSONDecodeError as error:
        raise InputError(
            f"probe command printed no JSON: {error.msg}", where=shown, fix="it must print `dlenv probe` JSON"
        ) from None
    return host_from_dict(data, f"probe command `{shown}`")


def node_report(source: str, node: str, probe_command: Sequence[str] | None, timeout: float) -> NodeReport:
    """This node's report; a failed probe is the report's error (the node is reported, not dropped)."""
    try:
        return NodeReport(node, source, probe_this_node(probe_command, timeout))
    except DlenvError as error:
        return NodeReport(node, source, None, str(error))


def _run(
    command: Sequence[str], timeout: float, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            list(command), capture_output=True, text=True, timeout=timeout, check=False, env=dict(env) if env else None
        )
    except FileNotFoundError:
        raise InputError(
            f"{command[0]} is not installed here",
            where=command[0],
            fix="run the collection where the engine's client is on PATH",
        ) from None
    except subprocess.TimeoutExpired:
        raise InputError(f"timed out after {timeout:g} s", where=shlex.join(command), fix="raise --timeout") from None


def slurm_nodes(partition: str | None, nodes: str | None, timeout: float) -> list[tuple[str, str]]:
    """(node, sinfo state) of every node of the partition or node list."""
    command = ["sinfo", "--noheader", "--Node", "--format=%N %t"]
    if partition:
        command.append(f"--partition={partition}")
    if nodes:
        command.append(f"--nodes={nodes}")
    completed = _run(command, timeout)
    if completed.returncode != 0:
        raise InputError(
            f"sinfo failed: {completed.stderr.strip()[:_OUTPUT_TAIL]}",
            where="sinfo",
            fix="check SLURM_CONF, --partition and --nodes",
        )
    seen: dict[str, str] = {}
    for line in completed.stdout.splitlines():
        name, _, state = line.strip().partition(" ")
        if name:
            seen.setdefault(name, state.strip())  # a node in two partitions is listed twice
    return sorted(seen.items())


def _usable(state: str) -> bool:
    return not state.endswith(("*", "~", "#", "!", "%", "$", "@", "^", "-")) and state.rstrip("*~#!%$@^-+") not in (
        _UNUSABLE_STATES
    )


def collect_slurm(
    partition: str | None,
    nodes: str | None,
    probe_command: Sequence[str] | None,
    timeout: float,
    dlenv_command: Sequence[str] = ("dlenv",),
) -> list[NodeReport]:
    """One `dlenv fleet node-report` per node through `srun --nodes=N --ntasks-per-node=1`; nodes that are down
    or drained, or that print nothing, are reported with the reason."""
    listed = slurm_nodes(partition, nodes, timeout)
    if not listed:
        raise InputError("no nodes", where="sinfo", fix="check --partition and --nodes")
    usable = [name for name, state in listed if _usable(state)]
    reports = {
        name: NodeReport(name, "slurm", None, f"not probed: sinfo state {state}")
        for name, state in listed
        if not _usable(state)
    }
    if usable:
        remote = [*dlenv_command, "fleet", "node-report", "--source", "slurm", "--timeout", f"{timeout:g}"]
        if probe_command:
            remote += ["--probe-command", shlex.join(probe_command)]
        command = [
            "srun",
            f"--nodes={len(usable)}",
            "--ntasks-per-node=1",
            f"--nodelist={','.join(usable)}",
            "--label",
            f"--immediate={max(1, int(timeout))}",
            "--job-name=dlenv-fleet",
        ]
        if partition:
            command.append(f"--partition={partition}")
        completed = _run([*command, *remote], timeout + 10)
        for report in _labelled_reports(completed.stdout):
            if report.node in usable:
                reports[report.node] = report
        why = (completed.stderr.strip().splitlines() or [f"srun exited {completed.returncode}"])[-1]
        for name in usable:
            reports.setdefault(name, NodeReport(name, "slurm", None, f"no report from srun: {why[:_OUTPUT_TAIL]}"))
    return [reports[name] for name, _ in listed]


def _labelled_reports(output: str) -> list[NodeReport]:
    """The report lines in `srun --label` output. srun prefixes each piece with its task id and breaks lines of
    more than 1024 bytes into several labelled pieces, so each task's pieces are joined until they parse."""
    pending: dict[str, str] = {}
    found = []
    for line in output.splitlines():
        task, separator, text = line.partition(": ")
        if not separator or not task.strip().isdigit():
            continue
        pending[task] = pending.get(task, "") + text
        report = _parse_line(pending[task])
        if report is not None:
            found.append(report)
            del pending[task]
    return found


def _parse_line(text: str) -> NodeReport | None:
    try:
        record = json.loads(text)
    except json.JSONDecodeError:
        return None
    if not isinstance(record, dict) or not isinstance(record.get("node"), str):
        return None
    if "host" in record:
        return NodeReport(record["node"], str(record.get("source")), host_from_dict(record["host"], "srun output"))
    return NodeReport(record["node"], str(record.get("source")), None, str(record.get("error")))


def _dask_node_report(probe_command: list[str] | None, timeout: float, dask_worker: Any = None) -> dict[str, Any]:
    """Runs on a Dask worker (`Client.run` passes the worker as `dask_worker`): this worker's report as a dict,
    named after the worker's --name, else the machine (plain data crosses the wire)."""
    from dlenv.fleet.reports import report_to_dict

    name = getattr(dask_worker, "name", None)
    node = str(name) if isinstance(name, str) and name else node_name(os.environ)
    return report_to_dict(node_report("dask", node, probe_command, timeout))


def collect_dask(
    address: str | None, scheduler_file: str | None, probe_command: Sequence[str] | None, timeout: float
) -> list[NodeReport]:
    """The probe on every worker through `Client.run`; a worker whose probe raised is reported with the error."""
    try:
        from distributed import Client
    except ImportError:
        raise InputError("dask distributed is not installed", where="--dask", fix="pip install distributed") from None
    try:
        client = Client(address, scheduler_file=scheduler_file, timeout=timeout, set_as_default=False)  # type: ignore[no-untyped-call]
    except (OSError, TimeoutError, ValueError) as error:
        raise InputError(
            f"cannot connect to the Dask scheduler: {error}",
            where=address or scheduler_file,
            fix="check the address or scheduler file",
        ) from None
    with client:
        results = client.run(
            _dask_node_report, list(probe_command) if probe_command else None, timeout, on_error="return"
        )
    reports = []
    for worker, result in sorted(results.items()):
        if isinstance(result, BaseException):
            reports.append(NodeReport(worker, "dask", None, f"probe raised {type(result).__name__}: {result}"))
            continue
        parsed = _parse_line(json.dumps(result))
        reports.append(parsed or NodeReport(worker, "dask", None, "the worker returned no report"))
    return reports


def collect_kubernetes(
    kubectl: str, context: str | None, selector: str | None, timeout: float, env: Mapping[str, str] | None = None
) -> list[NodeReport]:
    """GPU Feature Discovery labels of every node, through `kubectl get nodes -o json` and the user's kubeconfig."""
    from dlenv.fleet.labels import reports_from_node_list

    command = [kubectl, "get", "nodes", "-o", "json", f"--request-timeout={max(1, int(timeout))}s"]
    if context:
        command += ["--context", context]
    if selector:
        command += ["--selector", selector]
    completed = _run(command, timeout + 5, env)
    if completed.returncode != 0:
        raise InputError(
            f"kubectl failed: {completed.stderr.strip()[:_OUTPUT_TAIL]}",
            where=shlex.join(command),
            fix="check the kubeconfig, --context and --selector",
        )
    try:
        document = json.loads(completed.stdout)
    except json.JSONDecodeError as error:
        raise InputError(
            f"kubectl printed no JSON: {error.msg}", where="kubectl get nodes", fix="check kubectl"
        ) from None
    return reports_from_node_list(document, "kubectl get nodes -o json")
