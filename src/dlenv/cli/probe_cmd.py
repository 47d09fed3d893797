"""`dlenv probe`: the host facts as JSON, to check another machine from this one (`--host FILE`)."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer

from dlenv.cli.host_options import (
    ArchOption,
    DriverOption,
    GpuOption,
    HostFileOption,
    OsOption,
    PythonOption,
    host_from_options,
)


class ProbeFormat(str, Enum):
    json = "json"
    text = "text"


def probe(
    output_format: Annotated[ProbeFormat, typer.Option("--format", "-f", help="Output format.")] = ProbeFormat.json,
    output: Annotated[str | None, typer.Option("--output", "-o", help="Write to FILE ('-': stdout).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing output file.")] = False,
    host_file: HostFileOption = None,
    driver: DriverOption = None,
    gpu: GpuOption = None,
    python: PythonOption = None,
    os_name: OsOption = None,
    arch: ArchOption = None,
) -> None:
    """Write this host's facts (driver, GPUs, CUDA, libraries, frameworks, platform) with a schema version."""
    from dlenv.output import write_output

    host = host_from_options(host_file, driver, gpu, python, os_name, arch)
    if output_format is ProbeFormat.json:
        from dlenv.host.serialize import host_to_json

        write_output(host_to_json(host), output, force=force)
        return
    import io

    from dlenv.doctor.verdicts import DoctorReport
    from dlenv.render.console import make_console
    from dlenv.render.host_text import render_doctor_text

    buffer = io.StringIO()
    render_doctor_text(make_console(buffer), DoctorReport(host, [], ()))
    write_output(buffer.getvalue(), output, force=force)
