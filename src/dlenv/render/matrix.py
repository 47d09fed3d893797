"""`dlenv matrix` output: rich tables for people, sorted JSON with a schema_version for programs."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from dlenv import records

if TYPE_CHECKING:
    from rich.console import Console

    from dlenv.errors import InputError
    from dlenv.matrix.queries import MatrixDiff, MatrixStats, ShowResult

MATRIX_JSON_SCHEMA_VERSION = 1

# Columns of `show` tables per result kind: (heading, field). Other fields appear in --format json.
_SHOW_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "framework": (("release", "version"), ("released", "released"), ("python", "python"), ("builds", "builds")),
    "framework-release": (
        ("build", "build"),
        ("accelerator", "accelerator"),
        ("cuda", "cuda"),
        ("cuda range", "cuda_range"),
        ("cudnn", "cudnn"),
        ("sass", "sass"),
        ("ptx", "ptx"),
        ("platforms", "platforms"),
        ("index", "index_url"),
    ),
    "toolkits": (("version", "version"), ("released", "released"), ("min driver", "min_driver"), ("sass", "sass")),
    "architectures": (
        ("architecture", "name"),
        ("compute capabilities", "compute_capabilities"),
        ("last driver branch", "last_driver_branch"),
    ),
    "images": (("image", "reference"), ("flavour", "flavour"), ("cuda", "cuda"), ("os", "os")),
}


def to_json(command: str, value: Any) -> str:
    """`value` (a record) as JSON, with the schema version and the command that produced it."""
    data = records.asdict(value) if records.is_record(value) and not isinstance(value, type) else value
    document = {"schema_version": MATRIX_JSON_SCHEMA_VERSION, "command": command, **data}
    return json.dumps(document, indent=2, sort_keys=True, default=str) + "\n"


def cell(value: Any) -> str:
    """One value as table text: lists joined, mappings as 'key value', absent as an empty cell."""
    if value is None:
        return ""
    if isinstance(value, Mapping):
        return ", ".join(f"{key} {cell(item)}" for key, item in value.items())
    if isinstance(value, Sequence) and not isinstance(value, str):
        return ", ".join(cell(item) for item in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def render_show(console: Console, result: ShowResult) -> None:
    from rich.table import Table

    columns = _SHOW_COLUMNS.get(result.kind)
    if columns is None:  # a single record (a GPU): field / value
        table = Table(title=result.title, show_header=False)
        table.add_column("field", style="bold")
        table.add_column("value")
        for row in result.rows:
            for key, value in row.items():
                if key != "source":
                    table.add_row(key, cell(value))
    else:
        table = Table(title=result.title)
        for heading, _ in columns:
            table.add_column(heading)
        for row in result.rows:
            data = dict(row)
            if "repository" in data:
                data["reference"] = f"{data['repository']}:{data.get('tag', '')}"
            table.add_row(*(cell(data.get(name)) for _, name in columns))
    console.print(table)
    for note in result.notes:
        console.print(note, markup=False)


def render_stats(console: Console, value: MatrixStats) -> None:
    from rich.table import Table

    table = Table(title="Compatibility matrix")
    for heading in ("subject", "rows", "data as of", "newest release", "released"):
        table.add_column(heading)
    for entry in value.subjects:
        rows = ", ".join(f"{count} {section}" for section, count in entry.rows.items())
        table.add_row(
            entry.subject,
            rows,
            entry.matrix_version or "",
            entry.newest_release or "",
            entry.newest_released or "",
        )
    console.print(table)
    age = f", {value.age_days} days old" if value.age_days is not None else ""
    console.print(f"matrix version {value.matrix_version or 'unknown'}{age}; {value.total_rows} rows", markup=False)
    overlays = sorted({origin for origin in value.origins.values() if origin != "shipped"})
    if overlays:
        console.print(f"overlay: {', '.join(overlays)}", markup=False)


def render_diff(console: Console, value: MatrixDiff) -> None:
    symbols = {"added": "+", "removed": "-", "changed": "~"}
    console.print(f"matrix {value.old_version or '?'} -> {value.new_version or '?'}", markup=False)
    for change in value.changes:
        console.print(f"{symbols[change.change]} {change.subject} {change.section}: {change.label}", markup=False)
        for name, (old, new) in change.fields.items():
            console.print(f"    {name}: {_brief(old)} -> {_brief(new)}", markup=False)
    counts = ", ".join(f"{value.count(kind)} {kind}" for kind in symbols)
    console.print(counts, markup=False)


def _brief(value: Any) -> str:
    return "(absent)" if value is None else json.dumps(value, sort_keys=True)


def validation_to_json(files: Sequence[str], problems: Sequence[InputError]) -> str:
    document = {
        "schema_version": MATRIX_JSON_SCHEMA_VERSION,
        "command": "validate",
        "ok": not problems,
        "files": list(files),
        "problems": [
            {"path": p.path, "where": p.where, "problem": p.problem, "fix": p.fix, "message": str(p)} for p in problems
        ],
    }
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def show_to_json(value: Any) -> str:
    return to_json("show", value)


def stats_to_json(value: Any) -> str:
    return to_json("stats", value)


def diff_to_json(value: Any) -> str:
    return to_json("diff", value)
