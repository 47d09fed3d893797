"""Reading matrix YAML strictly and writing it in one canonical form.

The canonical form is what `scripts/format_matrix.py` and the refresh script write, and every file in matrices/ must
equal its own re-dump (a test checks it), so diffs between data refreshes show only real changes:

* keys in the order of the JSON Schema's `properties`; free-form maps (companions, extras) sorted by key;
* list order exactly as given (rows stay where their author put them);
* top-level lists in block style, one row per `- ` item; a row's values on one line in flow style when the line fits
  in 120 columns, else in block style; a blank line before each top-level list and map;
* comments are not kept, except the comment lines a file starts with (see canonical_text);
* strings plain only when they start with a letter, are made of words of safe characters and cannot be read as
  anything but a string; everything else (versions, dates, URLs, prose) double-quoted.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from dlenv.errors import InputError

if TYPE_CHECKING:
    from pathlib import Path

LINE_WIDTH = 120
INDENT = "  "

# \Z, not $: $ also matches before a final newline, which a plain scalar would lose.
_PLAIN_SAFE = re.compile(r"^[A-Za-z][A-Za-z0-9_.+\-/]*(?: [A-Za-z0-9_.+\-/]+)*\Z")
# Words some YAML loaders (1.1 and 1.2) read as booleans or null when unquoted.
_RESERVED_WORDS = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null"})
# Characters YAML forbids unescaped in a double-quoted scalar that json.dumps(ensure_ascii=False) leaves as they are.
_YAML_UNPRINTABLE = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff\ufffe\uffff]")


class _DuplicateKeyError(Exception):
    def __init__(self, key: object, line: int) -> None:
        super().__init__(key, line)
        self.key = key
        self.line = line


class _ComplexKeyError(Exception):
    """A mapping key that is a list or mapping (`? [a, b]: 1`): no matrix field is named so, and it is unhashable."""

    def __init__(self, kind: str, line: int) -> None:
        super().__init__(kind, line)
        self.kind = kind
        self.line = line


def _loader_class() -> type[Any]:
    import yaml

    base: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class StrictLoader(base):  # type: ignore[misc]
        """SafeLoader that refuses duplicate keys instead of silently keeping the last one."""

        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            seen: set[object] = set()
            for key_node, _ in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    raise _ComplexKeyError(key_node.id, key_node.start_mark.line + 1)
                key = self.construct_object(key_node, deep=True)
                if isinstance(key, str | int) and key in seen:
                    raise _DuplicateKeyError(key, key_node.start_mark.line + 1)
                seen.add(key)
            return super().construct_mapping(node, deep=deep)

    return StrictLoader


_LOADER: type[Any] | None = None


def load_yaml_text(text: str, path: Path | str) -> dict[str, Any]:
    """Parse one matrix file; a syntax error, a duplicate key or a non-mapping document is an InputError."""
    import yaml

    global _LOADER  # noqa: PLW0603  (built once: defining the class imports yaml)
    if _LOADER is None:
        _LOADER = _loader_class()
    try:
        document = yaml.load(text, Loader=_LOADER)  # a SafeLoader subclass
    except _DuplicateKeyError as error:
        raise InputError(
            f"duplicate key {error.key!r}", path=path, where=str(error.line), fix="keep one of the two entries"
        ) from None
    except _ComplexKeyError as error:
        raise InputError(
            f"a {error.kind} used as a mapping key", path=path, where=str(error.line), fix="keys are plain names"
        ) from None
    except RecursionError:
        raise InputError("nested too deeply", path=path, fix="a matrix file nests a few levels only") from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"{mark.line + 1}:{mark.column + 1}" if mark is not None else None
        problem = " ".join(part for part in (error.context, error.problem) if part) or "invalid YAML"
        fix = "correct the YAML syntax"
        raise InputError(f"YAML syntax error: {problem}", path=path, where=where, fix=fix) from None
    except yaml.YAMLError as error:
        raise InputError(f"YAML syntax error: {error}", path=path, fix="correct the YAML syntax") from None
    if not isinstance(document, dict):
        kind = "an empty file" if document is None else f"a {type(document).__name__}"
        raise InputError(
            f"the document is {kind}, not a mapping",
            path=path,
            fix="start the file with schema_version, matrix_version and subject keys",
        )
    return document


def load_yaml_file(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except (OSError, ValueError) as error:  # ValueError: a NUL byte in the path
        raise InputError(
            f"cannot read the file: {getattr(error, 'strerror', None) or error}", path=path, fix="check the path"
        ) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise InputError(
            f"not UTF-8: byte 0x{raw[error.start]:02x}", path=path, where=str(line), fix="save the file as UTF-8"
        ) from None
    return load_yaml_text(text, path)


# ---------------------------------------------------------------------------------------------------- writing


def leading_comments(text: str) -> str:
    """The comment lines a file starts with: the one place comments survive canonical formatting."""
    kept: list[str] = []
    for line in text.splitlines(keepends=True):
        if not line.startswith("#"):
            break
        kept.append(line if line.endswith("\n") else line + "\n")
    return "".join(kept)


def canonical_text(text: str, path: Path | str, schemas: Mapping[str, Mapping[str, Any]] | None = None) -> str:
    """What a matrix file should contain: its leading comments, then the canonical dump of its data."""
    return leading_comments(text) + dump_yaml(load_yaml_text(text, path), schemas)


def dump_yaml(doc: Mapping[str, Any], schemas: Mapping[str, Mapping[str, Any]] | None = None) -> str:
    """The canonical YAML text of one matrix document (schema chosen by its `subject`)."""
    from dlenv.matrix.schemas import default_schemas, schema_kind

    all_schemas = schemas if schemas is not None else default_schemas()
    subject = doc.get("subject")
    schema = all_schemas.get(schema_kind(subject)) if isinstance(subject, str) else None
    root: Mapping[str, Any] = schema if schema is not None else {}
    writer = _Writer(root)
    lines: list[str] = []
    for index, (key, value) in enumerate(writer.ordered_items(doc, root)):
        child = writer.property_schema(root, key)
        is_block = isinstance(value, list | Mapping) and bool(value)
        if is_block and index > 0:
            lines.append("")  # a blank line before each list section and each map (notes, family) keeps files navigable
        lines.extend(writer.field(key, value, child, indent=0, top_level=True))
    return "\n".join(lines) + "\n"


class _Writer:
    def __init__(self, root: Mapping[str, Any]) -> None:
        self.root = root

    # -- schema walking

    def resolve(self, node: Mapping[str, Any] | None) -> Mapping[str, Any]:
        while node is not None and "$ref" in node:
            reference = str(node["$ref"])
            if not reference.startswith("#/"):
                return {}
            target: Any = self.root
            for part in reference[2:].split("/"):
                target = target.get(part, {}) if isinstance(target, Mapping) else {}
            node = target
        return node if node is not None else {}

    def property_schema(self, node: Mapping[str, Any] | None, key: str) -> Mapping[str, Any]:
        resolved = self.resolve(node)
        properties = resolved.get("properties")
        if isinstance(properties, Mapping) and key in properties:
            return self.resolve(properties[key])
        additional = resolved.get("additionalProperties")
        return self.resolve(additional) if isinstance(additional, Mapping) else {}

    def items_schema(self, node: Mapping[str, Any] | None) -> Mapping[str, Any]:
        items = self.resolve(node).get("items")
        return self.resolve(items) if isinstance(items, Mapping) else {}

    def ordered_items(self, mapping: Mapping[str, Any], node: Mapping[str, Any] | None) -> list[tuple[str, Any]]:
        """Schema property order first; keys the schema does not name follow, sorted (validation rejects them)."""
        properties = self.resolve(node).get("properties")
        order = list(properties) if isinstance(properties, Mapping) else []
        known = [(key, mapping[key]) for key in order if key in mapping]
        unknown = sorted((str(key), value) for key, value in mapping.items() if key not in order)
        return known + unknown

    # -- emitting

    def field(
        self, key: str, value: Any, node: Mapping[str, Any], *, indent: int, top_level: bool = False
    ) -> list[str]:
        prefix = INDENT * indent + f"{scalar(key)}:"
        if isinstance(value, list) and value and (top_level or any(isinstance(item, Mapping) for item in value)):
            return [prefix, *self.block_list(value, self.items_schema(node), indent + 1)]
        if isinstance(value, Mapping) and value and top_level:
            return [prefix, *self.block_mapping(value, node, indent + 1)]
        line = f"{prefix} {self.flow(value, node)}"
        if len(line) <= LINE_WIDTH or not isinstance(value, Sequence | Mapping) or isinstance(value, str) or not value:
            return [line]
        if isinstance(value, Mapping):
            return [prefix, *self.block_mapping(value, node, indent + 1)]
        return [prefix, *self.block_list(value, self.items_schema(node), indent + 1)]

    def block_mapping(self, mapping: Mapping[str, Any], node: Mapping[str, Any], indent: int) -> list[str]:
        lines: list[str] = []
        for key, value in self.ordered_items(mapping, node):
            lines.extend(self.field(key, value, self.property_schema(node, key), indent=indent))
        return lines

    def block_list(self, items: Sequence[Any], node: Mapping[str, Any], indent: int) -> list[str]:
        lines: list[str] = []
        dash = INDENT * indent + "- "
        for item in items:
            if isinstance(item, Mapping) and item:
                row = self.block_mapping(item, node, indent + 1)
                # The first key of the row shares the line with the dash.
                lines.append(dash + row[0].lstrip(" "))
                lines.extend(row[1:])
            else:
                lines.append(dash + self.flow(item, node))
        return lines

    def flow(self, value: Any, node: Mapping[str, Any]) -> str:
        if isinstance(value, Mapping):
            inner = ", ".join(
                f"{scalar(key)}: {self.flow(item, self.property_schema(node, key))}"
                for key, item in self.ordered_items(value, node)
            )
            return "{" + inner + "}"
        if isinstance(value, list | tuple):
            item_node = self.items_schema(node)
            return "[" + ", ".join(self.flow(item, item_node) for item in value) + "]"
        return scalar(value)


def scalar(value: object) -> str:
    """One scalar in canonical spelling."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, datetime.date):
        return _quoted(value.isoformat())
    text = str(value)
    if _PLAIN_SAFE.match(text) and text.lower() not in _RESERVED_WORDS:
        return text
    return _quoted(text)


def _quoted(text: str) -> str:
    encoded = json.dumps(text, ensure_ascii=False)
    return _YAML_UNPRINTABLE.sub(lambda match: f"\\u{ord(match.group()):04x}", encoded)
