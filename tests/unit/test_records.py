"""dlenv.records behaves as dataclasses do for what dlenv uses, and defines classes without importing inspect."""

from __future__ import annotations

import dataclasses
import pickle
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dlenv import records


@records.record
class Point:
    x: int
    y: int = 0
    tags: tuple[str, ...] = ()
    notes: list[str] = records.field(default_factory=list, compare=False, repr=False)


@records.record
class Labelled(Point):
    label: str = "p"


@records.record(order=True)
class Ordered:
    major: int
    minor: int | None = None


@records.record(eq=False)
class ByIdentity:
    value: int


@records.record(frozen=False)
class Mutable:
    value: int


@dataclasses.dataclass(frozen=True)
class PointDataclass:
    x: int
    y: int = 0
    tags: tuple[str, ...] = ()
    notes: list[str] = dataclasses.field(default_factory=list, compare=False, repr=False)


@given(st.integers(), st.integers(), st.integers(), st.integers())
def test_equality_hash_and_repr_are_dataclasses(a: int, b: int, c: int, d: int) -> None:
    left, right = Point(a, b), Point(c, d)
    left_dc, right_dc = PointDataclass(a, b), PointDataclass(c, d)
    assert (left == right) == (left_dc == right_dc)
    assert (hash(left) == hash(Point(a, b))) and repr(left).replace("Point", "PointDataclass") == repr(left_dc)


def test_defaults_factories_and_compare_false() -> None:
    first, second = Point(1), Point(1)
    assert first.notes == [] and first.notes is not second.notes  # one list per instance
    second.notes.append("x")
    assert first == second  # notes take no part in ==
    assert Point(1, 2, ("a",)) == Point(x=1, y=2, tags=("a",))
    with pytest.raises(TypeError):
        Point()  # type: ignore[call-arg]


def test_frozen_replace_fields_and_asdict() -> None:
    point = Point(1, 2)
    with pytest.raises(records.FrozenInstanceError):
        point.x = 3  # type: ignore[misc]
    moved = records.replace(point, y=5)
    assert moved == Point(1, 5) and point == Point(1, 2)
    with pytest.raises(TypeError):
        records.replace(point, z=1)
    assert [field.name for field in records.fields(Labelled)] == ["x", "y", "tags", "notes", "label"]
    assert records.asdict(Labelled(1, tags=("a",))) == {"x": 1, "y": 0, "tags": ("a",), "notes": [], "label": "p"}
    assert records.is_record(point) and records.is_record(Point) and not records.is_record(PointDataclass(1))


def test_another_class_is_not_equal_and_order_is_by_fields() -> None:
    assert Point(1) != Labelled(1) and Point(1) != (1, 0, ())  # type: ignore[comparison-overlap]
    assert Ordered(11, 8) < Ordered(12, 0) and sorted([Ordered(12, 1), Ordered(11)]) == [Ordered(11), Ordered(12, 1)]
    assert ByIdentity(1) != ByIdentity(1) and len({ByIdentity(1), ByIdentity(1)}) == 2
    mutable = Mutable(1)
    mutable.value = 2
    assert mutable == Mutable(2)
    with pytest.raises(TypeError):
        hash(mutable)


def test_records_pickle() -> None:
    point = Labelled(3, 4, ("t",))
    assert pickle.loads(pickle.dumps(point)) == point


def test_a_required_field_after_a_default_is_refused() -> None:
    with pytest.raises(TypeError, match="non-default field"):

        @records.record
        class Broken:
            x: int = 0
            y: int  # type: ignore[misc]


def test_defining_records_imports_neither_dataclasses_nor_inspect() -> None:
    code = "import sys, dlenv.host.model, dlenv.records; print(sorted({'dataclasses', 'inspect'} & set(sys.modules)))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "[]\n"
