"""`dlenv probe`: the host facts as JSON, to check another machine from this one (`--host FILE`).

Every option is declared in dlenv.cli.options, so this module loads without typer (dlenv.cli.fast runs it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dlenv.cli.options import HOST, OUTPUT, format_option, host_facts, takes

if TYPE_CHECKING:
    from dlenv.cli.options import OutputTarget
    from dlenv.host.describe import HostSpec


@takes(format_option("json", "text"), OUTPUT, HOST)
def probe(output_format: str, output: OutputTarget, host_spec: HostSpec) -> int:
    """Write this host's facts (driver, GPUs, CUDA, libraries, frameworks, platform) with a schema version."""
    from dlenv.render.formats import emit

    output.check()
    emit("probe", output_format, host_facts(host_spec), output)
    return 0
