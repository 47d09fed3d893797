"""Real engines for the fleet tests, on 127.0.0.1 in the test's own directory, stopped by PID: a Slurm cluster of
three slurmd on one machine (Debian's slurmctld/slurmd/munge; recipe in docs/fleet.md), a Dask scheduler with
three workers as separate processes, and a Kubernetes API stub for the real kubectl.

Each node sees its own GPU facts through dlenv's documented seam, `--probe-command`: the wrapper script below
picks the node's host file by the name the engine gives it ($SLURMD_NODENAME under Slurm, $FLEET_NODE for the Dask
worker started as that node) and prints it with `dlenv probe --host`.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from collections.abc import Iterator

NODES = ("node1", "node2", "node3")
BIN = Path(sys.executable).parent


def wrapper_script(directory: Path, hosts: Path, variable: str) -> Path:
    script = directory / "probe-node.sh"
    script.write_text(
        "#!/bin/sh\n"
        f"# the host file of the node this task runs on, named by ${variable}\n"
        f'exec "{sys.executable}" -m dlenv probe --host "{hosts}/${{{variable}}}.json"\n',
        encoding="utf-8",
    )
    script.chmod(0o755)
    return script


def environment(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"  # srun tasks and workers find this dlenv
    env.update(extra)
    return env


def _wait(predicate: Any, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise TimeoutError(f"{what} not ready after {seconds:g} s")


def stop_pids(pids: list[int], seconds: float = 15.0) -> None:
    """SIGTERM each PID, wait for it, SIGKILL any straggler — these PIDs only."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + seconds
    for pid in pids:
        while time.monotonic() < deadline and _alive(pid):
            time.sleep(0.05)
        if _alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def stop_processes(processes: list[subprocess.Popen[bytes]], seconds: float = 15.0) -> None:
    """The same for processes this test started with Popen (waited for, so none is left a zombie)."""
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(seconds)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def _alive(pid: int) -> bool:
    try:
        finished, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:  # not our child: ask the kernel
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return Path(f"/proc/{pid}").exists() and "Z" not in _state(pid)
    return finished == 0


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"


def _read_pid(path: Path, what: str) -> int:
    """The PID a daemon wrote (it creates the file before it writes the number)."""
    _wait(lambda: path.exists() and path.read_text().strip().isdigit(), 10, what)
    return int(path.read_text().strip())


def _free_base_port(count: int) -> int:
    for _ in range(50):
        base = random.randrange(20000, 40000)
        try:
            for port in range(base, base + count):
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise RuntimeError("no free port range")


def slurm_refusal() -> str | None:
    if sys.platform != "linux" or os.geteuid() != 0:
        return "the Slurm test cluster runs its daemons as root on Linux"
    for tool in ("slurmctld", "slurmd", "srun", "sinfo", "scontrol", "munged", "mungekey"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (apt-get install slurmctld slurmd slurm-client munge; .ci/run does)"
    return None


class SlurmCluster:
    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.conf = directory / "slurm.conf"
        self.pids: list[int] = []
        self.env = environment(SLURM_CONF=str(self.conf))

    def run(self, *args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
        return subprocess.run(list(args), capture_output=True, text=True, env=self.env, timeout=timeout, check=False)

    def start(self) -> None:
        d = self.dir
        d.chmod(0o711)
        munge = d / "munge"
        munge.mkdir(mode=0o711)
        (d / "log").mkdir()
        subprocess.run(["mungekey", "-c", "-k", str(munge / "munge.key")], check=True, capture_output=True)
        subprocess.run(
            [
                "munged",
                "-S",
                str(munge / "munge.sock"),
                f"--key-file={munge / 'munge.key'}",
                f"--log-file={munge / 'munged.log'}",
                f"--pid-file={munge / 'munged.pid'}",
                f"--seed-file={munge / 'munged.seed'}",
            ],
            check=True,
            capture_output=True,
        )
        self.pids.append(_read_pid(munge / "munged.pid", "munged"))
        base = _free_base_port(len(NODES) + 12)
        for node in NODES:
            (d / f"spool-{node}").mkdir()
        self.conf.write_text(
            "\n".join(
                [
                    "ClusterName=dlenvtest",
                    "SlurmctldHost=localhost",
                    f"SlurmctldPort={base}",
                    f"SlurmdPort={base + 1}",
                    "AuthType=auth/munge",
                    f"AuthInfo=socket={munge / 'munge.sock'}",
                    "CredType=cred/munge",
                    "SlurmUser=root",
                    "SlurmdUser=root",
                    f"StateSaveLocation={d / 'state'}",
                    f"SlurmdSpoolDir={d}/spool-%n",
                    f"SlurmctldPidFile={d / 'slurmctld.pid'}",
                    f"SlurmdPidFile={d}/slurmd-%n.pid",
                    f"SlurmctldLogFile={d / 'log' / 'slurmctld.log'}",
                    f"SlurmdLogFile={d}/log/slurmd-%n.log",
                    "ProctrackType=proctrack/linuxproc",
                    "TaskPlugin=task/none",
                    "JobAcctGatherType=jobacct_gather/none",
                    "AccountingStorageType=accounting_storage/none",
                    "SelectType=select/cons_tres",
                    "SelectTypeParameters=CR_Core",
                    "MpiDefault=none",
                    "MailProg=/bin/true",
                    "ReturnToService=2",
                    "SlurmdParameters=config_overrides",
                    f"NodeName=node[1-{len(NODES)}] NodeHostname=localhost NodeAddr=127.0.0.1 "
                    f"Port=[{base + 10}-{base + 9 + len(NODES)}] CPUs=2 RealMemory=1000 State=UNKNOWN",
                    "PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP",
                ]
            )
            + "\n",
            encoding="utf-8",
        )
        (d / "state").mkdir()
        subprocess.run(["slurmctld", "-f", str(self.conf)], check=True, env=self.env, capture_output=True)
        self.pids.append(_read_pid(d / "slurmctld.pid", "slurmctld"))
        _wait(lambda: "UP" in self.run("scontrol", "ping").stdout, 15, "slurmctld")
        uts = subprocess.run(["unshare", "--uts", "true"], capture_output=True, check=False).returncode == 0
        for node in NODES:
            daemon = f"exec slurmd -f {self.conf} -N {node}"
            command = ["unshare", "--uts", "sh", "-c", f"hostname {node} && {daemon}"] if uts else ["sh", "-c", daemon]
            subprocess.run(command, check=True, env=self.env, capture_output=True)
        for node in NODES:
            self.pids.append(_read_pid(d / f"slurmd-{node}.pid", f"slurmd {node}"))
        idle = lambda: len(self.run("sinfo", "-h", "-N", "-t", "idle").stdout.split("\n")) > len(NODES)  # noqa: E731
        _wait(idle, 20, "three idle nodes")

    def stop(self) -> None:
        # slurmds, then slurmctld, then munged: the reverse of the start
        stop_pids(list(reversed(self.pids)))


def dask_refusal() -> str | None:
    if not (BIN / "dask").exists():
        return "dask distributed is not installed (pip install -e '.[test]' installs it)"
    return None


class DaskCluster:
    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.scheduler_file = directory / "scheduler.json"
        self.scheduler: subprocess.Popen[bytes] | None = None
        self.workers: list[subprocess.Popen[bytes]] = []
        self.logs: list[Any] = []
        self.address = ""

    def start(self) -> None:
        log = (self.dir / "scheduler.log").open("wb")
        self.logs.append(log)
        self.scheduler = subprocess.Popen(
            [
                str(BIN / "dask"),
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--dashboard-address",
                "127.0.0.1:0",
                "--no-dashboard",
                "--scheduler-file",
                str(self.scheduler_file),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=environment(),
            cwd=self.dir,
        )
        _wait(self.scheduler_file.exists, 30, "dask scheduler file")
        _wait(lambda: bool(self.scheduler_file.read_text().strip()), 10, "dask scheduler file contents")
        self.address = json.loads(self.scheduler_file.read_text())["address"]
        for node in NODES:
            work = self.dir / node
            work.mkdir()
            self.logs.append((work / "worker.log").open("wb"))
            self.workers.append(
                subprocess.Popen(
                    [
                        str(BIN / "dask"),
                        "worker",
                        self.address,
                        "--name",
                        node,
                        "--host",
                        "127.0.0.1",
                        "--dashboard-address",
                        "127.0.0.1:0",
                        "--no-dashboard",
                        "--nthreads",
                        "1",
                        "--no-nanny",
                        "--death-timeout",
                        "30",
                        "--local-directory",
                        str(work),
                    ],
                    stdout=self.logs[-1],
                    stderr=subprocess.STDOUT,
                    env=environment(FLEET_NODE=node),
                    cwd=work,
                )
            )

        def all_workers() -> bool:
            from distributed import Client

            with Client(self.address, timeout=10, set_as_default=False) as client:  # type: ignore[no-untyped-call]
                client.wait_for_workers(len(NODES), timeout=30)
            return True

        all_workers()

    def stop(self) -> None:
        # workers first: a worker whose scheduler is gone retries for its death timeout
        stop_processes(self.workers)
        if self.scheduler is not None:
            stop_processes([self.scheduler])
        for log in self.logs:
            log.close()


class _StubApi(BaseHTTPRequestHandler):
    nodes: ClassVar[dict[str, Any]] = {}
    requests: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        self.requests.append(path)
        bodies: dict[str, Any] = {
            "/version": {"major": "1", "minor": "33", "gitVersion": "v1.33.0-dlenv-stub", "platform": "linux/amd64"},
            "/api": {
                "kind": "APIVersions",
                "versions": ["v1"],
                "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}],
            },
            "/apis": {"kind": "APIGroupList", "apiVersion": "v1", "groups": []},
            "/api/v1": {
                "kind": "APIResourceList",
                "groupVersion": "v1",
                "resources": [
                    {
                        "name": "nodes",
                        "singularName": "node",
                        "namespaced": False,
                        "kind": "Node",
                        "verbs": ["get", "list"],
                        "shortNames": ["no"],
                    }
                ],
            },
            "/api/v1/nodes": self.nodes,
        }
        body = bodies.get(path)
        data = json.dumps(body if body is not None else {"kind": "Status", "status": "Failure", "code": 404}).encode()
        self.send_response(200 if body is not None else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        return


@contextlib.contextmanager
def kubernetes_stub(directory: Path, node_list: dict[str, Any]) -> Iterator[Path]:
    """An API server stub on 127.0.0.1 serving the node list; yields a kubeconfig that points at it."""
    _StubApi.nodes = node_list
    _StubApi.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _StubApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    kubeconfig = directory / "kubeconfig"
    kubeconfig.write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": "stub",
                "clusters": [{"name": "stub", "cluster": {"server": f"http://127.0.0.1:{server.server_address[1]}"}}],
                "users": [{"name": "stub", "user": {"token": "dummy"}}],
                "contexts": [{"name": "stub", "context": {"cluster": "stub", "user": "stub"}}],
            }
        ),
        encoding="utf-8",
    )
    try:
        yield kubeconfig
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
