"""Validation of matrix documents: JSON Schema (Draft 2020-12) and the invariants a schema cannot say.

Every problem is one `InputError` naming the file, the row, the field, what is wrong and how to fix it, e.g.
`matrices/pytorch.yaml:builds[12] (release 2.4.1, build cu121).cuda: CUDA 12.1 is not in cuda.yaml (fix: ...)`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from packaging.version import InvalidVersion, Version

from dlenv.errors import InputError
from dlenv.matrix.families import family_entry
from dlenv.matrix.layers import LocatedRow, MergedMatrix, section_named, sections_of
from dlenv.matrix.model import normalize_gpu_name
from dlenv.matrix.schemas import schema_kind
from dlenv.records import field, record
from dlenv.versions import canonical_name

if TYPE_CHECKING:
    from pathlib import Path

    from jsonschema.exceptions import ValidationError

YAML_SUFFIXES = (".yaml", ".yml")


class MatrixProblems(InputError):
    """A matrix with problems: reported as its first problem in one line; `problems` holds every one."""

    def __init__(self, problems: Sequence[InputError]) -> None:
        first = problems[0]
        self.problems = list(problems)
        more = len(problems) - 1
        fix = first.fix or ""
        if more:
            fix = f"{fix}; {more} more problem(s): run `dlenv matrix validate` to list them".lstrip("; ")
        super().__init__(first.problem, path=first.path, where=first.where, fix=fix or None)


@record(frozen=False)
class ValidationReport:
    merged: MergedMatrix
    problems: list[InputError] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def raise_for_problems(self) -> None:
        if self.problems:
            raise MatrixProblems(self.problems)


def matrix_files(directory: Path) -> list[Path]:
    """The YAML files of a matrix directory (not recursive: matrices/schema/ holds JSON), in name order."""
    if not directory.is_dir():
        raise InputError(
            "matrix directory not found", path=directory, fix="pass a directory that holds matrix *.yaml files"
        )
    return sorted(path for path in directory.iterdir() if path.suffix in YAML_SUFFIXES and path.is_file())


def read_documents(paths: Iterable[Path]) -> tuple[list[tuple[str, dict[str, Any]]], list[InputError]]:
    from dlenv.matrix.canonical import load_yaml_file

    documents: list[tuple[str, dict[str, Any]]] = []
    problems: list[InputError] = []
    for path in paths:
        try:
            documents.append((str(path), load_yaml_file(path)))
        except InputError as error:
            problems.append(error)
    return documents, problems


def validate_directory(
    directory: Path,
    *,
    base: MergedMatrix | None = None,
    schemas: Mapping[str, Mapping[str, Any]] | None = None,
) -> ValidationReport:
    """Read, schema-check and layer every YAML file of `directory` over `base`, then check the invariants."""
    documents, problems = read_documents(matrix_files(directory))
    report = validate_documents(documents, base=base, schemas=schemas)
    report.problems[:0] = problems
    report.problems.sort(key=lambda problem: problem.path or "")  # grouped by file; stable within one
    return report


def validate_documents(
    documents: Sequence[tuple[str, Mapping[str, Any]]],
    *,
    base: MergedMatrix | None = None,
    schemas: Mapping[str, Mapping[str, Any]] | None = None,
) -> ValidationReport:
    """Documents of one layer (one directory) as (path, document) pairs, layered over `base`."""
    from dlenv.matrix.schemas import default_schemas

    all_schemas = schemas if schemas is not None else default_schemas()
    merged = base.copy() if base is not None else MergedMatrix()
    report = ValidationReport(merged, files=[path for path, _ in documents])
    rows_with_schema_errors: set[tuple[str, str, int]] = set()
    layer_paths = {path for path, _ in documents}
    for path, doc in documents:
        schema_errors = schema_problems(doc, path, all_schemas, rows_with_schema_errors)
        report.problems.extend(schema_errors)
        if not isinstance(doc.get("subject"), str) or any(error.where in (None, "subject") for error in schema_errors):
            continue  # without a usable header the file cannot be layered; its schema errors say why
        for earlier, later in merged.add_document(doc, path):
            if earlier.path in layer_paths:
                report.problems.append(_duplicate(earlier, later))
    report.problems.extend(check_invariants(merged, skip=rows_with_schema_errors, layer=layer_paths))
    return report


# ---------------------------------------------------------------------------------------------------- schema


def schema_problems(
    doc: Mapping[str, Any],
    path: str,
    schemas: Mapping[str, Mapping[str, Any]],
    rows_with_errors: set[tuple[str, str, int]] | None = None,
) -> list[InputError]:
    from jsonschema import Draft202012Validator

    subject = doc.get("subject")
    kind = schema_kind(subject) if isinstance(subject, str) else "framework"
    # formats are checked too: a date the pattern accepts (2024-13-45) is not a date, and code that reads it as one
    # must never see it
    validator = Draft202012Validator(schemas[kind], format_checker=Draft202012Validator.FORMAT_CHECKER)
    problems: list[InputError] = []
    for error in sorted(validator.iter_errors(doc), key=lambda e: [str(part) for part in e.absolute_path]):
        parts = list(error.absolute_path)
        if rows_with_errors is not None and len(parts) >= 2 and isinstance(parts[1], int):
            rows_with_errors.add((path, str(parts[0]), parts[1]))
        message, fix = _describe(error)
        problems.append(InputError(message, path=path, where=_where(doc, parts), fix=fix))
    return problems


def _where(doc: Mapping[str, Any], parts: list[str | int]) -> str | None:
    if not parts:
        return None
    text = ""
    subject = doc.get("subject")
    for position, part in enumerate(parts):
        if isinstance(part, int):
            text += f"[{part}]"
            if position == 1 and isinstance(subject, str):
                section = section_named(subject, str(parts[0]))
                rows = doc.get(str(parts[0]))
                if section is not None and isinstance(rows, list) and isinstance(rows[part], Mapping):
                    text += f" ({section.label(rows[part])})"
        else:
            text += f".{part}" if text else part
    return text


def _describe(error: ValidationError) -> tuple[str, str | None]:
    """jsonschema's error in dlenv's words: (what is wrong, how to fix it)."""
    kind, instance = error.validator, error.instance
    expected: Any = error.validator_value
    schema: Any = error.schema
    if kind == "required":
        missing = [name for name in expected if isinstance(instance, Mapping) and name not in instance]
        names = ", ".join(repr(name) for name in missing)
        return f"missing required field {names}", "add it (see matrices/schema/ for its meaning)"
    if kind == "additionalProperties" and isinstance(instance, Mapping):
        known = list(schema.get("properties", {}))
        unknown = ", ".join(repr(name) for name in instance if name not in known)
        return f"unknown field {unknown}", f"remove it or correct its spelling (fields: {', '.join(known)})"
    if kind == "type":
        if expected == "string" and isinstance(instance, int | float) and not isinstance(instance, bool):
            return (
                f"{instance!r} is a number, not a string",
                'quote it as written, e.g. "12.10" (YAML reads 12.10 as 12.1)',
            )
        if expected == "string" and hasattr(instance, "isoformat"):
            return f"{instance} is a date, not a string", 'quote it, e.g. "2024-09-04"'
        return f"{instance!r} is a {type(instance).__name__}, not {expected}", f"write a {expected}"
    if kind == "pattern":
        return f"{instance!r} is not in the expected form", f"write it to match {expected}"
    if kind == "format":
        return f"{instance!r} is not a valid {expected}", "write a real one, e.g. 2024-09-04 for a date"
    if kind == "enum":
        return f"{instance!r} is not one of: {', '.join(map(str, expected))}", "use one of the listed values"
    if kind == "const":
        return f"{instance!r} must be {expected!r}", f"write {expected!r}"
    if kind == "minItems":
        return "must not be empty", f"list at least {expected} item(s)"
    if kind == "uniqueItems":
        return "lists the same item twice", "remove the repeated item"
    if kind == "minProperties":
        return "must not be empty", "give at least one field"
    if kind == "not":
        return f"{instance!r} is not allowed here", "choose another value"
    return error.message, None


# ---------------------------------------------------------------------------------------------------- invariants


def _duplicate(earlier: LocatedRow, later: LocatedRow) -> InputError:
    where_earlier = earlier.where if earlier.path == later.path else f"{earlier.path}:{earlier.where}"
    return InputError(
        f"duplicate row: same key as {where_earlier}",
        path=later.path,
        where=later.where,
        fix="keep one of the two rows (an overlay directory may replace shipped rows, not its own)",
    )


def _problem(located: LocatedRow, field_path: str, message: str, fix: str) -> InputError:
    return InputError(message, path=located.path, where=f"{located.where}.{field_path}", fix=fix)


def _is_version(text: object) -> bool:
    try:
        Version(str(text))
    except InvalidVersion:
        return False
    return True


def _major_minor(text: str) -> str:
    return ".".join(text.split(".")[:2])


def check_invariants(
    merged: MergedMatrix, *, skip: set[tuple[str, str, int]] | None = None, layer: Collection[str] | None = None
) -> list[InputError]:
    """Cross-row and cross-file rules over the layered matrix (rows with schema errors are left to those errors).

    `layer`: the files being validated (an overlay's); rules about an entry's own file apply to entries from those
    only, so shipped data under an overlay is not reported against it. None: every file.
    """
    skipped = skip or set()

    def rows(subject: str, section: str, *, all_rows: bool = False) -> list[LocatedRow]:
        """The rows to check; with all_rows, also those with schema errors (they still count as referable)."""
        table = merged.subjects[subject].rows.get(section, {}) if subject in merged.subjects else {}
        return [row for row in table.values() if all_rows or (row.path, row.section, row.index) not in skipped]

    problems: list[InputError] = []
    cuda = merged.subjects.get("cuda")
    toolkits = cuda.rows.get("toolkits", {}).values() if cuda is not None else ()
    known_cuda = {_major_minor(str(located.row.get("version", ""))) for located in toolkits}

    unchecked_cuda: list[LocatedRow] = []

    def check_cuda(located: LocatedRow, field_path: str, version: object) -> None:
        if version is None:
            return
        if cuda is None:  # one problem for the whole matrix, not one per row
            unchecked_cuda.append(located)
            return
        text = _major_minor(str(version))
        if text not in known_cuda:
            problems.append(
                _problem(
                    located,
                    field_path,
                    f"CUDA {text} is not in cuda.yaml",
                    f"add a {text}.x toolkit row or correct the version",
                )
            )

    for located in rows("cuda", "forward_compat"):
        check_cuda(located, "cuda", located.row.get("cuda"))
    for located in rows("images", "images"):
        check_cuda(located, "cuda", located.row.get("cuda"))

    for subject in sorted(merged.subjects):
        if schema_kind(subject) != "framework":
            continue
        release_keys = {
            Version(str(located.row.get("version")))
            for located in rows(subject, "releases", all_rows=True)
            if _is_version(located.row.get("version"))
        }
        for located in rows(subject, "releases"):
            version = located.row.get("version")
            if not _is_version(version):
                problems.append(
                    _problem(located, "version", f"{version!r} is not a valid version", "write a PEP 440 version")
                )
        for located in rows(subject, "builds"):
            release = located.row.get("release")
            if not _is_version(release):
                problems.append(
                    _problem(located, "release", f"{release!r} is not a valid version", "write a PEP 440 version")
                )
            elif Version(str(release)) not in release_keys:
                problems.append(
                    _problem(
                        located,
                        "release",
                        f"release {release} is not in the releases of {subject}",
                        f"add a releases row for {release} or correct the version",
                    )
                )
            check_cuda(located, "cuda", located.row.get("cuda"))
            cuda_range = located.row.get("cuda_range")
            if isinstance(cuda_range, Mapping):
                check_cuda(located, "cuda_range.min", cuda_range.get("min"))
                check_cuda(located, "cuda_range.max", cuda_range.get("max"))

    problems.extend(_check_packages(merged, rows))
    problems.extend(_check_require_cuda(rows, layer))
    problems.extend(_check_families(merged))
    if unchecked_cuda:
        problems.append(
            InputError(
                f"no cuda.yaml: the CUDA versions of {len(unchecked_cuda)} row(s) cannot be checked",
                path=unchecked_cuda[0].path,
                fix="add the cuda subject's file (subject: cuda) to the matrix directory",
            )
        )
    problems.extend(_check_gpus(rows("gpus", "architectures", all_rows=True), rows("gpus", "gpus")))
    return problems


def _check_packages(merged: MergedMatrix, rows: Callable[..., list[LocatedRow]]) -> list[InputError]:
    """A distribution name installs builds of one framework subject only, or package lookups would be ambiguous."""
    problems: list[InputError] = []
    owner: dict[str, tuple[str, LocatedRow]] = {}
    reported: set[tuple[str, str]] = set()
    for subject in sorted(merged.subjects):
        if schema_kind(subject) != "framework":
            continue
        for located in rows(subject, "builds"):
            for index, package in enumerate(located.row.get("packages", [])):
                key = canonical_name(str(package))
                other_subject, other = owner.setdefault(key, (subject, located))
                if other_subject != subject and (key, subject) not in reported:
                    reported.add((key, subject))  # once per package and subject, not once per build
                    problems.append(
                        _problem(
                            located,
                            f"packages[{index}]",
                            f"package {package!r} also installs {other_subject} builds ({other.path}:{other.where})",
                            "a distribution belongs to one framework subject: rename it or move the build",
                        )
                    )
    return problems


def _check_require_cuda(rows: Callable[..., list[LocatedRow]], layer: Collection[str] | None) -> list[InputError]:
    """Image rows name their NVIDIA_REQUIRE_CUDA value by the id of a require_cuda entry: every id resolves, every
    entry is used and holds a value no other entry holds (one home per value)."""
    problems: list[InputError] = []
    ids = {str(entry.row.get("id")) for entry in rows("images", "require_cuda", all_rows=True)}
    for located in rows("images", "images"):
        wanted = located.row.get("require_cuda")
        if wanted is None or str(wanted) in ids:
            continue
        verbatim = " " in str(wanted) or ">" in str(wanted) or "=" in str(wanted)
        problems.append(
            _problem(
                located,
                "require_cuda",
                f"{wanted!r} is not the id of a require_cuda entry"
                + (" (it looks like the NVIDIA_REQUIRE_CUDA value itself)" if verbatim else ""),
                "add an entry {id, value, source} to the file's top-level require_cuda list and write its id here"
                if verbatim
                else "correct the id, or add a require_cuda entry with it",
            )
        )
    used = {str(located.row.get("require_cuda")) for located in rows("images", "images", all_rows=True)}
    holder: dict[str, LocatedRow] = {}
    for entry in rows("images", "require_cuda"):
        value = str(entry.row.get("value"))
        earlier = holder.setdefault(value, entry)
        if layer is not None and entry.path not in layer:
            continue
        if str(entry.row.get("id")) not in used:
            problems.append(
                _problem(
                    entry, "id", "no image row refers to this entry", "remove it, or refer to it from an image row"
                )
            )
        if earlier is not entry:
            origin = earlier.where if earlier.path == entry.path else f"{earlier.path}:{earlier.where}"
            problems.append(
                _problem(
                    entry,
                    "value",
                    f"{origin} holds the same value",
                    f"remove this entry and refer to {earlier.row.get('id')!r} instead",
                )
            )
    return problems


def _family_patterns(block: Mapping[str, Any]) -> list[tuple[str, object, bool]]:
    """(field path, pattern, needs a group) of every regular expression in a family block."""
    found: list[tuple[str, object, bool]] = [
        (f"distribution_patterns[{index}]", pattern, False)
        for index, pattern in enumerate(_list(block.get("distribution_patterns")))
    ]
    selection = block.get("build_selection")
    if isinstance(selection, Mapping):
        for key, needs_group in (("local_tag_builds", False), ("build_in_name", True)):
            if key in selection:
                found.append((f"build_selection.{key}", selection[key], needs_group))
    return found


def _check_families(merged: MergedMatrix) -> list[InputError]:
    """Family blocks: their regular expressions compile, and a distribution or conda name is one family's only (the
    probe could not tell which framework an installed package is)."""
    problems: list[InputError] = []
    names: dict[str, str] = {}
    conda: dict[str, str] = {}
    patterns: list[tuple[str, re.Pattern[str]]] = []
    entries: dict[str, tuple[str, dict[str, Any]]] = {}
    packages: dict[str, set[str]] = {}
    # In layering order (the shipped subjects first), so a clash is reported on the file that added it.
    for subject, rows in merged.subjects.items():
        if schema_kind(subject) != "framework":
            continue
        path = rows.paths[0]
        block = rows.header.get("family")
        if isinstance(block, Mapping):
            for field_path, pattern, needs_group in _family_patterns(block):
                where = f"family.{field_path}"
                try:
                    compiled = re.compile(str(pattern))
                except re.error as error:
                    fix = "write a Python regular expression"
                    problems.append(InputError(f"not a regular expression: {error}", path=path, where=where, fix=fix))
                    continue
                if needs_group and compiled.groups < 1:
                    fix = "put the build in a group: -(cu[0-9]+)$"
                    problems.append(InputError("has no group to read the build from", path=path, where=where, fix=fix))
                if field_path.startswith("distribution_patterns"):
                    patterns.append((subject, compiled))
        try:
            document = rows.document()
            entries[subject] = (path, family_entry(document))
        except (TypeError, KeyError, AttributeError):
            continue  # a malformed block: its schema errors say so
        packages[subject] = {canonical_name(str(p)) for b in document["builds"] for p in b.get("packages", ())}
    order = {subject: index for index, subject in enumerate(entries)}

    def clash(later: str, earlier: str, what: str, field_path: str) -> None:
        problems.append(
            InputError(
                f"{what} is also one of family {earlier}'s",
                path=entries[later][0],
                where=f"family.{field_path}",
                fix="a name belongs to one framework: remove it from one of the two families",
            )
        )

    for subject, (_path, entry) in entries.items():
        for name in entry["distributions"]:
            owner = names.setdefault(name, subject)
            # a build package of both is _check_packages' problem, reported once there
            if owner != subject and not (name in packages[owner] and name in packages[subject]):
                clash(subject, owner, f"distribution {name!r}", "distributions")
        for row in entry["conda"]:
            owner = conda.setdefault(row["name"], subject)
            if owner != subject:
                clash(subject, owner, f"conda package {row['name']!r}", "conda")
    for name, owner in names.items():
        for other, pattern in patterns:
            if other != owner and pattern.match(name):
                if order[other] > order[owner]:
                    clash(other, owner, f"distribution {name!r}", "distribution_patterns")
                else:
                    clash(owner, other, f"distribution {name!r}", "distributions")
    return problems


def _list(value: object) -> list[object]:
    return list(value) if isinstance(value, list) else []


def _check_gpus(architectures: list[LocatedRow], products: list[LocatedRow]) -> list[InputError]:
    problems: list[InputError] = []
    # architectures are read here even when their rows fail the schema (a product must name a real one): a
    # malformed list is none
    capabilities_of = {str(a.row.get("name")): _list(a.row.get("compute_capabilities")) for a in architectures}
    for located in products:
        architecture = str(located.row.get("architecture"))
        capability = located.row.get("compute_capability")
        if architecture not in capabilities_of:
            problems.append(
                _problem(
                    located,
                    "architecture",
                    f"architecture {architecture!r} is not in the architectures of gpus.yaml",
                    "add an architectures row or correct the name",
                )
            )
        elif capability not in capabilities_of[architecture]:
            problems.append(
                _problem(
                    located,
                    "compute_capability",
                    f"compute capability {capability} is not listed by architecture {architecture}",
                    f"add {capability} to {architecture}'s compute_capabilities or correct the value",
                )
            )
    owner: dict[str, LocatedRow] = {}
    for located in products:
        names = [("name", located.row.get("name"))]
        names += [(f"aliases[{i}]", alias) for i, alias in enumerate(located.row.get("aliases", []))]
        for field_path, name in names:
            key = normalize_gpu_name(str(name))
            other = owner.setdefault(key, located)
            if other is located:
                continue
            mine, theirs = located.row.get("compute_capability"), other.row.get("compute_capability")
            if mine != theirs:
                origin = other.where if other.path == located.path else f"{other.path}:{other.where}"
                problems.append(
                    _problem(
                        located,
                        field_path,
                        f"{name!r} also names {origin}, whose compute capability is {theirs}, not {mine}",
                        "make the name specific to one product (e.g. add the memory size or form factor)",
                    )
                )
    return problems


def sections_summary(subject: str) -> list[str]:
    """The row sections of a subject's documents, in schema order."""
    return [section.name for section in sections_of(subject)]
