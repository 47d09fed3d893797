"""Node reports: one JSON line per node — the node's `dlenv probe` JSON (or why there is none), its name and the
engine that collected it — and the streaming reader that groups them into pools of identical facts.

Reading is streamed and each distinct set of facts is read once by the host-file reader
(`dlenv.host.serialize.host_from_dict`): a line whose facts equal an already-read line's, apart from what names a
single machine (GPU UUIDs and PCI bus ids), only has those fields checked. That is what keeps 10,000 nodes fast and
their memory bounded by the number of pools, not of nodes.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from dlenv import records
from dlenv.errors import InputError
from dlenv.host.serialize import host_from_dict, host_to_dict
from dlenv.records import field, record

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

    from dlenv.host.model import HostFacts

REPORT_SCHEMA_VERSION = 1
_FIX = "write reports with `dlenv fleet collect`, one JSON object a line: schema_version, node, source, host or error"
# Fields that name one machine rather than describe it: pools ignore them.
_GPU_IDENTITY = ("uuid", "pci_bus_id")


@record
class NodeReport:
    node: str
    source: str
    """The engine that collected it: slurm, dask, kubernetes, file."""
    host: HostFacts | None = None
    error: str | None = None
    """Why the node has no facts (down, timed out, the probe failed, no GPU Feature Discovery labels)."""


def report_to_dict(report: NodeReport) -> dict[str, Any]:
    data: dict[str, Any] = {"schema_version": REPORT_SCHEMA_VERSION, "node": report.node, "source": report.source}
    if report.host is not None:
        data["host"] = host_to_dict(report.host)
    else:
        data["error"] = report.error or "no report"
    return data


def report_line(report: NodeReport) -> str:
    """One JSON Lines record (with its newline)."""
    return json.dumps(report_to_dict(report), separators=(",", ":")) + "\n"


@record(frozen=False)
class Pool:
    """Nodes with identical facts: the engine judges `host` once for all of them."""

    key: str
    host: HostFacts
    nodes: list[str] = field(default_factory=list)
    sources: set[str] = field(default_factory=set)
    pool_id: str = ""

    @property
    def size(self) -> int:
        return len(self.nodes)


@record
class FailedNode:
    node: str
    source: str
    error: str


@record
class Fleet:
    pools: tuple[Pool, ...]
    failed: tuple[FailedNode, ...]

    @property
    def node_count(self) -> int:
        return sum(pool.size for pool in self.pools) + len(self.failed)


_IDENTITY_TEXT = re.compile(r'"(?:uuid|pci_bus_id)":(?:"[^"\\]*"|null)')


def _text_key(line: str, node: str, source: str) -> str | None:
    """A cheap pool key for a line exactly as `report_line` writes it: the host's text without the identity
    fields. Two such lines with the same key hold the same facts, so the second needs no reading; a line in any
    other spelling returns None and takes the full path (whose key compares facts, not text)."""
    prefix = f'{{"schema_version":{REPORT_SCHEMA_VERSION},"node":{json.dumps(node)},"source":{json.dumps(source)},'
    if not line.startswith(prefix):
        return None
    return _IDENTITY_TEXT.sub("", line[len(prefix) :])


def _pool_facts(data: dict[str, Any]) -> tuple[str, list[Any]] | None:
    """The pool key of a host dict (its facts without the fields that name one machine), and those fields."""
    identity: list[Any] = []
    try:
        gpus = []
        for gpu in data.get("gpus") or ():
            identity += [gpu.get(name) for name in _GPU_IDENTITY]
            devices = gpu.get("mig_devices") or ()
            identity += [device.get("uuid") for device in devices]
            stripped = {name: value for name, value in gpu.items() if name not in _GPU_IDENTITY}
            if devices:
                stripped["mig_devices"] = [{k: v for k, v in device.items() if k != "uuid"} for device in devices]
            gpus.append(stripped)
        key = json.dumps({**data, "gpus": gpus}, sort_keys=True)
    except (AttributeError, TypeError):
        return None
    return key, identity


class FleetReader:
    """Reads report lines from any number of files into pools; call `add_file` (or `add_line`), then `fleet()`."""

    def __init__(self) -> None:
        self._pools: dict[str, Pool] = {}
        self._failed: list[FailedNode] = []
        self._seen: set[str] = set()
        # the text of a line written by `report_line`, identity fields removed -> its pool (see _fast_key)
        self._by_text: dict[str, Pool] = {}

    def add_file(self, path: Path) -> None:
        try:
            handle = path.open(encoding="utf-8")
        except OSError as error:
            raise InputError(
                f"cannot read reports: {error.strerror or error}",
                path=path,
                fix="pass a file written by `dlenv fleet collect -o FILE`",
            ) from None
        with handle:
            first = handle.readline()
            if is_probe_file(first):
                # a single `dlenv probe` file (indented JSON): one node named after the file
                self._add_probe_file(path, first + handle.read())
                return
            self.add_line(first, str(path), 1)
            for number, line in enumerate(handle, start=2):
                self.add_line(line, str(path), number)

    def _add_probe_file(self, path: Path, text: str) -> None:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise InputError(
                f"not valid JSON: {error.msg}", path=path, where=f"line {error.lineno}", fix=_FIX
            ) from None
        self._claim_node(path.stem, str(path), "line 1")
        self._add_record_host(data, path.stem, "file", str(path))

    def _claim_node(self, node: str, path: str, where: str) -> None:
        if node in self._seen:
            raise InputError(
                f"node {node!r} is reported twice",
                path=path,
                where=where,
                fix="collect each node once, or pass each reports file once",
            )
        self._seen.add(node)

    def add_line(self, line: str, path: str, number: int) -> None:
        if not line.strip():
            return
        where = f"line {number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise InputError(f"not valid JSON: {error.msg}", path=path, where=where, fix=_FIX) from None
        if not isinstance(record, dict):
            raise InputError("a report line holds one JSON object", path=path, where=where, fix=_FIX)
        if record.get("schema_version") != REPORT_SCHEMA_VERSION:
            raise InputError(
                f"schema_version {record.get('schema_version')!r} is not supported (this dlenv reads "
                f"{REPORT_SCHEMA_VERSION})",
                path=path,
                where=f"{where}: schema_version",
                fix="collect the reports again with this dlenv",
            )
        node, source = record.get("node"), record.get("source")
        for name, value in (("node", node), ("source", source)):
            if not isinstance(value, str) or not value:
                raise InputError(f"{name} must be a non-empty string", path=path, where=f"{where}: {name}", fix=_FIX)
        unknown = sorted(set(record) - {"schema_version", "node", "source", "host", "error"})
        if unknown or ("host" in record) == ("error" in record):
            problem = f"unknown field {unknown[0]!r}" if unknown else "a report has either host or error"
            raise InputError(problem, path=path, where=where, fix=_FIX)
        assert isinstance(node, str)
        assert isinstance(source, str)
        self._claim_node(node, path, where)
        text_key = _text_key(line, node, source)
        pool = self._by_text.get(text_key) if text_key is not None else None
        if pool is not None:
            pool.nodes.append(node)
            pool.sources.add(source)
            return
        if "error" in record:
            message = record["error"]
            if not isinstance(message, str):
                raise InputError("error must be a string", path=path, where=f"{where}: error", fix=_FIX)
            self._failed.append(FailedNode(node, source, message))
            return
        pool = self._add_record_host(record["host"], node, source, f"{path}:{where}: host")
        if text_key is not None and pool is not None:
            self._by_text[text_key] = pool

    def _add_record_host(self, data: Any, node: str, source: str, location: str) -> Pool | None:
        facts = _pool_facts(data) if isinstance(data, dict) else None
        if facts is not None:
            key, identity = facts
            pool = self._pools.get(key)
            if pool is not None and all(value is None or isinstance(value, str) for value in identity):
                pool.nodes.append(node)
                pool.sources.add(source)
                return pool
        # a new set of facts (or a malformed one): the host-file reader checks every field and names the bad one
        host = host_from_dict(data, location)
        # The node's own probe says where its facts came from (a probe sees its libraries; a described host does
        # not): the pool keeps that origin, not the reports file's name.
        host = records.replace(host, origin=data.get("origin", "probe"))
        return self._add_host(node, source, host, facts[0] if facts else json.dumps(data, sort_keys=True))

    def _add_host(self, node: str, source: str, host: HostFacts, key: str) -> Pool:
        pool = self._pools.get(key)
        if pool is None:
            pool = self._pools[key] = Pool(key, host)
        pool.nodes.append(node)
        pool.sources.add(source)
        return pool

    def fleet(self) -> Fleet:
        pools = sorted(self._pools.values(), key=lambda pool: (-pool.size, pool.nodes[0]))
        for index, pool in enumerate(pools, start=1):
            pool.pool_id = f"pool-{index}"
        return Fleet(tuple(pools), tuple(sorted(self._failed, key=lambda failed: failed.node)))


def is_probe_file(first_line: str) -> bool:
    """A `dlenv probe` file (indented JSON over many lines) rather than JSON Lines, from its first line."""
    return first_line.lstrip().startswith("{") and not first_line.rstrip().endswith("}")


def read_fleet(paths: Iterable[Path]) -> Fleet:
    reader = FleetReader()
    for path in paths:
        reader.add_file(path)
    return reader.fleet()
