"""The doctor report as text: host, driver, GPUs, toolkits, libraries, frameworks, then findings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dlenv.host.model import Finding, HostFacts, Severity

if TYPE_CHECKING:
    from collections.abc import Iterable

    from rich.console import Console
    from rich.table import Table

    from dlenv.doctor.verdicts import DoctorReport

_MARKS = {Severity.ERROR: ("✖", "bold red"), Severity.WARNING: ("!", "yellow"), Severity.INFO: ("i", "cyan")}


def _origin(host: HostFacts) -> str:
    if host.origin.startswith("file:"):
        return f"host read from {host.origin[5:]}"
    return {"probe": "this machine", "flags": "host described by flags"}.get(host.origin, host.origin)


def _table(*columns: str) -> Table:
    from rich import box
    from rich.table import Table

    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold")
    for column in columns:
        table.add_column(column)
    return table


def _cell(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)


def _platform_lines(host: HostFacts) -> list[tuple[str, str]]:
    platform = host.platform
    where = [platform.os_name or platform.system, platform.arch]
    if platform.glibc:
        where.append(f"glibc {platform.glibc}")
    if platform.kernel:
        where.append(f"kernel {platform.kernel}")
    if platform.container:
        where.append(f"{platform.container} container")
    if platform.wsl:
        where.append("WSL2")
    python = " ".join(part for part in (platform.python_implementation, platform.python_version) if part)
    return [("Platform", " · ".join(where)), ("Python", python or "–")]


def _driver_line(host: HostFacts) -> str:
    driver = host.driver
    if driver is None:
        # A driver that hung or failed while probed is there but unread: "none found" would contradict the finding.
        failed = [problem.code for problem in host.problems if problem.code != "nvml_library_not_found"]
        return f"not read: the probe failed ({failed[0]}; see the findings below)" if failed else "none found"
    parts = [driver.version or "version unknown"]
    if driver.max_cuda:
        parts.append(f"supports CUDA ≤ {driver.max_cuda} (the driver's maximum, not a toolkit)")
    if driver.nvml_version:
        parts.append(f"NVML {driver.nvml_version}")
    if driver.kernel_module_version and driver.kernel_module_version != driver.version:
        parts.append(f"kernel module {driver.kernel_module_version}")
    if driver.library_version and driver.library_version != driver.version:
        parts.append(f"libnvidia-ml {driver.library_version}")
    parts.append(f"via {driver.source}")
    return " · ".join(parts)


def _gpu_table(host: HostFacts) -> Table:
    table = _table("#", "GPU", "CC", "Architecture", "Memory", "Brand", "MIG", "Bus id", "Persistence")
    for gpu in host.gpus:
        mig = _cell(gpu.mig_enabled)
        if gpu.mig_enabled:
            mig = f"on, {len(gpu.mig_devices)} instance(s)"
        memory = f"{gpu.memory_total_mib / 1024:.0f} GiB" if gpu.memory_total_mib else "–"
        name = gpu.name or "–"
        if gpu.error:
            name = f"{name} ({gpu.error})"
        table.add_row(
            str(gpu.index),
            name,
            _cell(gpu.compute_capability),
            _cell(gpu.architecture),
            memory,
            _cell(gpu.brand),
            mig,
            _cell(gpu.pci_bus_id),
            _cell(gpu.persistence_mode),
        )
        for mig_device in gpu.mig_devices:
            mig_memory = f"{mig_device.memory_total_mib / 1024:.0f} GiB" if mig_device.memory_total_mib else "–"
            table.add_row(
                f"{gpu.index}/{mig_device.index}",
                f"  MIG {mig_device.name or ''}".rstrip(),
                "",
                "",
                mig_memory,
                "",
                "",
                "",
                "",
            )
    return table


def _sections(host: HostFacts, verdicts: dict[str, str]) -> Iterable[tuple[str, Table]]:
    if host.gpus:
        yield "GPUs", _gpu_table(host)
    if host.toolkits:
        table = _table("CUDA toolkit", "Path", "Version from", "Found via")
        for toolkit in host.toolkits:
            table.add_row(toolkit.version, toolkit.path, toolkit.version_source, ", ".join(toolkit.found_via))
        yield "CUDA toolkits", table
    if host.libraries:
        table = _table("Library", "Version", "Origin", "Location")
        for library in host.libraries:
            table.add_row(library.name, library.version, library.origin, library.location)
        yield "CUDA libraries", table
    if host.frameworks:
        columns = ("Framework", "Version", "Build", "CUDA", "Origin", *(("Verdict",) if verdicts else ()))
        table = _table(*columns)
        for framework in host.frameworks:
            verdict = (verdicts.get(framework.name, "not in matrix"),) if verdicts else ()
            table.add_row(
                framework.name,
                framework.version,
                _cell(framework.local_version),
                _cell(framework.cuda),
                framework.origin,
                *verdict,
            )
        yield "Frameworks", table
    if host.environment:
        table = _table("Variable", "Value")
        for name, value in host.environment:
            table.add_row(name, value if len(value) <= 100 else value[:97] + "…")
        yield "Environment", table


def render_findings(
    console: Console, findings: list[Finding], *, indent: int = 0, empty: str | None = "✔ No problems found."
) -> None:
    from rich.text import Text

    if not findings and empty:
        console.print(Text(" " * indent + empty, style="green"))
    for finding in findings:
        mark, style = _MARKS[finding.severity]
        line = Text(f"{' ' * indent}{mark} {finding.severity.value}: ", style=style)
        line.append(finding.message)
        line.append(f" [{finding.code}]", style="dim")
        console.print(line)
        if finding.fix:
            console.print(Text(f"{' ' * (indent + 4)}fix: ", style="bold") + Text(finding.fix))


def render_doctor_text(console: Console, report: DoctorReport) -> None:
    from rich.text import Text

    host, findings = report.host, report.findings
    verdicts = {verdict.requirement.name: verdict.status for verdict in report.verdicts}
    for companion in report.companions:
        verdicts.setdefault(companion.name, f"{companion.status} (with {companion.primary.name})")
    console.print(Text(f"dlenv doctor — {_origin(host)}", style="bold"))
    summary = _table("", "")
    summary.show_header = False
    for label, value in [
        *_platform_lines(host),
        ("Driver", _driver_line(host)),
        ("GPUs", str(len(host.gpus)) if host.gpus else "none found"),
    ]:
        summary.add_row(Text(label, style="bold"), value)
    console.print(summary)
    for title, table in _sections(host, verdicts):
        console.print(Text(title, style="bold underline"))
        console.print(table)
    for override in host.overrides:
        console.print(Text(f"override: {override.name}={override.value} — {override.effect}", style="cyan"))
    console.print(Text("Findings", style="bold underline"))
    render_findings(console, findings)
    errors = sum(finding.severity is Severity.ERROR for finding in findings)
    warnings = sum(finding.severity is Severity.WARNING for finding in findings)
    console.print(Text(f"{errors} error(s), {warnings} warning(s)", style="bold"))


def render_probe_text(console: Console, host: HostFacts) -> None:
    """`dlenv probe --format text`: the host as doctor shows it, without findings or verdicts."""
    from dlenv.doctor.verdicts import DoctorReport

    render_doctor_text(console, DoctorReport(host, [], ()))
