"""`show`, `stats` and `diff` as values."""

from __future__ import annotations

import copy
import datetime

import pytest

from dlenv.errors import InputError
from dlenv.matrix.model import Matrix
from dlenv.matrix.queries import diff, parse_query, show, stats
from dlenv.matrix.validate import validate_directory
from tests.unit.matrix.helpers import MINI


def test_parse_query() -> None:
    assert parse_query("pytorch==2.4.1") == ("pytorch", "2.4.1")
    assert parse_query(" RTX 4090 ") == ("RTX 4090", None)
    with pytest.raises(InputError, match="cannot read the query"):
        parse_query("pytorch==")


def test_show_a_framework_lists_releases_with_their_builds(mini_matrix: Matrix) -> None:
    result = show(mini_matrix, "pytorch")
    assert result.kind == "framework"
    assert [(row["version"], row["builds"]) for row in result.rows] == [
        ("2.4.1", ["cu118", "cu121", "cpu"]),
        ("2.5.1", ["cu121", "cu124"]),
    ]


def test_show_a_release_by_package_name(mini_matrix: Matrix) -> None:
    result = show(mini_matrix, "torch==2.5.1")
    assert result.kind == "framework-release" and result.title == "pytorch 2.5.1"
    assert [row["build"] for row in result.rows] == ["cu121", "cu124"]
    assert "python 3.9, 3.10, 3.11, 3.12" in result.notes[0]


def test_show_cuda_gpu_and_images(mini_matrix: Matrix) -> None:
    assert [row["version"] for row in show(mini_matrix, "cuda==12.4").rows] == ["12.4.0", "12.4.1"]
    assert [row["version"] for row in show(mini_matrix, "cuda==12").rows] == ["12.1.1", "12.3.2", "12.4.0", "12.4.1"]
    gpu = show(mini_matrix, "NVIDIA GeForce GTX 1080 Ti")
    assert gpu.kind == "gpu" and gpu.rows[0]["compute_capability"] == "6.1"
    assert gpu.rows[0]["last_driver_branch"] == "580"
    assert len(show(mini_matrix, "images").rows) == 2
    assert len(show(mini_matrix, "gpus").rows) == 5


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("pytorch==9.9", "VERSION: pytorch 9.9 is not in the matrix"),
        ("cuda==10.0", "VERSION: CUDA 10.0 is not in the matrix"),
        ("Voodoo", "NAME: 'Voodoo' is not a subject, package or GPU in the matrix"),
    ],
)
def test_show_unknown_names_and_versions(mini_matrix: Matrix, query: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        show(mini_matrix, query)
    assert str(caught.value).split(" (fix:")[0] == message


def test_stats_counts_rows_and_ages_the_data(mini_matrix: Matrix) -> None:
    value = stats(mini_matrix, today=datetime.date(2026, 11, 24))
    assert value.matrix_version == "2026.11.01" and value.age_days == 23
    by_subject = {entry.subject: entry for entry in value.subjects}
    assert by_subject["pytorch"].rows == {"releases": 2, "builds": 5}
    assert by_subject["pytorch"].newest_release == "2.5.1"
    assert by_subject["cuda"].rows == {"majors": 2, "toolkits": 5, "forward_compat": 1}
    assert by_subject["images"].rows == {"images": 2}
    assert value.total_rows == 36


def test_diff_reports_added_removed_and_changed_rows() -> None:
    old = validate_directory(MINI).merged.documents()
    new = copy.deepcopy(old)
    new["pytorch"]["builds"].pop(2)  # 2.4.1 cpu
    new["pytorch"]["builds"][0]["cudnn"] = "9.1.0.70"
    new["jax"]["releases"].append({"version": "0.4.36", "python": ["3.12"], "source": ["https://example.com"]})
    new["jax"]["matrix_version"] = "2026.11.20"
    value = diff(old, new)
    assert (value.old_version, value.new_version) == ("2026.11.01", "2026.11.20")
    assert [(c.subject, c.section, c.label, c.change) for c in value.changes] == [
        ("jax", "releases", "release 0.4.36", "added"),
        ("pytorch", "builds", "release 2.4.1, build cu118", "changed"),
        ("pytorch", "builds", "release 2.4.1, build cpu", "removed"),
    ]
    assert value.changes[1].fields == {"cudnn": (None, "9.1.0.70")}
    assert (value.count("added"), value.count("removed"), value.count("changed")) == (1, 1, 1)
    assert diff(old, old).changes == ()
