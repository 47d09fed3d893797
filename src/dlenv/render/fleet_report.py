"""`dlenv fleet check|resolve` reports: text and versioned JSON. The HTML grid is in fleet_html.py."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from dlenv import __version__

if TYPE_CHECKING:
    from rich.console import Console

    from dlenv.fleet.answer import Cell, FleetAnswer, PoolVerdict

FLEET_SCHEMA_VERSION = 1
_SHOWN_NODES = 8


def _cell(cell: Cell) -> dict[str, Any]:
    return {
        "status": cell.status,
        "build": cell.label,
        "gpu_build": cell.gpu_build,
        "findings": [
            {"code": f.code, "severity": f.severity.value, "message": f.message, "fix": f.fix} for f in cell.findings
        ],
    }


def _pool(verdict: PoolVerdict) -> dict[str, Any]:
    from dlenv.fleet.answer import hardware_label, pool_label

    host = verdict.pool.host
    return {
        "id": verdict.pool.pool_id,
        "label": pool_label(host),
        "hardware": hardware_label(host),
        "node_count": verdict.pool.size,
        "nodes": verdict.pool.nodes,
        "sources": sorted(verdict.pool.sources),
        "facts_from": host.origin,
        "driver": host.driver.version if host.driver else None,
        "driver_max_cuda": host.driver.max_cuda if host.driver else None,
        "gpus": [{"name": g.name, "compute_capability": g.compute_capability, "mig": g.mig_enabled} for g in host.gpus],
        "python": host.platform.python_version,
        "platform": host.platform.key,
        "compatible": verdict.compatible,
        "conflicts": [{"code": f.code, "message": f.message} for f in verdict.conflicts],
        "cells": {key: _cell(cell) for key, cell in verdict.cells.items()},
    }


def fleet_to_dict(answer: FleetAnswer) -> dict[str, Any]:
    return {
        "schema_version": FLEET_SCHEMA_VERSION,
        "dlenv_version": __version__,
        "matrix_version": answer.matrix_version,
        "kind": answer.kind,
        "requirements": list(answer.requirements),
        "compatible": answer.compatible,
        "nodes": {
            "total": answer.node_count,
            "reported": answer.node_count - len(answer.failed),
            "unreported": len(answer.failed),
        },
        "stack": [{"target": target, "release": release} for target, release in answer.stack],
        "columns": [{"key": c.key, "target": c.target, "release": c.release} for c in answer.columns],
        "pools": [_pool(v) for v in answer.verdicts],
        "unreported": [{"node": f.node, "source": f.source, "error": f.error} for f in answer.failed],
        "notes": [
            {"code": f.code, "severity": f.severity.value, "message": f.message, "fix": f.fix} for f in answer.notes
        ],
        "blockers": [
            {
                "target": b.column.target,
                "release": b.column.release,
                "pool": b.pool_id,
                "node_count": len(b.nodes),
                "nodes": list(b.nodes[:_SHOWN_NODES]),
                "kind": b.kind,
                "unblock": list(b.unblock),
                "codes": list(b.codes),
            }
            for b in answer.blockers
        ],
        "drift": [
            {
                "hardware": d.hardware,
                "expected_driver": d.expected,
                "drivers": [{"version": v, "node_count": n} for v, n in d.drivers],
                "drifted_nodes": list(d.drifted),
            }
            for d in answer.drift
        ],
    }


def fleet_to_json(answer: FleetAnswer) -> str:
    return json.dumps(fleet_to_dict(answer), indent=2) + "\n"


def _nodes(nodes: tuple[str, ...] | list[str]) -> str:
    shown = ", ".join(nodes[:_SHOWN_NODES])
    return shown + (f" … (+{len(nodes) - _SHOWN_NODES})" if len(nodes) > _SHOWN_NODES else "")


def render_fleet_text(console: Console, answer: FleetAnswer) -> None:
    from dlenv.fleet.answer import pool_label

    say = console.print
    reported = answer.node_count - len(answer.failed)
    say(f"{answer.node_count} nodes ({reported} reported) in {len(answer.verdicts)} pools", markup=False)
    if answer.kind == "resolve":
        for target, release in answer.stack:
            mark = "✔" if release else "✖"
            say(f"{mark} {target}: {release or 'no release runs on every node'}", markup=False, highlight=False)
    else:
        mark = "✔" if answer.compatible else "✖"
        summary = "compatible with every reported node" if answer.compatible else "incompatible with some nodes"
        say(f"{mark} {' '.join(answer.requirements)}: {summary}", markup=False, highlight=False)
    chosen = {c.key for c in answer.chosen_columns()}
    for verdict in answer.verdicts:
        pool = verdict.pool
        mark = "✔" if verdict.compatible else "✖"
        say(f"{mark} {pool.pool_id} ({pool.size} nodes): {pool_label(pool.host)}", markup=False, highlight=False)
        for key, cell in verdict.cells.items():
            if key not in chosen:
                continue
            detail = cell.label or "-"
            codes = ", ".join(dict.fromkeys(f.code for f in cell.findings))
            say(f"    {key}: {cell.status} {detail}{f' ({codes})' if codes else ''}", markup=False, highlight=False)
    if answer.blockers:
        say("Held back by", markup=False)
        for b in answer.blockers:
            unblock = "; ".join(b.unblock) or ", ".join(b.codes)
            say(
                f"    {b.column.key}: {b.pool_id} ({_nodes(b.nodes)}) — {b.kind}: {unblock}",
                markup=False,
                highlight=False,
            )
    for d in answer.drift:
        drivers = ", ".join(f"{v} ×{n}" for v, n in d.drivers)
        say(
            f"Driver drift on {d.hardware}: {drivers}; off {d.expected}: {_nodes(d.drifted)}",
            markup=False,
            highlight=False,
        )
    for f in answer.failed:
        say(f"! {f.node} ({f.source}): {f.error}", markup=False, highlight=False)
    for note in answer.notes:
        say(
            f"{note.severity.value}: {note.message}" + (f" (fix: {note.fix})" if note.fix else ""),
            markup=False,
            highlight=False,
        )
