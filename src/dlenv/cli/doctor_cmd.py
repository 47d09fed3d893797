"""`dlenv doctor`: the host, what is installed, and every problem with its fix.

Every option is declared in dlenv.cli.options, so this module loads without typer (dlenv.cli.fast runs it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dlenv.cli.options import HOST, MATRIX, OUTPUT, MatrixSource, format_option, host_facts, takes

if TYPE_CHECKING:
    from pathlib import Path

    from dlenv.cli.options import OutputTarget
    from dlenv.host.describe import HostSpec


@takes(format_option("text", "json"), OUTPUT, HOST, MATRIX)
def doctor(output_format: str, output: OutputTarget, host_spec: HostSpec, matrix_dir: Path | None) -> int:
    """Probe this host (or read a described one), report it, and explain every problem with its fix.

    Exit codes: 0 no error finding (warnings allowed), 1 at least one error finding, 2 bad input.
    """
    from dlenv.doctor.verdicts import doctor_report
    from dlenv.render.formats import emit

    output.check()
    matrix = MatrixSource(matrix_dir)
    report = doctor_report(host_facts(host_spec, matrix), matrix)
    emit("doctor", output_format, report, output)
    return report.exit_code()
