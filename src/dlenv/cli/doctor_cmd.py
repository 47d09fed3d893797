"""`dlenv doctor`: the host, what is installed, and every problem with its fix."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer

from dlenv.cli.host_options import (
    ArchOption,
    DriverOption,
    GpuOption,
    HostFileOption,
    MatrixDirOption,
    MatrixSource,
    OsOption,
    PythonOption,
    host_from_options,
)
from dlenv.errors import EXIT_OK, EXIT_PROBLEMS


class DoctorFormat(str, Enum):
    text = "text"
    json = "json"


def doctor(
    output_format: Annotated[DoctorFormat, typer.Option("--format", "-f", help="Output format.")] = DoctorFormat.text,
    host_file: HostFileOption = None,
    driver: DriverOption = None,
    gpu: GpuOption = None,
    python: PythonOption = None,
    os_name: OsOption = None,
    arch: ArchOption = None,
    matrix_dir: MatrixDirOption = None,
) -> None:
    """Probe this host (or read a described one), report it, and explain every problem with its fix.

    Exit codes: 0 no error finding (warnings allowed), 1 at least one error finding, 2 bad input.
    """
    from dlenv.doctor.diagnose import has_errors
    from dlenv.doctor.verdicts import doctor_report

    matrix = MatrixSource(matrix_dir)
    host = host_from_options(host_file, driver, gpu, python, os_name, arch, matrix)
    report = doctor_report(host, matrix)
    if output_format is DoctorFormat.json:
        from dlenv.output import write_output
        from dlenv.render.host_json import doctor_to_json

        write_output(doctor_to_json(report), None)
    else:
        from dlenv.render.console import make_console
        from dlenv.render.host_text import render_doctor_text

        render_doctor_text(make_console(), report)
    raise typer.Exit(EXIT_PROBLEMS if has_errors(report.findings) else EXIT_OK)
