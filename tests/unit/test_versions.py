"""Property tests for the version spellings of the CUDA world."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dlenv.versions import (
    ComputeCapability,
    CudaVersion,
    canonical_name,
    parse_compute_capability,
    parse_cuda,
    parse_driver,
    parse_version,
    sortable_version,
)

majors = st.integers(min_value=1, max_value=99)
minors = st.integers(min_value=0, max_value=9)


@given(majors, minors, st.integers(min_value=0, max_value=999))
def test_dotted_versions(major: int, minor: int, patch: int) -> None:
    assert parse_cuda(f"{major}.{minor}") == CudaVersion(major, minor)
    assert parse_cuda(f"{major}.{minor}.{patch}") == CudaVersion(major, minor)


@given(st.integers(min_value=10, max_value=19), minors)
def test_torch_tags(major: int, minor: int) -> None:
    assert parse_cuda(f"cu{major}{minor}") == CudaVersion(major, minor)


@given(st.integers(min_value=10, max_value=19))
def test_major_only_tags(major: int) -> None:
    for spelling in (f"cuda{major}x", f"cu{major}", f"cuda{major}"):
        assert parse_cuda(spelling) == CudaVersion(major)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("cu92", CudaVersion(9, 2)),
        ("cuda102", CudaVersion(10, 2)),
        ("cu130", CudaVersion(13, 0)),
        ("cuda13x", CudaVersion(13)),
        ("rocm6.1", None),
        ("cpu", None),
        ("", None),
    ],
)
def test_spellings(text: str, expected: CudaVersion | None) -> None:
    assert parse_cuda(text) == expected


@given(
    st.lists(st.integers(min_value=0, max_value=999), min_size=1, max_size=3),
    st.lists(st.integers(min_value=0, max_value=999), min_size=1, max_size=3),
)
def test_driver_order_is_numeric(left: list[int], right: list[int]) -> None:
    a = parse_driver(".".join(map(str, left)))
    b = parse_driver(".".join(f"{part:02d}" for part in right))
    assert a is not None and b is not None
    assert (a < b) == (tuple(left) < tuple(right))


@given(st.integers(min_value=1, max_value=12), minors)
def test_compute_capability_spellings_agree(major: int, minor: int) -> None:
    expected = f"{major}.{minor}"
    for spelling in (
        expected,
        f"sm_{major}{minor}",
        f"sm{major}{minor}",
        f"compute_{major}{minor}",
        f"{expected}a",
        f"sm_{major}{minor}a",
    ):
        assert parse_compute_capability(spelling) == expected


def test_not_versions() -> None:
    assert parse_driver("latest") is None
    assert parse_compute_capability("Hopper") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("9.0a", ComputeCapability(9, 0, "a")),
        ("10.0f", ComputeCapability(10, 0, "f")),
        ("SM_90A", ComputeCapability(9, 0, "a")),
        ("sm_120", ComputeCapability(12, 0)),
        ("compute_100f", ComputeCapability(10, 0, "f")),
        (" 8.6 ", ComputeCapability(8, 6)),
        ("8.6b", None),
        ("sm_8.6", None),
        ("86", None),
        ("9" * 5000 + ".0", None),
    ],
)
def test_a_target_keeps_its_suffix(text: str, expected: ComputeCapability | None) -> None:
    parsed = ComputeCapability.parse(text)
    assert parsed == expected
    assert parse_compute_capability(text) == (expected.plain if expected else None)


def test_capabilities_sort_numerically() -> None:
    assert str(ComputeCapability(9, 0, "a")) == "9.0a"
    assert ComputeCapability.parse("9.0") < ComputeCapability.parse("10.0")  # type: ignore[operator]


def test_a_bare_driver_branch_sorts_before_every_release_of_it() -> None:
    # NVIDIA's tables write floors as a branch ('>= 580'); as a host's driver, '535' is judged as the earliest 535
    branch, release = parse_driver("535"), parse_driver("535.43.02")
    assert branch == (535,) and release is not None and branch < release < (536,)
    assert parse_driver("535.104.05.1") is None and parse_driver("535.") is None


def test_sortable_versions() -> None:
    assert sorted(["2.10.0", "2.9.1", "nightly", "2.10.0rc1"], key=sortable_version) == [
        "nightly",
        "2.9.1",
        "2.10.0rc1",
        "2.10.0",
    ]
    assert parse_version("not a version") is None and parse_version("1" * 5000) is None


@given(st.text(alphabet=st.sampled_from("aZ09-_.~ +é"), max_size=30))
def test_canonical_name_is_packagings_rule(name: str) -> None:
    from packaging.utils import canonicalize_name

    assert canonical_name(name) == canonicalize_name(name)
