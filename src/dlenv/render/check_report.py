"""`dlenv check` reports: text (rich), JSON (versioned), GitHub annotations and JUnit XML.

Signal over noise: packages the matrix does not know are one summary line (named with --verbose and in JSON);
GitHub output keeps within what a step shows (10 annotations of each level): errors first, then warnings, then one
summary notice."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from dlenv import __version__
from dlenv.host.model import Finding, Severity

if TYPE_CHECKING:
    from rich.console import Console

    from dlenv.compat.check import CheckReport, RequirementResult
    from dlenv.compat.evaluate import Evaluation
    from dlenv.compat.images import ImageResult
    from dlenv.compat.outcome import CheckOutcome
    from dlenv.compat.sources.reading import Reading

CHECK_SCHEMA_VERSION = 2
"""2: results hold only what the matrix judges; not_in_matrix, skipped and resolution added; notes per result."""
GITHUB_PER_LEVEL = 10
"""GitHub shows at most 10 annotations of each level per step."""


def _platform_key(report: CheckReport) -> str:
    return report.host.platform.key


def _problem(finding: Finding) -> dict[str, Any]:
    return {"code": finding.code, "severity": finding.severity.value, "message": finding.message, "fix": finding.fix}


def _build(evaluation: Evaluation, platform_key: str) -> dict[str, Any]:
    candidate = evaluation.candidate
    return {
        "package": candidate.package,
        "release": candidate.release.version,
        "build": candidate.build.build,
        "accelerator": candidate.build.accelerator,
        "cuda": str(candidate.cuda) if candidate.cuda else None,
        "index_url": candidate.build.index_url,
        "install": candidate.install_line(platform_key),
        "sources": list(candidate.build.source),
    }


def _not_in_matrix(result: RequirementResult) -> bool:
    return result.subject is None and all(finding.code == "not_in_matrix" for finding in result.findings)


def _judged(report: CheckReport) -> list[RequirementResult]:
    return [result for result in report.results if not _not_in_matrix(result)]


def _unknown(report: CheckReport) -> list[RequirementResult]:
    return [result for result in report.results if _not_in_matrix(result)]


def _result(result: RequirementResult, platform_key: str) -> dict[str, Any]:
    return {
        "requirement": result.requirement.text,
        "origin": result.requirement.origin,
        "judged_as": str(result.requirement.requirement),
        "notes": list(result.requirement.notes),
        "framework": result.subject,
        "status": result.status,
        "compatible": result.compatible,
        "evaluated": _build(result.evaluation, platform_key) if result.evaluation else None,
        "problems": [_problem(finding) for finding in result.findings],
        "alternatives": [_build(alternative, platform_key) for alternative in result.alternatives],
    }


def _image(result: ImageResult) -> dict[str, Any]:
    return {
        "source": result.requirement.source,
        "image": result.requirement.image,
        "require_cuda": result.requirement.require,
        "compatible": result.compatible,
        "problems": [_problem(finding) for finding in result.findings],
    }


def _reading(reading: Reading | None) -> dict[str, Any]:
    if reading is None:
        return {"skipped": [], "resolution": {"resolver": None, "problem": None, "unresolved": []}}
    return {
        "skipped": [{"origin": s.origin, "text": s.text, "why": s.why} for s in reading.skipped],
        "resolution": {
            "resolver": reading.resolver,
            "problem": reading.resolve_problem,
            "unresolved": list(reading.unresolved),
        },
    }


def check_to_json(outcome: CheckOutcome) -> str:
    report, images, reading = outcome.report, outcome.images, outcome.reading
    platform_key = _platform_key(report)
    document = {
        "schema_version": CHECK_SCHEMA_VERSION,
        "dlenv_version": __version__,
        "matrix_version": report.matrix_version,
        "compatible": outcome.compatible,
        "host": {
            "origin": report.host.origin,
            "platform": platform_key,
            "python": report.host.platform.python_version,
            "driver": report.host.driver.version if report.host.driver else None,
            "max_cuda": report.host.driver.max_cuda if report.host.driver else None,
            "gpus": [gpu.compute_capability for gpu in report.host.gpus],
        },
        "results": [_result(result, platform_key) for result in _judged(report)],
        "not_in_matrix": [
            {"package": r.findings[0].subject, "requirement": r.requirement.text, "origin": r.requirement.origin}
            for r in _unknown(report)
        ],
        "conflicts": [_problem(finding) for finding in report.conflicts],
        "images": [_image(image) for image in images],
        **_reading(reading),
    }
    return json.dumps(document, indent=2) + "\n"


def _all_findings(report: CheckReport, images: tuple[ImageResult, ...]) -> list[tuple[str, Finding]]:
    found = [(result.requirement.origin, finding) for result in _judged(report) for finding in result.findings]
    found += [("environment", finding) for finding in report.conflicts]
    found += [(image.requirement.source, finding) for image in images for finding in image.findings]
    return found


def _escape(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _summary(outcome: CheckOutcome) -> str:
    report, images = outcome.report, outcome.images
    verdict = "compatible" if outcome.compatible else "incompatible"
    unknown = len(_unknown(report))
    outside = f"; {unknown} not in the matrix, not checked" if unknown else ""
    return f"dlenv check: {verdict} ({len(_judged(report))} requirement(s) judged, {len(images)} image(s){outside})"


def check_to_github(outcome: CheckOutcome) -> str:
    """GitHub Actions workflow commands, within what a step shows: errors first, then warnings (10 of each, file
    and line where the origin names them), then one summary notice that counts what was left out."""
    lines = []
    level = {Severity.ERROR: "error", Severity.WARNING: "warning"}
    found = _all_findings(outcome.report, outcome.images)
    left_out = 0
    for severity in (Severity.ERROR, Severity.WARNING):
        of_level = [(origin, finding) for origin, finding in found if finding.severity is severity]
        left_out += max(0, len(of_level) - GITHUB_PER_LEVEL)
        for origin, finding in of_level[:GITHUB_PER_LEVEL]:
            path, _, line = origin.rpartition(":")
            parameters = [f"file={path}", f"line={line}"] if path and line.isdigit() else []
            parameters.append(f"title=dlenv {finding.code}")
            text = finding.message + (f" Fix: {finding.fix}" if finding.fix else "")
            lines.append(f"::{level[severity]} {','.join(parameters)}::{_escape(text)}")
    summary = _summary(outcome)
    if left_out:
        summary += f"; {left_out} more problem(s) not shown here: run dlenv check --format json"
    lines.append(f"::notice title=dlenv check::{_escape(summary)}")
    return "\n".join(lines) + "\n"


def check_to_junit(outcome: CheckOutcome) -> str:
    report, images = outcome.report, outcome.images
    from xml.etree import ElementTree  # JUnit only: the other formats need no XML

    suite = ElementTree.Element("testsuite", name="dlenv check")
    failures = 0
    cases: list[tuple[str, list[Finding]]] = [(r.requirement.text, list(r.findings)) for r in report.results]
    cases += [("co-installation", list(report.conflicts))]
    cases += [(image.requirement.source, list(image.findings)) for image in images]
    for name, findings in cases:
        case = ElementTree.SubElement(suite, "testcase", classname="dlenv.check", name=name)
        errors = [finding for finding in findings if finding.severity is Severity.ERROR]
        if errors:
            failures += 1
            failure = ElementTree.SubElement(case, "failure", type=errors[0].code, message=errors[0].message)
            failure.text = "\n".join(f"{f.code}: {f.message} Fix: {f.fix or '-'}" for f in errors)
        warnings = [finding for finding in findings if finding.severity is Severity.WARNING]
        if warnings:
            ElementTree.SubElement(case, "system-out").text = "\n".join(f"{f.code}: {f.message}" for f in warnings)
    suite.set("tests", str(len(cases)))
    suite.set("failures", str(failures))
    return ElementTree.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"


_MARK = {"ok": ("✔", "green"), "warning": ("!", "yellow"), "incompatible": ("✖", "bold red"), "unknown": ("?", "dim")}


def render_check_text(
    console: Console,
    outcome: CheckOutcome,
    *,
    verbose: bool = False,
) -> None:
    report, images, reading = outcome.report, outcome.images, outcome.reading
    from rich.markup import escape

    from dlenv.render.host_text import render_findings

    platform_key = _platform_key(report)
    for result in _judged(report):
        mark, style = _MARK[result.status]
        built = ""
        if result.evaluation is not None:
            candidate = result.evaluation.candidate
            cuda = f", CUDA {candidate.cuda}" if candidate.cuda else ""
            built = escape(f" → {candidate.label} ({candidate.build.accelerator}{cuda})")
        console.print(
            f"[{style}]{mark} {escape(result.requirement.text)}[/]{built}  ({result.status})", highlight=False
        )
        if verbose:
            for note in result.requirement.notes:
                console.print(f"    [dim]· {escape(note)} ({escape(result.requirement.origin)})[/]", highlight=False)
        render_findings(console, list(result.findings), indent=4, empty=None)
        for alternative in result.alternatives:
            candidate = alternative.candidate
            console.print(
                f"    works instead: {candidate.label} — {candidate.install_line(platform_key)}",
                highlight=False,
                markup=False,
            )
    if report.conflicts:
        console.print("[bold]Co-installation[/]")
        render_findings(console, list(report.conflicts), indent=4, empty=None)
    for image in images:
        mark, style = _MARK["ok" if image.compatible else "incompatible"]
        console.print(f"[{style}]{mark} image {escape(image.requirement.source)}[/]", highlight=False)
        render_findings(console, list(image.findings), indent=4, empty=None)
    _render_reading(console, report, reading, verbose)
    console.print("[bold green]compatible[/]" if outcome.compatible else "[bold red]incompatible[/]")


def _render_reading(console: Console, report: CheckReport, reading: Reading | None, verbose: bool) -> None:
    from rich.markup import escape

    unknown = _unknown(report)
    if unknown:
        names = ", ".join(sorted({str(r.findings[0].subject) for r in unknown}))
        tail = f": {names}" if verbose else " (--verbose names them)"
        console.print(
            f"[dim]{len(unknown)} package(s) not in the compatibility matrix were not checked{escape(tail)}[/]",
            highlight=False,
        )
    if reading is None:
        return
    if reading.resolver:
        console.print(f"[dim]ranges resolved for the target by {escape(reading.resolver)}[/]", highlight=False)
    elif reading.unresolved:
        console.print(
            f"[yellow]! {len(reading.unresolved)} range(s) judged unresolved ({escape(reading.resolve_problem or '')})"
            f": {escape('; '.join(reading.unresolved))}[/]",
            highlight=False,
        )
    if reading.skipped:
        if verbose:
            for skipped in reading.skipped:
                console.print(
                    f"[dim]skipped {escape(skipped.origin)}: {escape(skipped.text)} — {escape(skipped.why)}[/]",
                    highlight=False,
                )
        else:
            console.print(f"[dim]{len(reading.skipped)} line(s) skipped (--verbose says which and why)[/]")
