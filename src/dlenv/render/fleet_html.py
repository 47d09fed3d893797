"""The fleet report as one self-contained HTML file: a pool-by-release (or requirement) grid, styles inline, no
script, no fetch at view time. Every cell carries data-pool, data-column and data-status, which the JSON report
also gives, so a browser test can compare them."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from dlenv.render.fleet_report import fleet_to_dict

if TYPE_CHECKING:
    from dlenv.fleet.answer import FleetAnswer

_STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1b1f24}
table{border-collapse:collapse;margin:12px 0}th,td{border:1px solid #c8ccd0;padding:4px 8px;text-align:left}
th{background:#eef1f4}td.ok{background:#d9f2dc}td.warning{background:#fff1c2}td.incompatible{background:#f9d3d3}
td.unknown{background:#e4e4e4}td.chosen,th.chosen{outline:3px solid #1f6feb}small{color:#57606a}
.verdict-ok{color:#116329}.verdict-no{color:#a40e26}
"""
_MARK = {"ok": "✔", "warning": "▲", "incompatible": "✖", "unknown": "?"}


def render_fleet_html(answer: FleetAnswer) -> str:
    data = fleet_to_dict(answer)
    chosen = {c.key for c in answer.chosen_columns()} if answer.kind == "resolve" else set()
    title = f"dlenv fleet {answer.kind}: {' '.join(answer.requirements)}"
    verdict_class = "verdict-ok" if answer.compatible else "verdict-no"
    stack = "; ".join(f"{s['target']} → {s['release'] or 'none runs on every node'}" for s in data["stack"])
    summary = stack or ("compatible with every reported node" if answer.compatible else "incompatible with some nodes")
    nodes = data["nodes"]
    parts = [
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>",
        # nothing may be fetched when the report is opened: no scripts, images or styles from elsewhere
        "<meta http-equiv=Content-Security-Policy content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        f"<p id=verdict class={verdict_class} data-compatible={str(answer.compatible).lower()}>{escape(summary)}</p>",
        f"<p id=nodes>{nodes['total']} nodes, {nodes['reported']} reported, {nodes['unreported']} unreported, "
        f"{len(data['pools'])} pools · matrix {escape(str(data['matrix_version']))}</p>",
        "<table id=grid><thead><tr><th>pool</th><th>nodes</th>",
    ]
    for column in answer.columns:
        css = " class=chosen" if column.key in chosen else ""
        parts.append(f'<th{css} data-column="{escape(column.key)}">{escape(column.key)}</th>')
    parts.append("</tr></thead><tbody>")
    for pool in data["pools"]:
        parts.append(
            f'<tr data-pool="{escape(pool["id"])}"><th>{escape(pool["id"])}<br><small>{escape(pool["label"])}'
            f"</small></th><td>{pool['node_count']}</td>"
        )
        for column in answer.columns:
            cell = pool["cells"].get(column.key)
            if cell is None:
                parts.append("<td class=unknown>–</td>")
                continue
            status = cell["status"]
            codes = ", ".join(dict.fromkeys(f["code"] for f in cell["findings"]))
            tip = " | ".join(f["message"] for f in cell["findings"])
            css = status + (" chosen" if column.key in chosen else "")
            parts.append(
                f'<td class="{css}" data-pool="{escape(pool["id"])}" data-column="{escape(column.key)}" '
                f'data-status={status} title="{escape(tip)}">{_MARK.get(status, "?")} '
                f"{escape(cell['build'] or '')}<br><small>{escape(codes)}</small></td>"
            )
        parts.append("</tr>")
    parts.append("</tbody></table>")
    if data["blockers"]:
        parts.append("<h2>Held back by</h2><ul id=blockers>")
        for b in data["blockers"]:
            parts.append(
                f"<li>{escape(b['target'])} {escape(str(b['release'] or ''))}: {escape(b['pool'])} "
                f"({b['node_count']} nodes: {escape(', '.join(b['nodes']))}) — {escape(b['kind'])}: "
                f"{escape('; '.join(b['unblock']) or ', '.join(b['codes']))}</li>"
            )
        parts.append("</ul>")
    if data["drift"]:
        parts.append("<h2>Driver drift</h2><ul id=drift>")
        for d in data["drift"]:
            drivers = ", ".join(f"{x['version']} ×{x['node_count']}" for x in d["drivers"])
            parts.append(
                f"<li>{escape(d['hardware'])}: {escape(drivers)}; off {escape(d['expected_driver'])}: "
                f"{escape(', '.join(d['drifted_nodes']))}</li>"
            )
        parts.append("</ul>")
    if data["unreported"] or data["notes"]:
        parts.append("<h2>Not covered</h2><ul id=notes>")
        parts += [
            f"<li>{escape(u['node'])} ({escape(u['source'])}): {escape(u['error'])}</li>" for u in data["unreported"]
        ]
        parts += [f"<li>{escape(n['severity'])}: {escape(n['message'])}</li>" for n in data["notes"]]
        parts.append("</ul>")
    parts.append("</body></html>\n")
    return "".join(parts)
