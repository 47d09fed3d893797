"""Which renderer prints which result in which --format: one table, read by every command that prints a result.

A text renderer draws on a rich console (stdout, or the -o file as plain text) and may take the command's display
options (check's --verbose, resolve's --explain); the others turn the value into text and import no rich.
tests/unit/cli/test_formats.py fails on a --format choice of a command with no renderer here, or an entry whose
function does not exist. Modules are named, not imported, so a run loads only the renderer it uses.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from dlenv.cli.options import OutputTarget


class Renderer(NamedTuple):
    module: str
    function: str
    draws: bool
    """True: function(console, value, **options) draws on a console; False: function(value) returns the text."""


RENDERERS: dict[tuple[str, str], Renderer] = {
    ("doctor", "text"): Renderer("dlenv.render.host_text", "render_doctor_text", draws=True),
    ("doctor", "json"): Renderer("dlenv.render.host_json", "doctor_to_json", draws=False),
    ("probe", "text"): Renderer("dlenv.render.host_text", "render_probe_text", draws=True),
    ("probe", "json"): Renderer("dlenv.host.serialize", "host_to_json", draws=False),
    ("check", "text"): Renderer("dlenv.render.check_report", "render_check_text", draws=True),
    ("check", "json"): Renderer("dlenv.render.check_report", "check_to_json", draws=False),
    ("check", "github"): Renderer("dlenv.render.check_report", "check_to_github", draws=False),
    ("check", "junit"): Renderer("dlenv.render.check_report", "check_to_junit", draws=False),
    ("resolve", "text"): Renderer("dlenv.render.resolve_report", "render_resolve_text", draws=True),
    ("resolve", "json"): Renderer("dlenv.render.resolve_report", "resolve_to_json", draws=False),
    ("fleet", "text"): Renderer("dlenv.render.fleet_report", "render_fleet_text", draws=True),
    ("fleet", "json"): Renderer("dlenv.render.fleet_report", "fleet_to_json", draws=False),
    ("fleet", "html"): Renderer("dlenv.render.fleet_html", "render_fleet_html", draws=False),
    ("matrix show", "text"): Renderer("dlenv.render.matrix", "render_show", draws=True),
    ("matrix show", "json"): Renderer("dlenv.render.matrix", "show_to_json", draws=False),
    ("matrix stats", "text"): Renderer("dlenv.render.matrix", "render_stats", draws=True),
    ("matrix stats", "json"): Renderer("dlenv.render.matrix", "stats_to_json", draws=False),
    ("matrix diff", "text"): Renderer("dlenv.render.matrix", "render_diff", draws=True),
    ("matrix diff", "json"): Renderer("dlenv.render.matrix", "diff_to_json", draws=False),
}


def emit(kind: str, output_format: str, value: Any, output: OutputTarget, **options: Any) -> None:
    """Print `value` (the result of command `kind`) in `output_format` to stdout or the -o file."""
    renderer = RENDERERS[(kind, output_format)]
    function = getattr(importlib.import_module(renderer.module), renderer.function)
    if renderer.draws:
        from dlenv.render.console import render_to

        render_to(output, lambda console: function(console, value, **options))
    else:
        output.write(function(value))
