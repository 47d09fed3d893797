"""Names vulture cannot see used: each is reached indirectly (by a framework, by name, through JSON) or is a field of a
record that mirrors a published format. Read by `.ci/run` (`vulture src scripts vulture_whitelist.py`); never run.

A new entry says how the name is used. Dead code is removed, not listed here.
"""

from __future__ import annotations

import io
import types
import zipfile

import requests
from rich.table import Table

from dlenv import cli, matrix
from dlenv.cli import doctor_cmd, env_cmd, fleet_cmd, lock_cmd, matrix_cmd
from dlenv.compat.sources.model import RequirementInput
from dlenv.findings import CODES
from dlenv.fleet.manifests import KUBERNETES_VERSIONS
from dlenv.host.model import Framework
from dlenv.index import simple
from dlenv.matrix import model
from dlenv.records import fields
from dlenv.render import check_report, fleet_html, fleet_report, host_json, host_text, resolve_report
from dlenv.render import matrix as matrix_render


class fields_of:  # lower case: it reads as the field access it stands for
    """`fields_of(Record).name`: vulture sees the attribute used; running this file checks the field exists."""

    def __init__(self, record: type) -> None:
        self._names = {field.name for field in fields(record)}
        self._record = record

    def __getattr__(self, name: str) -> str:
        assert name in self._names, f"{self._record.__qualname__} has no field {name!r}"
        return name


_ = [
    # renderers reached by name through dlenv.render.formats.RENDERERS (tests/unit/cli/test_formats.py checks them)
    check_report.check_to_json,
    check_report.check_to_github,
    check_report.check_to_junit,
    check_report.render_check_text,
    fleet_html.render_fleet_html,
    fleet_report.render_fleet_text,
    host_json.doctor_to_json,
    host_text.render_probe_text,
    resolve_report.resolve_to_json,
    resolve_report.render_resolve_text,
    matrix_render.render_show,
    matrix_render.show_to_json,
    matrix_render.render_stats,
    matrix_render.stats_to_json,
    matrix_render.render_diff,
    matrix_render.diff_to_json,
    # PEP 562 module __getattr__: Python calls it for `dlenv.cli.app` and the lazy re-exports of dlenv.matrix
    cli.__getattr__,
    matrix.__getattr__,
    # typer commands: registered by name in dlenv.cli.COMMANDS, or by @app.command on a group
    doctor_cmd.doctor,
    fleet_cmd.check_fleet,
    fleet_cmd.resolve_fleet,
    matrix_cmd.validate,
    # set on the command dlenv.cli.typer_app builds from an option group (main's CLI work): typer reads the
    # expanded signature through inspect.signature and typing.get_type_hints
    types.SimpleNamespace(__signature__=None).__signature__,
    types.SimpleNamespace(__annotations__={}).__annotations__,
    # members of the Enums typer offers as choices (--format pixi, --format pylock, manifest job)
    env_cmd.EnvFormat.pixi,
    lock_cmd.LockFormat.pylock,
    fleet_cmd.ManifestKind.job,
    # io.RawIOBase protocol: zipfile reads a wheel's METADATA over HTTP ranges through these
    simple._RangeReader.readable,
    simple._RangeReader.seekable,
    simple._RangeReader.tell,
    simple._RangeReader.seek,
    simple._RangeReader.readinto,
    io.RawIOBase,
    # set for requests: Response.content returns what the bounded streaming read collected
    requests.Response()._content,
    # read by the libraries that own them: zipfile writes a member's mode, rich hides a table's header row
    zipfile.ZipInfo().external_attr,
    Table().show_header,
    # record fields written out by dlenv.records.fields(): `dlenv probe` JSON (host.serialize) and `dlenv matrix show`
    # JSON (matrix.queries) carry every field of the schema they mirror
    fields_of(Framework).cuda_requirements,
    fields_of(model.CudaMajor).disagreement,
    fields_of(model.CudaToolkit).disagreement,
    fields_of(model.FrameworkRelease).disagreement,
    fields_of(model.FrameworkBuild).disagreement,
    fields_of(model.FrameworkBuild).rocm,
    # fields of published formats, kept as parsed and asserted by the tests of their readers: PEP 691/700 file
    # records (tests/unit/index/test_simple.py), a requirement line's -e flag (tests/unit/compat/test_sources.py)
    fields_of(simple.IndexFile).yanked_reason,
    fields_of(simple.IndexFile).core_metadata,
    fields_of(RequirementInput).editable,
    # data the tests validate generated files against: the code registry (tests/unit/test_codes.py) and the
    # Kubernetes versions the manifests are checked with (tests/unit/fleet/test_manifests.py)
    CODES,
    KUBERNETES_VERSIONS,
]
