"""Every --format choice of every command that prints a result has a renderer (dlenv.render.formats), and every
renderer named there exists."""

from __future__ import annotations

import importlib

from dlenv.cli.check_cmd import check
from dlenv.cli.doctor_cmd import doctor
from dlenv.cli.fleet_cmd import AnswerFormat
from dlenv.cli.matrix_cmd import MatrixFormat
from dlenv.cli.options import groups_of
from dlenv.cli.probe_cmd import probe
from dlenv.cli.resolve_cmd import ResolveFormat
from dlenv.render.formats import RENDERERS


def _declared(function: object) -> tuple[str, ...]:
    (option,) = [o for g in groups_of(function) for o in g.options if o.name == "output_format"]  # type: ignore[arg-type]
    return option.choices


FORMATS = {
    "doctor": _declared(doctor),
    "probe": _declared(probe),
    "check": _declared(check),
    "resolve": tuple(member.value for member in ResolveFormat),
    "fleet": tuple(member.value for member in AnswerFormat),
    **{f"matrix {command}": tuple(member.value for member in MatrixFormat) for command in ("show", "stats", "diff")},
}


def test_every_format_of_every_command_has_a_renderer() -> None:
    wanted = {(kind, choice) for kind, choices in FORMATS.items() for choice in choices}
    assert wanted == set(RENDERERS)


def test_every_renderer_exists() -> None:
    for renderer in RENDERERS.values():
        assert callable(getattr(importlib.import_module(renderer.module), renderer.function)), renderer
