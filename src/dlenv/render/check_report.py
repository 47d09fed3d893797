"""`dlenv check` reports: text (rich), JSON (versioned), GitHub annotations and JUnit XML."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree

from dlenv import __version__
from dlenv.host.model import Finding, Severity

if TYPE_CHECKING:
    from rich.console import Console

    from dlenv.compat.check import CheckReport, RequirementResult
    from dlenv.compat.evaluate import Evaluation
    from dlenv.compat.images import ImageResult

CHECK_SCHEMA_VERSION = 1


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


def _result(result: RequirementResult, platform_key: str) -> dict[str, Any]:
    return {
        "requirement": result.requirement.text,
        "origin": result.requirement.origin,
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


def check_to_json(report: CheckReport, images: list[ImageResult]) -> str:
    platform_key = _platform_key(report)
    document = {
        "schema_version": CHECK_SCHEMA_VERSION,
        "dlenv_version": __version__,
        "matrix_version": report.matrix_version,
        "compatible": report.compatible and all(image.compatible for image in images),
        "host": {
            "origin": report.host.origin,
            "platform": platform_key,
            "python": report.host.platform.python_version,
            "driver": report.host.driver.version if report.host.driver else None,
            "max_cuda": report.host.driver.max_cuda if report.host.driver else None,
            "gpus": [gpu.compute_capability for gpu in report.host.gpus],
        },
        "results": [_result(result, platform_key) for result in report.results],
        "conflicts": [_problem(finding) for finding in report.conflicts],
        "images": [_image(image) for image in images],
    }
    return json.dumps(document, indent=2) + "\n"


def _all_findings(report: CheckReport, images: list[ImageResult]) -> list[tuple[str, Finding]]:
    found = [(result.requirement.origin, finding) for result in report.results for finding in result.findings]
    found += [("environment", finding) for finding in report.conflicts]
    found += [(image.requirement.source, finding) for image in images for finding in image.findings]
    return found


def _escape(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def check_to_github(report: CheckReport, images: list[ImageResult]) -> str:
    """GitHub Actions workflow commands: one annotation per problem, file and line where the origin names them."""
    lines = []
    level = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}
    for origin, finding in _all_findings(report, images):
        path, _, line = origin.rpartition(":")
        parameters = [f"file={path}", f"line={line}"] if path and line.isdigit() else []
        parameters.append(f"title=dlenv {finding.code}")
        text = finding.message + (f" Fix: {finding.fix}" if finding.fix else "")
        lines.append(f"::{level[finding.severity]} {','.join(parameters)}::{_escape(text)}")
    verdict = "compatible" if report.compatible and all(i.compatible for i in images) else "incompatible"
    lines.append(f"dlenv check: {verdict} ({len(report.results)} requirement(s), {len(images)} image(s))")
    return "\n".join(lines) + "\n"


def check_to_junit(report: CheckReport, images: list[ImageResult]) -> str:
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


def render_check_text(console: Console, report: CheckReport, images: list[ImageResult]) -> None:
    from rich.markup import escape

    from dlenv.render.host_text import render_findings

    platform_key = _platform_key(report)
    for result in report.results:
        mark, style = _MARK[result.status]
        built = ""
        if result.evaluation is not None:
            candidate = result.evaluation.candidate
            cuda = f", CUDA {candidate.cuda}" if candidate.cuda else ""
            built = escape(f" → {candidate.label} ({candidate.build.accelerator}{cuda})")
        console.print(
            f"[{style}]{mark} {escape(result.requirement.text)}[/]{built}  ({result.status})", highlight=False
        )
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
    compatible = report.compatible and all(image.compatible for image in images)
    console.print("[bold green]compatible[/]" if compatible else "[bold red]incompatible[/]")
