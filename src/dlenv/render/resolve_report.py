"""`dlenv resolve` reports: text with install lines (and --explain), and versioned JSON."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from dlenv import __version__

if TYPE_CHECKING:
    from rich.console import Console

    from dlenv.compat.resolve import Resolution

RESOLVE_SCHEMA_VERSION = 1


def _platform_key(resolution: Resolution) -> str:
    return resolution.host.platform.key


def resolve_to_json(resolution: Resolution) -> str:
    platform_key = _platform_key(resolution)
    targets = []
    for target in resolution.targets:
        chosen = target.chosen
        targets.append(
            {
                "requirement": target.requirement.text,
                "resolved": chosen is not None,
                "package": chosen.candidate.package if chosen else None,
                "release": chosen.candidate.release.version if chosen else None,
                "build": chosen.candidate.build.build if chosen else None,
                "cuda": str(chosen.candidate.cuda) if chosen and chosen.candidate.cuda else None,
                "install": chosen.candidate.install_line(platform_key) if chosen else None,
                "warnings": [
                    {"code": f.code, "message": f.message, "fix": f.fix}
                    for f in (chosen.findings if chosen else ())
                    if f.severity.value == "warning"
                ],
                "rejected_newer": [
                    {
                        "release": r.release,
                        "runs": r.runs,
                        "reasons": [{"code": f.code, "message": f.message} for f in r.reasons],
                    }
                    for r in target.rejected_newer
                ],
            }
        )
    document: dict[str, Any] = {
        "schema_version": RESOLVE_SCHEMA_VERSION,
        "dlenv_version": __version__,
        "matrix_version": resolution.matrix_version,
        "resolved": resolution.resolved,
        "platform": platform_key,
        "targets": targets,
        "conflicts": [
            {"code": f.code, "severity": f.severity.value, "message": f.message} for f in resolution.conflicts
        ],
    }
    return json.dumps(document, indent=2) + "\n"


def render_resolve_text(console: Console, resolution: Resolution, explain: bool) -> None:
    from rich.markup import escape

    from dlenv.render.host_text import render_findings

    platform_key = _platform_key(resolution)
    for target in resolution.targets:
        chosen = target.chosen
        if chosen is None:
            console.print(f"[bold red]✖ {escape(target.requirement.text)}: no release and build works on this host[/]")
        else:
            candidate = chosen.candidate
            cuda = f" (CUDA {candidate.cuda})" if candidate.cuda else ""
            console.print(
                f"[bold green]✔ {escape(target.requirement.text)}[/] → {escape(candidate.label)}{cuda}", highlight=False
            )
            console.print(f"    {candidate.install_line(platform_key)}", highlight=False, markup=False)
            render_findings(
                console, [f for f in chosen.findings if f.severity.value == "warning"], indent=4, empty=None
            )
        if explain:
            for rejection in target.rejected_newer:
                reasons = "; ".join(f"{f.code}: {f.message.rstrip('.')}" for f in rejection.reasons)
                mark = "↓" if rejection.runs else "✗"
                console.print(f"    [dim]{mark} {rejection.release}[/dim] — {escape(reasons)}", highlight=False)
    if resolution.conflicts:
        console.print("[bold]Co-installation[/]")
        render_findings(console, list(resolution.conflicts), indent=4, empty=None)
