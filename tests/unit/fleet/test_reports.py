"""Reading node reports into pools: identical facts share a pool whatever names one machine; bad lines are one
error naming the file and line; failed nodes are kept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlenv.errors import InputError
from dlenv.fleet.reports import read_fleet
from dlenv.host.serialize import host_to_json
from tests.unit.fleet.fleet_data import host, lines_of, write_reports

H100 = ("550.90.07", ("H100",) * 2, "3.11")
A100 = ("535.104.05", ("A100",) * 2, "3.11")


def test_nodes_with_the_same_facts_share_a_pool_despite_their_own_gpu_uuids(tmp_path: Path) -> None:
    reports = write_reports(tmp_path / "r.jsonl", {"a": H100, "b": H100, "c": A100, "d": "timed out"})
    uuids = {json.dumps(line["host"]["gpus"][0]["uuid"]) for line in lines_of(reports) if "host" in line}
    assert len(uuids) == 3
    fleet = read_fleet([reports])
    assert [(p.pool_id, p.nodes) for p in fleet.pools] == [("pool-1", ["a", "b"]), ("pool-2", ["c"])]
    assert [(f.node, f.error) for f in fleet.failed] == [("d", "timed out")]
    assert fleet.node_count == 4
    # the pool keeps the facts' own origin (probed), not the reports file's name
    assert fleet.pools[0].host.origin == "probe"


def test_a_differing_fact_splits_the_pool(tmp_path: Path) -> None:
    other_python = ("550.90.07", ("H100",) * 2, "3.12")
    fleet = read_fleet([write_reports(tmp_path / "r.jsonl", {"a": H100, "b": other_python})])
    assert len(fleet.pools) == 2


def test_the_same_facts_in_another_spelling_join_the_pool(tmp_path: Path) -> None:
    reports = write_reports(tmp_path / "r.jsonl", {"a": H100})
    record = lines_of(reports)[0]
    record["node"] = "b"
    with reports.open("a", encoding="utf-8") as out:
        out.write(json.dumps(record, indent=None, sort_keys=True) + "\n")  # not report_line's spelling
    fleet = read_fleet([reports])
    assert [p.nodes for p in fleet.pools] == [["a", "b"]]


def test_a_probe_file_is_one_node_named_after_it(tmp_path: Path) -> None:
    probe = tmp_path / "gpu07.json"
    probe.write_text(host_to_json(host(*H100)), encoding="utf-8")
    fleet = read_fleet([probe])
    assert fleet.pools[0].nodes == ["gpu07"]


@pytest.mark.parametrize(
    ("line", "where", "problem"),
    [
        ("{not json", "line 2", "not valid JSON"),
        ('{"schema_version": 9, "node": "x", "source": "s", "error": "e"}', "line 2: schema_version", "not supported"),
        ('{"schema_version": 1, "node": "", "source": "s", "error": "e"}', "line 2: node", "non-empty"),
        ('{"schema_version": 1, "node": "x", "source": "s"}', "line 2", "either host or error"),
        ('{"schema_version": 1, "node": "a", "source": "s", "error": "e"}', "line 2", "reported twice"),
    ],
)
def test_a_bad_line_is_one_error_naming_file_and_line(tmp_path: Path, line: str, where: str, problem: str) -> None:
    reports = write_reports(tmp_path / "r.jsonl", {"a": H100})
    with reports.open("a", encoding="utf-8") as out:
        out.write(line + "\n")
    with pytest.raises(InputError) as raised:
        read_fleet([reports])
    assert raised.value.path == str(reports) and raised.value.where == where and problem in raised.value.problem


def test_a_bad_field_in_a_pooled_node_is_still_caught(tmp_path: Path) -> None:
    reports = write_reports(tmp_path / "r.jsonl", {"a": H100})
    record = lines_of(reports)[0]
    record["node"] = "b"
    record["host"]["gpus"][0]["uuid"] = 7
    with reports.open("a", encoding="utf-8") as out:
        out.write(json.dumps(record) + "\n")
    with pytest.raises(InputError, match=r"line 2: host:gpus\[0\]\.uuid: expected str"):
        read_fleet([reports])


def test_a_missing_reports_file_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read reports"):
        read_fleet([tmp_path / "absent.jsonl"])


KINDS: tuple[tuple[str, tuple[str, ...], str], ...] = (H100, A100, ("470.82.01", ("V100",) * 2, "3.10"))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    nodes=st.dictionaries(
        st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=12),
        st.one_of(st.sampled_from(range(len(KINDS))), st.text(min_size=1, max_size=20)),
        min_size=1,
        max_size=12,
    )
)
def test_every_node_lands_in_exactly_one_pool_of_its_own_facts(tmp_path: Path, nodes: dict[str, int | str]) -> None:
    """Whatever the names (quotes, unicode, JSON-looking text), each node is kept once, in the pool of its facts."""
    described: dict[str, tuple[str, tuple[str, ...], str] | str] = {
        name: KINDS[kind] if isinstance(kind, int) else kind for name, kind in nodes.items()
    }
    fleet = read_fleet([write_reports(tmp_path / "h.jsonl", described)])
    assert fleet.node_count == len(nodes)
    assert sorted(f.node for f in fleet.failed) == sorted(n for n, k in nodes.items() if isinstance(k, str))
    assert len(fleet.pools) == len({k for k in nodes.values() if isinstance(k, int)})
    for pool in fleet.pools:
        assert len({nodes[node] for node in pool.nodes}) == 1
