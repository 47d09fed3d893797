"""`dlenv fleet`: collect node reports through Slurm, Dask or Kubernetes; answer for the whole fleet; write the
manifests that collect full facts."""

from __future__ import annotations

import os
import shlex
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from dlenv.cli.options import FORWARD_COMPAT, MATRIX, OUTPUT, STRICT, MatrixSource, OutputTarget, takes
from dlenv.cli.typer_app import APP_SETTINGS, typer_command
from dlenv.errors import InputError

app = typer.Typer(
    name="fleet", help="One answer for a whole cluster, collected by the scheduler it runs.", **APP_SETTINGS
)

ReportsOption = Annotated[
    list[Path],
    typer.Option(
        "--reports", help="A JSON Lines file of node reports (`dlenv fleet collect`); repeatable.", dir_okay=False
    ),
]
TimeoutOption = Annotated[float, typer.Option("--timeout", help="Seconds to wait for the nodes.", min=1)]
ProbeCommandOption = Annotated[
    str | None,
    typer.Option(
        "--probe-command",
        help="On each node, run this instead of dlenv's own probe; it must print `dlenv probe` JSON "
        "(e.g. 'apptainer exec img.sif dlenv probe', or 'dlenv probe --host /shared/$SLURMD_NODENAME.json' "
        "through a script).",
    ),
]


class AnswerFormat(str, Enum):
    text = "text"
    json = "json"
    html = "html"


def _probe_command(text: str | None) -> list[str] | None:
    if text is None:
        return None
    words = shlex.split(text)
    if not words:
        raise InputError("empty probe command", where="--probe-command", fix="name a command, or leave it out")
    return words


@app.command("node-report")
def node_report(
    source: Annotated[str, typer.Option("--source", help="The engine that runs this: slurm, dask, kubernetes.")] = (
        "file"
    ),
    node: Annotated[
        str | None,
        typer.Option("--node", help="The node's name (default: SLURMD_NODENAME, NODE_NAME or the hostname)."),
    ] = None,
    probe_command: ProbeCommandOption = None,
    timeout: TimeoutOption = 120.0,
) -> None:
    """Print this node's report: one JSON line with its `dlenv probe` facts (or why the probe failed)."""
    from dlenv.fleet.collect import node_name
    from dlenv.fleet.collect import node_report as make_report
    from dlenv.fleet.reports import report_line

    report = make_report(source, node or node_name(os.environ), _probe_command(probe_command), timeout)
    sys.stdout.write(report_line(report))


@app.command()
@typer_command
@takes(OUTPUT)
def collect(  # keyword-only: the option groups (dlenv.cli.options) have no defaults
    *,
    slurm: Annotated[bool, typer.Option("--slurm", help="Probe every node through srun.")] = False,
    partition: Annotated[str | None, typer.Option("--partition", help="Slurm partition.")] = None,
    nodes: Annotated[str | None, typer.Option("--nodes", help="Slurm node list, e.g. gpu[01-16].")] = None,
    dask: Annotated[str | None, typer.Option("--dask", help="Dask scheduler address: probe every worker.")] = None,
    dask_scheduler_file: Annotated[
        Path | None, typer.Option("--dask-scheduler-file", help="Dask scheduler file.", dir_okay=False)
    ] = None,
    kubernetes: Annotated[bool, typer.Option("--kubernetes", help="Read GPU Feature Discovery node labels.")] = False,
    context: Annotated[str | None, typer.Option("--context", help="kubectl context.")] = None,
    selector: Annotated[str | None, typer.Option("--selector", "-l", help="Kubernetes label selector.")] = None,
    kubectl: Annotated[str, typer.Option("--kubectl", help="The kubectl to run.")] = "kubectl",
    from_files: Annotated[
        list[Path] | None,
        typer.Option("--from", help="Reports gathered another way: JSON Lines or `dlenv probe` files.", dir_okay=False),
    ] = None,
    probe_command: ProbeCommandOption = None,
    timeout: TimeoutOption = 120.0,
    output: OutputTarget,
) -> None:
    """Collect one report per node into a JSON Lines file. Nodes that are down or fail are reported, not dropped.

    Exit codes: 0 every node reported facts, 1 some node did not (its line says why), 2 bad input.
    """
    from dlenv.fleet import collect as collectors
    from dlenv.fleet.reports import NodeReport, report_line

    chosen = [bool(slurm), bool(dask or dask_scheduler_file), bool(kubernetes), bool(from_files)]
    if sum(chosen) != 1:
        raise InputError(
            "choose one source",
            where="arguments",
            fix="pass one of --slurm, --dask ADDRESS, --dask-scheduler-file F, --kubernetes or --from FILE",
        )
    command = _probe_command(probe_command)
    reports: list[NodeReport]
    if slurm:
        reports = collectors.collect_slurm(partition, nodes, command, timeout)
    elif dask or dask_scheduler_file:
        reports = collectors.collect_dask(
            dask, str(dask_scheduler_file) if dask_scheduler_file else None, command, timeout
        )
    elif kubernetes:
        reports = collectors.collect_kubernetes(kubectl, context, selector, timeout)
    else:
        _collect_files(from_files or [], output)
        return
    output.write("".join(report_line(r) for r in reports))
    missing = [r for r in reports if r.host is None]
    for report in missing:
        typer.echo(f"dlenv: {report.node}: {report.error}", err=True)
    raise typer.Exit(1 if missing else 0)


def _collect_files(paths: list[Path], output: OutputTarget) -> None:
    """Reports gathered another way, checked (every line, no node twice) and joined as they are; a `dlenv probe`
    file becomes one report line named after the file."""
    from dlenv.fleet.reports import FleetReader, NodeReport, is_probe_file, report_line
    from dlenv.host.serialize import read_host_file

    reader = FleetReader()
    parts = []
    for path in paths:
        reader.add_file(path)  # raises on the first bad line, naming it
        text = path.read_text(encoding="utf-8")
        if is_probe_file(text.splitlines()[0] if text else ""):
            parts.append(report_line(NodeReport(path.stem, "file", read_host_file(path))))
        else:
            parts += [line.rstrip("\n") + "\n" for line in text.splitlines() if line.strip()]
    output.write("".join(parts))
    failed = reader.fleet().failed
    for node in failed:
        typer.echo(f"dlenv: {node.node}: {node.error}", err=True)
    raise typer.Exit(1 if failed else 0)


def _answer(
    kind: str,
    items: list[str],
    reports: list[Path],
    matrix_dir: Path | None,
    allow_forward_compat: bool,
    output_format: AnswerFormat,
    output: OutputTarget,
    strict: bool,
) -> None:
    from dlenv.compat.requirements import from_arguments
    from dlenv.fleet.answer import fleet_check, fleet_resolve
    from dlenv.fleet.reports import read_fleet

    if not reports:
        raise InputError("no reports", where="--reports", fix="pass --reports FILE written by `dlenv fleet collect`")
    requirements = from_arguments(items)
    fleet = read_fleet(reports)
    matrix = MatrixSource(matrix_dir)()
    run = fleet_check if kind == "check" else fleet_resolve
    answer = run(fleet, matrix, requirements, allow_forward_compat=allow_forward_compat)
    from dlenv.render.formats import emit

    if output_format is AnswerFormat.html and not output.is_file and sys.stdout.isatty():
        raise InputError("an HTML report to a terminal", where="--format html", fix="add -o report.html")
    emit("fleet", output_format.value, answer, output)
    raise typer.Exit(answer.exit_code(strict=strict))


@app.command("check")
@typer_command
@takes(OUTPUT, STRICT, FORWARD_COMPAT, MATRIX)
def check_fleet(
    *,
    requirements: Annotated[list[str], typer.Argument(help="Requirements, e.g. torch==2.5.1 'jax>=0.4'.")],
    reports: ReportsOption,
    output_format: Annotated[AnswerFormat, typer.Option("--format", "-f", help="Output format.")] = AnswerFormat.text,
    output: OutputTarget,
    strict: bool,
    allow_forward_compat: bool,
    matrix_dir: Path | None,
) -> None:
    """Do the requirements run on every node? A verdict per pool, what blocks, driver drift.

    Exit codes: 0 every reported node runs them (warnings, unreported nodes included, fail only with --strict),
    1 some node does not, 2 bad input.
    """
    _answer("check", requirements, reports, matrix_dir, allow_forward_compat, output_format, output, strict)


@app.command("resolve")
@typer_command
@takes(OUTPUT, STRICT, FORWARD_COMPAT, MATRIX)
def resolve_fleet(
    *,
    frameworks: Annotated[list[str], typer.Argument(help="Packages with optional constraints: torch 'jax<0.5'.")],
    reports: ReportsOption,
    output_format: Annotated[AnswerFormat, typer.Option("--format", "-f", help="Output format.")] = AnswerFormat.text,
    output: OutputTarget,
    strict: bool,
    allow_forward_compat: bool,
    matrix_dir: Path | None,
) -> None:
    """The newest releases that run on every node, and the nodes that hold back newer ones (and what unblocks them).

    Exit codes: 0 a stack runs on every reported node, 1 none does, 2 bad input; --strict also fails on warnings.
    """
    _answer("resolve", frameworks, reports, matrix_dir, allow_forward_compat, output_format, output, strict)


class ManifestKind(str, Enum):
    job = "job"
    daemonset = "daemonset"


@app.command()
@typer_command
@takes(OUTPUT)
def manifest(
    *,
    kubernetes: Annotated[bool, typer.Option("--kubernetes", help="A Kubernetes Job or DaemonSet.")] = False,
    slurm: Annotated[bool, typer.Option("--slurm", help="An sbatch script.")] = False,
    kind: Annotated[ManifestKind, typer.Option("--kind", help="Kubernetes: job or daemonset.")] = (
        ManifestKind.daemonset
    ),
    image: Annotated[str | None, typer.Option("--image", help="Kubernetes: an image with dlenv installed.")] = None,
    namespace: Annotated[str, typer.Option("--namespace", help="Kubernetes namespace.")] = "default",
    nodes: Annotated[int | None, typer.Option("--nodes", help="Job / sbatch: number of nodes.")] = None,
    partition: Annotated[str | None, typer.Option("--partition", help="Slurm partition.")] = None,
    reports_name: Annotated[str, typer.Option("--reports-file", help="Slurm: the JSON Lines file to write.")] = (
        "dlenv-fleet.jsonl"
    ),
    time_limit: Annotated[str, typer.Option("--time", help="Slurm time limit.")] = "00:10:00",
    output: OutputTarget,
) -> None:
    """Write a manifest that runs the probe on every GPU node and prints one JSON line per node."""
    from dlenv.fleet import manifests

    if kubernetes == slurm:
        raise InputError("choose one", where="arguments", fix="pass --kubernetes or --slurm")
    if kubernetes:
        if image is None:
            raise InputError("no image", where="--image", fix="name an image that has dlenv installed")
        text = manifests.render_kubernetes(manifests.kubernetes_manifest(kind.value, image, namespace, nodes))
    else:
        if nodes is None:
            raise InputError("no node count", where="--nodes", fix="give --nodes N")
        text = manifests.slurm_script(nodes, partition, reports_name, time_limit)
    output.write(text)
