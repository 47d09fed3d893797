"""Host facts to and from JSON (`dlenv probe` output, `--host FILE` input), with a schema version.

Reading is strict: an unknown field, a wrong type or a newer schema is a one-line InputError naming the
file and the field, so a hand-edited host file fails clearly instead of half-working. Values are checked by their
meaning as well as their type (a compute capability is digits and a dot; a driver version is dotted numbers of
bounded length), no string holds a line break or format character (dlenv.text), and the file holds what a real
node can: at most MAX_GPUS GPUs with MAX_MIG_DEVICES MIG instances each, MAX_ITEMS of every other list.
"""

from __future__ import annotations

import json
import re
import types
import typing
from enum import Enum
from typing import Any, TypeVar, Union

from dlenv import records
from dlenv.errors import InputError
from dlenv.host.model import HOST_SCHEMA_VERSION, CudaToolkit, Driver, Framework, Gpu, HostFacts, Library, Platform
from dlenv.text import describe_character, first_unsafe_character, printable
from dlenv.versions import CAPABILITY_PATTERN, DRIVER_PATTERN

if typing.TYPE_CHECKING:
    from pathlib import Path

T = TypeVar("T")

# A node has at most a few dozen GPUs (16 in the largest boards NVIDIA ships, 64 leaves room) and a MIG-capable GPU
# at most 7 GPU instances; a host file beyond that is not a probe of a real machine.
MAX_GPUS = 64
MAX_MIG_DEVICES = 7
MAX_ITEMS = 1024
"""Toolkits, libraries, frameworks, environment variables, overrides and problems."""
MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_STRING = 4096
MAX_ENVIRONMENT_VALUE = 65536
MAX_INT = 2**53
_LIST_LIMITS = {"gpus": MAX_GPUS, "mig_devices": MAX_MIG_DEVICES}

_DOTTED = r"\d{1,6}(?:\.\d{1,6}){0,5}"
# No digit run longer than 12: Python refuses to convert integers over 4,300 digits, and no real version needs it.
_PACKAGE_VERSION = r"(?!.*\d{13})[A-Za-z0-9._+!-]{1,128}"
# (record, field) -> (pattern, an example): what each string field may hold, by its meaning.
_MEANINGS: dict[tuple[type, str], tuple[re.Pattern[str], str]] = {
    (Platform, "system"): (re.compile(r"linux|windows|macos"), "linux"),
    (Platform, "arch"): (re.compile(r"[a-z0-9_]{1,32}"), "x86_64"),
    (Platform, "python_version"): (re.compile(r"\d{1,2}\.\d{1,3}(?:\.\d{1,4})?(?:(?:a|b|rc)\d{1,4})?\+?"), "3.11.7"),
    (Platform, "glibc"): (re.compile(r"\d{1,3}\.\d{1,4}"), "2.36"),
    (Driver, "version"): (re.compile(DRIVER_PATTERN), "535.104.05"),
    (Driver, "max_cuda"): (re.compile(_DOTTED), "12.2"),
    (Driver, "nvml_version"): (re.compile(_DOTTED), "12.535.104.05"),
    (Driver, "kernel_module_version"): (re.compile(_DOTTED), "535.104.05"),
    (Driver, "library_version"): (re.compile(_DOTTED), "535.104.05"),
    (Gpu, "compute_capability"): (re.compile(CAPABILITY_PATTERN), "8.6"),
    (Gpu, "architecture"): (re.compile(r"[A-Za-z0-9 _-]{1,32}"), "Ampere"),
    (Gpu, "brand"): (re.compile(r"[a-z0-9_]{1,32}"), "tesla"),
    (CudaToolkit, "version"): (re.compile(_DOTTED), "12.4.131"),
    (CudaToolkit, "compat_driver_version"): (re.compile(_DOTTED), "550.54.15"),
    (Library, "version"): (re.compile(_PACKAGE_VERSION), "9.1.0.70"),
    (Framework, "version"): (re.compile(_PACKAGE_VERSION), "2.4.1 (the build tag goes in local_version)"),
    (Framework, "name"): (re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,126}[A-Za-z0-9])?"), "torch"),
    (Framework, "local_version"): (re.compile(r"[A-Za-z0-9]{1,64}(?:[._-][A-Za-z0-9]{1,64}){0,8}"), "cu121"),
    (Library, "name"): (re.compile(r"[a-z0-9-]{1,32}"), "cudnn"),
    (Framework, "cuda"): (re.compile(_DOTTED), "12.1"),
    (Framework, "cudnn"): (re.compile(_DOTTED), "9.1.0"),
    (Framework, "compute_capabilities"): (re.compile(r"(?:sm|compute)_\d{2,3}[af]?"), "sm_86"),
}
_ENVIRONMENT_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")


def _plain(value: Any) -> Any:
    if records.is_record(value) and not isinstance(value, type):
        return {field.name: _plain(getattr(value, field.name)) for field in records.fields(value)}
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

    def value(self, hint: Any, data: Any, where: str, meaning: tuple[type, str] | None = None) -> Any:
        origin = typing.get_origin(hint)
        if origin in (Union, types.UnionType):
            options = typing.get_args(hint)
            if data is None and type(None) in options:
                return None
            hint = next(option for option in options if option is not type(None))
            return self.value(hint, data, where, meaning)
        if origin is tuple:
            if not isinstance(data, list):
                raise self.fail(where, f"expected a list, found {type(data).__name__}")
            limit = _LIST_LIMITS.get(meaning[1] if meaning else "", MAX_ITEMS)
            if len(data) > limit:
                raise self.fail(where, f"{len(data)} entries; a real host has at most {limit}")
            item_hint = typing.get_args(hint)[0]
            return tuple(self.value(item_hint, item, f"{where}[{index}]", meaning) for index, item in enumerate(data))
        if records.is_record(hint):
            return self.record(typing.cast("type", hint), data, where)
        if isinstance(hint, type) and issubclass(hint, Enum):
            try:
                return hint(data)
            except ValueError:
                raise self.fail(where, f"{data!r} is not one of {[member.value for member in hint]}") from None
        expected = {str: str, int: int, bool: bool}.get(hint)
        if expected is None or not isinstance(data, expected) or (expected is int and isinstance(data, bool)):
            raise self.fail(where, f"expected {getattr(hint, '__name__', hint)}, found {type(data).__name__}")
        if isinstance(data, str):
            self.check_string(data, where, meaning)
        elif isinstance(data, int) and not isinstance(data, bool) and not 0 <= data < MAX_INT:
            raise self.fail(where, f"{data} is out of range (0 to 2**53)")
        return data

    def check_string(self, data: str, where: str, meaning: tuple[type, str] | None, limit: int = MAX_STRING) -> None:
        if len(data) > limit:
            raise self.fail(where, f"a string of {len(data)} characters (at most {limit})")
        unsafe = first_unsafe_character(data)
        if unsafe is not None:
            raise self.fail(where, f"contains {describe_character(unsafe)}: no line breaks or control characters")
        rule = _MEANINGS.get(meaning) if meaning else None
        if rule is not None and not (rule[0].fullmatch(data) and (meaning != (Framework, "version") or _pep440(data))):
            raise self.fail(where, f"{printable(data)[:80]!r} is not valid here (expected a value such as {rule[1]})")

    def record(self, cls: type[T], data: Any, where: str) -> T:
        if not isinstance(data, dict):
            raise self.fail(where, f"expected an object, found {type(data).__name__}")
        hints = typing.get_type_hints(cls)
        fields = {field.name: field for field in records.fields(cls)}
        unknown = sorted(str(key) for key in set(data) - set(fields))
        if unknown:
            name = printable(unknown[0])[:64]
            raise self.fail(f"{where}.{name}" if where else name, "unknown field")
        values = {}
        for name, field in fields.items():
            path = f"{where}.{name}" if where else name
            if name not in data:
                if field.default is records.MISSING and field.default_factory is records.MISSING:
                    raise self.fail(path, "required field is missing")
                continue
            values[name] = self.value(hints[name], data[name], path, (cls, name))
        return cls(**values)


def _pep440(text: str) -> bool:
    """A public PEP 440 version: the probe keeps a build tag (+cu121) apart, in local_version."""
    from packaging.version import InvalidVersion, Version

    try:
        return Version(text).local is None
    except InvalidVersion:
        return False


def host_from_dict(data: Any, path: str) -> HostFacts:
    reader = _Reader(path)
    if not isinstance(data, dict):
        raise reader.fail("", "a host file holds one JSON object")
    version = data.get("schema_version")
    if type(version) is not int or version != HOST_SCHEMA_VERSION:  # not True, not 1.0
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
    if len(environment) > MAX_ITEMS:
        raise reader.fail("environment", f"{len(environment)} variables; at most {MAX_ITEMS}")
    for name, value in environment.items():
        if not _ENVIRONMENT_NAME.fullmatch(name):
            raise reader.fail(f"environment.{printable(name)[:64]}", "not an environment variable name")
        reader.check_string(value, f"environment.{name}", None, MAX_ENVIRONMENT_VALUE)
    body["environment"] = [[name, environment[name]] for name in sorted(environment)]
    host = reader.record(HostFacts, body, "")
    return records.replace(host, origin=f"file:{path}")


def read_host_file(path: Path) -> HostFacts:
    fix = "write the file with `dlenv probe -o FILE`"
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except (OSError, ValueError) as error:  # ValueError: a NUL byte in the path
        raise InputError(
            f"cannot read host file: {getattr(error, 'strerror', None) or error}",
            path=path,
            fix="pass an existing file written by `dlenv probe -o FILE`",
        ) from None
    if len(raw) > MAX_FILE_BYTES:
        raise InputError(f"larger than {MAX_FILE_BYTES // 2**20} MiB: not a host file", path=path, fix=fix)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise InputError(
            f"not UTF-8: byte 0x{raw[error.start]:02x} at offset {error.start}",
            path=path,
            where=f"line {line}",
            fix=fix,
        ) from None
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as error:
        raise InputError(f"not valid JSON: {error.msg}", path=path, where=f"line {error.lineno}", fix=fix) from None
    except RecursionError:
        raise InputError("nested too deeply to be a host file", path=path, fix=fix) from None
    except ValueError as error:  # NaN/Infinity, or an integer beyond Python's 4,300-digit conversion limit
        raise InputError(f"not valid JSON: {error}", path=path, fix=fix) from None
    return host_from_dict(data, str(path))


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")
