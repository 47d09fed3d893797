"""dlenv.matrix.refresh: the pure merge over plain documents and facts, and the policy read from `family.refresh`."""

from __future__ import annotations

import copy
import datetime
from pathlib import Path
from typing import Any

import pytest
from packaging.version import Version

from dlenv import records
from dlenv.index.wheels import CudaStack
from dlenv.matrix.canonical import load_yaml_file
from dlenv.matrix.load import load_matrix
from dlenv.matrix.model import FrameworkFamily, RefreshPolicy, RefreshScope
from dlenv.matrix.refresh.merge import IndexFacts, ReleaseFacts, WheelFacts, coverage, merge
from dlenv.matrix.refresh.run import MatrixFile, policy_for, refresh_policies
from dlenv.matrix.schemas import default_schemas
from dlenv.matrix.validate import schema_problems

ROOT = Path(__file__).resolve().parents[3]
TODAY = datetime.date(2026, 11, 24)
POLICY = RefreshPolicy(
    release_projects=("torch",),
    python_projects=("torch",),
    companions=("torchvision",),
    default_build="torch",
    scope=RefreshScope(min_version="2.0"),
)
WHEEL = WheelFacts("torch-2.9.1-cp312-cp312-manylinux_2_28_x86_64.whl", "2.9.1", "2.28")
STACK = CudaStack(cuda="12.8", cudnn="9.10.2.21", nccl="2.27.5")


def release(text: str, **fields: Any) -> ReleaseFacts:
    values: dict[str, Any] = {
        "first_upload": datetime.date(2025, 11, 12),
        "released": datetime.date(2025, 11, 12),
        "pythons": ("3.12", "3.13"),
        "citation": f"index:torch/{text}",
        "released_citation": f"index:torch/{text}",
        "python_citation": f"index:torch/{text}",
    }
    return ReleaseFacts(text, **(values | fields))


def document(*releases: dict[str, Any], builds: tuple[dict[str, Any], ...] = ()) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "matrix_version": "2026.01.01",
        "subject": "pytorch",
        "releases": list(releases),
        "builds": list(builds),
    }


ROW_280 = {"version": "2.8.0", "released": "2025-08-06", "python": ["3.12"], "source": ["index:torch/2.8.0"]}
BUILD_280 = {
    "release": "2.8.0",
    "build": "cu128",
    "packages": ["torch"],
    "accelerator": "cuda",
    "cuda": "12.8",
    "sass": ["8.0", "9.0"],
    "platforms": ["linux-x86_64"],
    "glibc": "2.17",
    "default_on": ["linux-x86_64"],
    "notes": "curated build note",
    "source": ["https://example.invalid/build-notes/2.8.0"],
}


def complete(*releases: ReleaseFacts) -> IndexFacts:
    """Facts with every detail a merge may want already read (a default stack, torchvision 0.24.1 everywhere)."""
    stacks = {r.build_wheel.filename: STACK for r in releases if r.build_wheel is not None}
    companions: dict[tuple[str, str], str | None] = {("torchvision", r.text): "0.24.1" for r in releases}
    return IndexFacts(releases, stacks=stacks, companions=companions)


# ---------------------------------------------------------------------------------------------------- pure merge


def test_a_new_release_gets_a_release_row_and_a_default_build() -> None:
    current = document(ROW_280)
    before = copy.deepcopy(current)
    result = merge(current, complete(release("2.8.0"), release("2.9.1", build_wheel=WHEEL)), POLICY, TODAY)
    assert current == before  # pure: the input document is not changed
    assert result.coverage.missing == ["2.9.1"]
    assert not result.wanted
    new = result.document["releases"][1]
    assert new == {
        "version": "2.9.1",
        "python": ["3.12", "3.13"],
        "source": ["index:torch/2.9.1", "index:torchvision/0.24.1"],
        "released": "2025-11-12",
        "companions": {"torchvision": "0.24.1"},
    }
    assert result.document["builds"] == [
        {
            "release": "2.9.1",
            "build": "cu128",
            "packages": ["torch"],
            "accelerator": "cuda",
            "cuda": "12.8",
            "platforms": ["linux-x86_64"],
            "default_on": ["linux-x86_64"],
            "source": [f"index:torch/2.9.1/{WHEEL.filename}"],
            "cudnn": "9.10.2.21",
            "nccl": "2.27.5",
            "glibc": "2.28",
        }
    ]
    assert result.changes.added == ["2.9.1"] and result.changes.added_builds == ["2.9.1/cu128"]
    assert "pytorch 2.9.1: new release" in result.changes.updated
    assert result.document["matrix_version"] == "2026.11.24"


def test_index_derived_fields_are_updated_and_cited() -> None:
    facts = complete(release("2.8.0", released=datetime.date(2025, 8, 7), pythons=("3.12", "3.13"), build_wheel=WHEEL))
    result = merge(document(ROW_280, builds=(BUILD_280,)), facts, POLICY, TODAY)
    row = result.document["releases"][0]
    assert row["released"] == "2025-08-07" and row["python"] == ["3.12", "3.13"]
    build = result.document["builds"][0]
    assert (build["glibc"], build["cudnn"], build["nccl"]) == ("2.28", "9.10.2.21", "2.27.5")
    assert build["source"][-1] == f"index:torch/2.9.1/{WHEEL.filename}"
    assert "pytorch 2.8.0: python ['3.12'] -> ['3.12', '3.13']" in result.changes.updated
    assert "pytorch 2.8.0 build cu128: glibc '2.17' -> '2.28'" in result.changes.updated


def test_curated_fields_are_kept() -> None:
    curated = ROW_280 | {"notes": "curated release note", "companions": {"torchvision": "0.23.0"}}
    other = copy.deepcopy(BUILD_280) | {
        "build": "cu126",
        "cuda": "12.6",
        "default_on": [],
        "index_url": "https://example.invalid/",
    }
    facts = complete(release("2.8.0", pythons=("3.12",), released=datetime.date(2025, 8, 6), build_wheel=WHEEL))
    result = merge(document(curated, builds=(BUILD_280, other)), facts, POLICY, TODAY)
    row = result.document["releases"][0]
    assert row["notes"] == "curated release note"
    assert row["companions"] == {"torchvision": "0.23.0"}  # a companion already there is never replaced
    build = result.document["builds"][0]
    assert build["sass"] == ["8.0", "9.0"] and build["notes"] == "curated build note"
    assert result.document["builds"][1] == other  # not the default Linux build: untouched


def test_out_of_scope_and_pre_releases_are_skipped() -> None:
    facts = complete(release("1.13.1"), release("2.10.0rc1"), release("2.8.0", pythons=("3.12",)))
    result = merge(document(), facts, POLICY, TODAY)
    assert [row["version"] for row in result.document["releases"]] == ["2.8.0"]
    assert result.coverage.missing == ["2.8.0"]
    windowed = records.replace(POLICY, scope=RefreshScope(since=datetime.date(2025, 12, 1)))
    assert merge(document(), facts, windowed, TODAY).document["releases"] == []


def test_missing_details_are_wanted_not_guessed() -> None:
    facts = IndexFacts((release("2.9.1", build_wheel=WHEEL),))
    first = merge(document(), facts, POLICY, TODAY)
    assert first.wanted.wheels == [("pytorch 2.9.1", WHEEL)]
    assert first.wanted.companions == [("torchvision", "2.9.1")]
    assert first.document["builds"] == [] and "companions" not in first.document["releases"][0]
    second = merge(document(), complete(*facts.releases), POLICY, TODAY)
    assert not second.wanted and second.document["builds"]


def test_releases_needing_a_curator_are_not_added() -> None:
    no_pythons = release("2.9.1", pythons=())
    no_cuda = release("2.9.0", build_wheel=WHEEL)
    facts = records.replace(complete(no_pythons, no_cuda), stacks={WHEEL.filename: CudaStack()})
    result = merge(document(), facts, POLICY, TODAY)
    assert [row["version"] for row in result.document["releases"]] == ["2.9.0"]
    assert result.document["builds"] == []
    assert result.changes.needs_curation == [
        "2.9.0: default Linux build pins no CUDA runtime",
        "2.9.1: Python list not derivable from wheel tags; not added",
    ]


def test_yanked_releases_are_marked_and_never_required() -> None:
    yanked = release("2.8.0", released=datetime.date(2025, 8, 6), pythons=("3.12",), yanked=True)
    result = merge(document(ROW_280), complete(yanked, release("2.9.1", yanked=True)), POLICY, TODAY)
    assert result.coverage.missing == []
    (row,) = result.document["releases"]
    assert row["yanked"] is True and row["version"] == "2.8.0"


def test_coverage_names_rows_the_index_does_not_have() -> None:
    found = coverage(document(ROW_280, {"version": "2.5.0"}), complete(release("2.8.0")), POLICY)
    assert found.not_on_index == ["2.5.0"] and found.missing == []


def test_a_merged_document_merges_to_itself() -> None:
    facts = complete(release("2.8.0", build_wheel=WHEEL), release("2.9.1", build_wheel=WHEEL))
    once = merge(document(ROW_280, builds=(BUILD_280,)), facts, POLICY, TODAY)
    twice = merge(once.document, facts, POLICY, TODAY)
    assert twice.document == once.document and twice.changes.updated == []


# ---------------------------------------------------------------------------------------------------- policy


def test_the_policy_is_read_from_the_family_block() -> None:
    family = FrameworkFamily.from_dict(
        {
            "refresh": {
                "release_projects": ["cudf-cu12"],
                "python_projects": [],
                "series": True,
                "released_projects": ["dask-cuda"],
                "scope": {"min_version": "21.06", "since": "2023-11-01", "extra_series": ["1.15"]},
            },
            "source": ["index:cudf-cu12/24.8.0"],
        }
    )
    policy = family.refresh
    assert policy is not None
    assert policy.series and policy.dated_by == ("dask-cuda",) and policy.build_package == "cudf-cu12"
    assert policy.scope == RefreshScope("21.06", ("1.15",), datetime.date(2023, 11, 1))
    assert FrameworkFamily.from_dict({"source": ["index:x/1"]}).refresh is None
    assert RefreshPolicy(("torch",)).dated_by == ("torch",)


@pytest.mark.parametrize(
    ("version", "released", "expected"),
    [("1.15.5", None, True), ("1.14.0", None, False), ("2.0.0", None, True), ("2.1.0.dev1", None, False)],
)
def test_scope_floor_with_an_extra_series(version: str, released: datetime.date | None, expected: bool) -> None:
    assert RefreshScope(min_version="2.0", extra_series=("1.15",)).covers(Version(version), released) is expected


def test_every_shipped_framework_file_carries_its_policy() -> None:
    policies = refresh_policies(load_matrix())
    for subject, policy in policies.items():
        doc = load_yaml_file(ROOT / "matrices" / f"{subject}.yaml")
        assert FrameworkFamily.from_dict(doc["family"]).refresh == policy, subject
    assert policies["pytorch"].companions == ("torchvision", "torchaudio")
    assert policies["rapids"].python_projects == ()


def test_the_files_own_block_wins_over_the_shipped_policy() -> None:
    shipped = RefreshPolicy(("torch",), scope=RefreshScope(min_version="1.8"))
    own = {"refresh": {"release_projects": ["torch"], "python_projects": ["torch"], "scope": {"min_version": "3"}}}
    with_block = MatrixFile(Path("pytorch.yaml"), "", document() | {"family": own | {"source": ["index:torch/3"]}})
    assert policy_for(with_block, shipped).scope.min_version == "3"
    assert policy_for(MatrixFile(Path("pytorch.yaml"), "", document()), shipped) is shipped


@pytest.mark.parametrize(
    ("refresh", "problem"),
    [
        ({"python_projects": []}, "release_projects"),
        ({"release_projects": ["torch"], "python_projects": [], "floor": "1.8"}, "floor"),
        ({"release_projects": ["torch"], "python_projects": [], "scope": {"since": "November"}}, "since"),
    ],
)
def test_the_schema_checks_the_refresh_block(refresh: dict[str, Any], problem: str) -> None:
    good = {"release_projects": ["torch"], "python_projects": ["torch"], "scope": {"since": "2023-11-01"}}
    doc = document() | {"family": {"refresh": good, "source": ["index:torch/2.9.1"]}}
    assert schema_problems(doc, "pytorch.yaml", default_schemas()) == []
    doc["family"]["refresh"] = refresh
    problems = schema_problems(doc, "pytorch.yaml", default_schemas())
    assert problems and problem in str(problems[0])
