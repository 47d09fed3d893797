"""Host facts to and from JSON (`dlenv probe` output, `--host FILE` input), with a schema version.

Reading is strict: an unknown field, a wrong type or a newer schema is a one-line InputError naming the
file and the field, so a hand-edited host file fails clearly instead of half-working.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from enum import Enum
from typing import Any, TypeVar, Union

from dlenv.errors import InputError
from dlenv.host.model import HOST_SCHEMA_VERSION, HostFacts

if typing.TYPE_CHECKING:
    from pathlib import Path

T = TypeVar("T")


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {field.name: _plain(getattr(value, field.name)) for field in dataclasses.fields(value)}
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    return value


def host_to_dict(host: HostFacts) -> dict[str, Any]:
    data = _plain(host)
    data["environment"] = dict(host.environment)
    return {"schema_version": HOST_SCHEMA_VERSION, **data}


def host_to_json(host: HostFacts) -> str:
    return json.dumps(host_to_dict(host), indent=2, sort_keys=False) + "\n"


class _Reader:
    def __init__(self, path: str) -> None:
        self.path = path

    def fail(self, where: str, problem: str) -> InputError:
        return InputError(
            problem, path=self.path, where=where, fix="write the file with `dlenv probe -o FILE`, or correct that field"
        )

    def value(self, hint: Any, data: Any, where: str) -> Any:
        origin = typing.get_origin(hint)
        if origin in (Union, types.UnionType):
            options = typing.get_args(hint)
            if data is None and type(None) in options:
                return None
            return self.value(next(option for option in options if option is not type(None)), data, where)
        if origin is tuple:
            if not isinstance(data, list):
                raise self.fail(where, f"expected a list, found {type(data).__name__}")
            item_hint = typing.get_args(hint)[0]
            return tuple(self.value(item_hint, item, f"{where}[{index}]") for index, item in enumerate(data))
        if dataclasses.is_dataclass(hint):
            return self.record(typing.cast("type", hint), data, where)
        if isinstance(hint, type) and issubclass(hint, Enum):
            try:
                return hint(data)
            except ValueError:
                raise self.fail(where, f"{data!r} is not one of {[member.value for member in hint]}") from None
        expected = {str: str, int: int, bool: bool}.get(hint)
        if expected is None or not isinstance(data, expected) or (expected is int and isinstance(data, bool)):
            raise self.fail(where, f"expected {getattr(hint, '__name__', hint)}, found {type(data).__name__}")
        return data

    def record(self, cls: type[T], data: Any, where: str) -> T:
        if not isinstance(data, dict):
            raise self.fail(where, f"expected an object, found {type(data).__name__}")
        hints = typing.get_type_hints(cls)
        fields = {field.name: field for field in dataclasses.fields(cls)}  # type: ignore[arg-type]
        unknown = sorted(set(data) - set(fields))
        if unknown:
            raise self.fail(f"{where}.{unknown[0]}" if where else unknown[0], "unknown field")
        values = {}
        for name, field in fields.items():
            path = f"{where}.{name}" if where else name
            if name not in data:
                if field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
                    raise self.fail(path, "required field is missing")
                continue
            values[name] = self.value(hints[name], data[name], path)
        return cls(**values)


def host_from_dict(data: Any, path: str) -> HostFacts:
    reader = _Reader(path)
    if not isinstance(data, dict):
        raise reader.fail("", "a host file holds one JSON object")
    version = data.get("schema_version")
    if version != HOST_SCHEMA_VERSION:
        raise InputError(
            f"schema_version {version!r} is not supported (this dlenv reads {HOST_SCHEMA_VERSION})",
            path=path,
            where="schema_version",
            fix="re-create the file with this dlenv's `dlenv probe`",
        )
    body = {key: value for key, value in data.items() if key != "schema_version"}
    environment = body.get("environment", {})
    if not isinstance(environment, dict) or not all(isinstance(v, str) for v in environment.values()):
        raise reader.fail("environment", "expected an object of strings")
    body["environment"] = [[name, environment[name]] for name in sorted(environment)]
    host = reader.record(HostFacts, body, "")
    return dataclasses.replace(host, origin=f"file:{path}")


def read_host_file(path: Path) -> HostFacts:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise InputError(
            f"cannot read host file: {error.strerror or error}",
            path=path,
            fix="pass an existing file written by `dlenv probe -o FILE`",
        ) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(
            f"not valid JSON: {error.msg}",
            path=path,
            where=f"line {error.lineno}",
            fix="write the file with `dlenv probe -o FILE`",
        ) from None
    return host_from_dict(data, str(path))
