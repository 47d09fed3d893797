"""Records: dlenv's value classes — frozen, compared and hashed by their fields — without the cost of dataclasses.

`import dataclasses` loads `inspect` (about 9 ms here, most of a bare interpreter's start-up) and every @dataclass
compiles six methods when its module is imported (about 0.4 ms a class); doctor's path defines some 40 records. A
@record class gets its field list when it is defined and compiles one method, __init__, the first time it is
instantiated; equality, hashing, ordering and repr are shared functions over the field list. The semantics are
dataclasses' for what dlenv uses: frozen by default, fields from the class annotations in order (a base record's
first), defaults and `field(default_factory=..., compare=False, repr=False)`, `replace`, `fields`, `asdict`.
tests/unit/test_records.py holds it to dataclasses' behaviour.
"""

from __future__ import annotations

from operator import attrgetter
from typing import TYPE_CHECKING, Any, TypeVar, overload

if TYPE_CHECKING:
    from collections.abc import Callable

    from typing_extensions import dataclass_transform
else:

    def dataclass_transform(**_options: object) -> Callable[[Any], Any]:
        return lambda decorator: decorator


T = TypeVar("T")

_FIELDS = "__record_fields__"


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()
"""A field's default or default_factory when it has none."""


class FrozenInstanceError(AttributeError):
    """Assigning to a field of a frozen record."""


class Field:
    """One field of a record: its name, default or default factory, and whether it takes part in ==, hash, repr."""

    __slots__ = ("compare", "default", "default_factory", "hash", "name", "repr")

    def __init__(
        self,
        default: Any = MISSING,
        default_factory: Any = MISSING,
        compare: bool = True,
        repr: bool = True,
        hash: bool | None = None,
    ) -> None:
        self.name = ""
        self.default = default
        self.default_factory = default_factory
        self.compare = compare
        self.repr = repr
        self.hash = compare if hash is None else hash

    def __repr__(self) -> str:
        return f"Field({self.name!r})"


def field(
    *,
    default: Any = MISSING,
    default_factory: Callable[[], Any] | Any = MISSING,
    compare: bool = True,
    repr: bool = True,
    hash: bool | None = None,
) -> Any:
    """A field with options, as the class attribute of a record: `x: list[str] = field(default_factory=list)`."""
    return Field(default, default_factory, compare, repr, hash)


@overload
def record(cls: type[T], /) -> type[T]: ...
@overload
def record(*, frozen: bool = True, eq: bool = True, order: bool = False) -> Callable[[type[T]], type[T]]: ...


@dataclass_transform(frozen_default=True, field_specifiers=(field, Field))
def record(
    cls: type[T] | None = None, /, *, frozen: bool = True, eq: bool = True, order: bool = False
) -> type[T] | Callable[[type[T]], type[T]]:
    """Make `cls` a record (see the module docstring)."""

    def make(target: type[T]) -> type[T]:
        return _make(target, frozen=frozen, eq=eq, order=order)

    return make if cls is None else make(cls)


def _collect(cls: type) -> tuple[Field, ...]:
    collected: dict[str, Field] = {}
    for base in reversed(cls.__mro__[1:]):
        for inherited in base.__dict__.get(_FIELDS, ()):
            collected[inherited.name] = inherited
    # the class's own annotations (not inspect.get_annotations: importing inspect is the cost this module avoids)
    for name, annotation in cls.__dict__.get("__annotations__", {}).items():  # noqa: RUF063
        if str(annotation).startswith(("ClassVar", "typing.ClassVar")):
            continue
        value = cls.__dict__.get(name, MISSING)
        spec = value if isinstance(value, Field) else Field(default=value)
        spec.name = name
        if spec.default is MISSING and name in cls.__dict__:
            delattr(cls, name)  # a field(default_factory=...) marker is no class attribute
        elif spec.default is not MISSING:
            setattr(cls, name, spec.default)
        collected[name] = spec
    seen_default = False
    for spec in collected.values():
        has_default = spec.default is not MISSING or spec.default_factory is not MISSING
        if seen_default and not has_default:
            raise TypeError(f"{cls.__qualname__}: non-default field {spec.name!r} follows a field with a default")
        seen_default = seen_default or has_default
    return tuple(collected.values())


def _make(cls: type[T], *, frozen: bool, eq: bool, order: bool) -> type[T]:
    specs = _collect(cls)
    setattr(cls, _FIELDS, specs)
    compared = _getter(tuple(spec.name for spec in specs if spec.compare))
    hashed = _getter(tuple(spec.name for spec in specs if spec.hash))
    shown = tuple(spec.name for spec in specs if spec.repr)

    def first_init(self: Any, *args: Any, **kwargs: Any) -> None:
        compiled = _compile_init(cls, specs, frozen)
        setattr(cls, "__init__", compiled)  # noqa: B010
        compiled(self, *args, **kwargs)

    methods: dict[str, Any] = {"__init__": first_init}
    if "__repr__" not in cls.__dict__:
        methods["__repr__"] = lambda self: _repr(self, shown)
    if eq:
        methods["__eq__"] = lambda self, other: _compare(self, other, compared, _equal)
        methods["__hash__"] = (lambda self: hash(hashed(self))) if frozen else None
    if order:
        for name, operator in (("__lt__", _less), ("__le__", _at_most), ("__gt__", _greater), ("__ge__", _at_least)):
            setattr(cls, name, _ordering(compared, operator))
    if frozen:
        methods.update(__setattr__=_refuse, __delattr__=_refuse_delete)
    for name, method in methods.items():
        setattr(cls, name, method)
    return cls


def _compile_init(cls: type, specs: tuple[Field, ...], frozen: bool) -> Callable[..., None]:
    namespace: dict[str, Any] = {"_set": object.__setattr__ if frozen else setattr, "_MISSING": MISSING}
    parameters, lines = [], []
    for index, spec in enumerate(specs):
        name = spec.name
        if spec.default is not MISSING:
            namespace[f"_default_{index}"] = spec.default
            parameters.append(f"{name}=_default_{index}")
            lines.append(f"    _set(self, {name!r}, {name})")
        elif spec.default_factory is not MISSING:
            namespace[f"_factory_{index}"] = spec.default_factory
            parameters.append(f"{name}=_MISSING")
            lines.append(f"    _set(self, {name!r}, _factory_{index}() if {name} is _MISSING else {name})")
        else:
            parameters.append(name)
            lines.append(f"    _set(self, {name!r}, {name})")
    source = f"def __init__(self, {', '.join(parameters)}):\n" + ("\n".join(lines) or "    pass") + "\n"
    exec(source, namespace)
    init: Callable[..., None] = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    return init


def _repr(self: Any, shown: tuple[str, ...]) -> str:
    inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in shown)
    return f"{type(self).__qualname__}({inner})"


def _equal(left: tuple[Any, ...], right: tuple[Any, ...]) -> bool:
    return left == right


def _less(left: tuple[Any, ...], right: tuple[Any, ...]) -> bool:
    return left < right


def _at_most(left: tuple[Any, ...], right: tuple[Any, ...]) -> bool:
    return left <= right


def _greater(left: tuple[Any, ...], right: tuple[Any, ...]) -> bool:
    return left > right


def _at_least(left: tuple[Any, ...], right: tuple[Any, ...]) -> bool:
    return left >= right


def _getter(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """The fields' values as a tuple (operator.attrgetter: in C, as fast as dataclasses' generated comparisons)."""
    if not names:
        return lambda _value: ()
    get = attrgetter(*names)
    return get if len(names) > 1 else lambda value: (get(value),)


def _compare(self: Any, other: Any, key: Callable[[Any], tuple[Any, ...]], operator: Callable[[Any, Any], bool]) -> Any:
    """As dataclasses compare: field tuples of the same class; another class is NotImplemented."""
    if other.__class__ is not self.__class__:
        return NotImplemented
    return operator(key(self), key(other))


def _ordering(key: Callable[[Any], tuple[Any, ...]], operator: Callable[[Any, Any], bool]) -> Callable[[Any, Any], Any]:
    return lambda self, other: _compare(self, other, key, operator)


def _refuse(self: Any, name: str, value: Any) -> None:
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _refuse_delete(self: Any, name: str) -> None:
    raise FrozenInstanceError(f"cannot delete field {name!r}")


def is_record(value: Any) -> bool:
    """Is `value` a record class or an instance of one?"""
    return hasattr(value if isinstance(value, type) else type(value), _FIELDS)


def fields(value: Any) -> tuple[Field, ...]:
    """The fields of a record class or instance, in order."""
    found: tuple[Field, ...] | None = getattr(value if isinstance(value, type) else type(value), _FIELDS, None)
    if found is None:
        raise TypeError(f"{value!r} is not a record")
    return found


def replace(value: T, /, **changes: Any) -> T:
    """A copy of the record `value` with `changes` (unknown names are a TypeError, as for dataclasses.replace)."""
    current = {spec.name: getattr(value, spec.name) for spec in fields(value)}
    unknown = set(changes) - set(current)
    if unknown:
        raise TypeError(f"{type(value).__qualname__} has no field {sorted(unknown)[0]!r}")
    current.update(changes)
    return type(value)(**current)


def asdict(value: Any) -> dict[str, Any]:
    """The record as a dict, records, lists, tuples and dicts inside it converted too (as dataclasses.asdict)."""
    converted: dict[str, Any] = _plain(value)
    return converted


def _plain(value: Any) -> Any:
    if is_record(value) and not isinstance(value, type):
        return {spec.name: _plain(getattr(value, spec.name)) for spec in fields(value)}
    if isinstance(value, list | tuple):
        items = [_plain(item) for item in value]
        return type(value)(items) if not hasattr(value, "_fields") else type(value)(*items)
    if isinstance(value, dict):
        return {_plain(key): _plain(item) for key, item in value.items()}
    return value
