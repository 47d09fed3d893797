"""The fleet answer is the engine's answer, pool by pool: the same verdicts as checking each node alone, the same
release as `dlenv resolve` for a one-pool fleet, the best release over all pools (not a shortcut's), and what is
not covered said as a warning that --strict fails."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlenv.compat.check import check
from dlenv.compat.requirements import from_arguments
from dlenv.compat.resolve import resolve
from dlenv.fleet.answer import _score, fleet_check, fleet_resolve, pinned, releases_of
from dlenv.fleet.labels import reports_from_node_list
from dlenv.fleet.reports import FleetReader, read_fleet, report_line
from tests.unit.fleet.fleet_data import host, matrix, write_reports
from tests.unit.fleet.gfd_nodes import node_list

KINDS = {
    "h100": ("550.90.07", ("H100",) * 2, "3.11"),
    "a100": ("535.104.05", ("A100",) * 2, "3.11"),
    "a100-old": ("535.54.03", ("A100",) * 2, "3.11"),
    "v100": ("470.82.01", ("V100",) * 2, "3.10"),
    "t4": ("525.60.13", ("T4",), "3.12"),
    "l4": ("570.86.15", ("L4",), "3.12"),
}


def _fleet(tmp_path: Path, nodes: dict[str, tuple[str, tuple[str, ...], str] | str]):  # type: ignore[no-untyped-def]
    return read_fleet([write_reports(tmp_path / "r.jsonl", nodes)])


@pytest.mark.parametrize("requirement", ["torch==2.5.1", "torch==2.8.0", "jax[cuda12]==0.4.30", "cupy-cuda12x"])
def test_each_pool_gets_the_verdict_its_nodes_get_alone(tmp_path: Path, requirement: str) -> None:
    fleet = _fleet(tmp_path, {f"{kind}-{i}": facts for kind, facts in KINDS.items() for i in range(2)})
    answer = fleet_check(fleet, matrix(), from_arguments([requirement]))
    assert len(answer.verdicts) == len(KINDS)
    for verdict in answer.verdicts:
        kind = verdict.pool.nodes[0].rsplit("-", 1)[0]
        alone = check(host(*KINDS[kind]), matrix(), from_arguments([requirement]))
        assert verdict.cells[requirement].status == alone.results[0].status, kind
        assert verdict.compatible == alone.compatible
    assert answer.compatible == all(v.compatible for v in answer.verdicts)


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("framework", ["torch", "jax", "tensorflow"])
def test_a_one_pool_fleet_resolves_like_dlenv_resolve(tmp_path: Path, kind: str, framework: str) -> None:
    answer = fleet_resolve(_fleet(tmp_path, {"n": KINDS[kind]}), matrix(), from_arguments([framework]))
    alone = resolve(host(*KINDS[kind]), matrix(), from_arguments([framework]))
    chosen = alone.targets[0].chosen
    assert answer.stack == ((framework, chosen.candidate.release.version if chosen else None),)


def test_the_fleet_release_is_the_best_over_every_pool(tmp_path: Path) -> None:
    fleet = _fleet(tmp_path, dict(KINDS.items()))
    requirement = from_arguments(["torch"])[0]
    answer = fleet_resolve(fleet, matrix(), [requirement])
    # brute force: every release judged on every pool, no pruning
    from dlenv.fleet.answer import _resolution_cell

    scores = {}
    for release in releases_of(matrix(), requirement):
        cells = [
            _resolution_cell(resolve(p.host, matrix(), [pinned(requirement, release)]), 0, p.host) for p in fleet.pools
        ]
        scores[release] = _score(cells, release, [p.size for p in fleet.pools])
    best = max(scores, key=lambda release: scores[release])
    assert answer.stack == (("torch", best),)
    assert all(v.compatible for v in answer.verdicts)


def test_blockers_name_the_nodes_and_what_unblocks_them(tmp_path: Path) -> None:
    fleet = _fleet(tmp_path, {"h1": KINDS["h100"], "h2": KINDS["h100"], "v1": KINDS["v100"]})
    answer = fleet_resolve(fleet, matrix(), from_arguments(["torch"]))
    (release,) = [r for _, r in answer.stack]
    assert release is not None
    newer = [b for b in answer.blockers if b.column.release != release]
    assert newer and all(b.column.release != release for b in answer.blockers)
    v100 = [b for b in answer.blockers if b.nodes == ("v1",)]
    assert v100, "the V100 node holds the fleet back"
    assert any(b.kind in ("driver", "gpu") and b.unblock for b in v100)
    newest = releases_of(matrix(), from_arguments(["torch"])[0])[0]
    assert {c.release for c in answer.columns} >= {newest, release}


def test_drift_is_the_nodes_off_their_hardwares_common_driver(tmp_path: Path) -> None:
    fleet = _fleet(tmp_path, {"a1": KINDS["a100"], "a2": KINDS["a100"], "a3": KINDS["a100-old"], "h": KINDS["h100"]})
    answer = fleet_check(fleet, matrix(), from_arguments(["torch==2.5.1"]))
    (drift,) = answer.drift
    assert drift.expected == "535.104.05" and drift.drifted == ("a3",)
    assert drift.drivers == (("535.104.05", 2), ("535.54.03", 1))


def test_unreported_nodes_are_a_warning_that_strict_fails(tmp_path: Path) -> None:
    fleet = _fleet(tmp_path, {"h1": KINDS["h100"], "down": "not probed: sinfo state down"})
    answer = fleet_check(fleet, matrix(), from_arguments(["torch==2.5.1"]))
    assert answer.compatible and answer.exit_code() == 0
    assert answer.exit_code(strict=True) == 1
    assert [n.code for n in answer.notes] == ["nodes_unreported"] and "down" in answer.notes[0].message


def test_an_incompatible_pool_fails_the_fleet(tmp_path: Path) -> None:
    fleet = _fleet(tmp_path, {"h1": KINDS["h100"], "v1": KINDS["v100"]})
    answer = fleet_check(fleet, matrix(), from_arguments(["torch==2.8.0+cu128"]))
    assert not answer.compatible and answer.exit_code() == 1
    assert [b.nodes for b in answer.blockers] == [("v1",)]


def test_a_fleet_without_any_facts_is_never_compatible(tmp_path: Path) -> None:
    answer = fleet_check(_fleet(tmp_path, {"x": "timed out"}), matrix(), from_arguments(["torch==2.5.1"]))
    assert not answer.compatible and answer.exit_code() == 1


def test_label_only_nodes_are_unverified_python(tmp_path: Path) -> None:
    reports = tmp_path / "k.jsonl"
    reports.write_text("".join(report_line(r) for r in reports_from_node_list(node_list(), "t")), encoding="utf-8")
    reader = FleetReader()
    reader.add_file(reports)
    answer = fleet_resolve(reader.fleet(), matrix(), from_arguments(["torch"]))
    codes = [n.code for n in answer.notes]
    assert codes == ["nodes_unreported", "facts_from_labels"]
    assert answer.exit_code(strict=True) == 1


def test_judging_pools_in_forked_workers_gives_the_same_answer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    from dlenv.fleet import answer as module

    fleet = _fleet(tmp_path, dict(KINDS.items()))
    requirements = from_arguments(["torch==2.5.1"])
    alone = fleet_check(fleet, matrix(), requirements)
    alone_resolve = fleet_resolve(fleet, matrix(), from_arguments(["torch"]))
    if threading.active_count() > 1:
        pytest.skip("another thread runs in this test process: dlenv judges pools in this process then")
    monkeypatch.setattr(module, "PARALLEL_FROM", 2)
    forked = fleet_check(fleet, matrix(), requirements)
    assert [v.cells for v in forked.verdicts] == [v.cells for v in alone.verdicts]
    assert fleet_resolve(fleet, matrix(), from_arguments(["torch"])).stack == alone_resolve.stack


def test_a_pool_no_gpu_build_can_use_does_not_pull_every_pool_to_cpu_builds(tmp_path: Path) -> None:
    # An RTX 5090 on driver 535 cannot run any CUDA build (Blackwell needs R570): its pool gets the CPU build at
    # every release, and the fleet's release is still one whose CUDA builds the other pools run: not the newest
    # release that runs at all, on which the V100 pool (driver 470) would fall to a CPU build as well.
    nodes: dict[str, tuple[str, tuple[str, ...], str] | str] = {
        "h1": KINDS["h100"],
        "v1": ("470.82.01", ("V100",), "3.11"),
        "b1": ("535.104.05", ("RTX 5090",), "3.11"),
    }
    fleet = _fleet(tmp_path, nodes)
    answer = fleet_resolve(fleet, matrix(), from_arguments(["torch"]))
    (release,) = [r for _, r in answer.stack]
    assert release is not None
    column = next(c for c in answer.columns if c.release == release)
    verdicts = {v.pool.nodes[0]: v.cells for v in answer.verdicts}
    for gpu_pool in ("h1", "v1"):
        cell = verdicts[gpu_pool][column.key]
        assert cell.gpu_build and "+cpu" not in (cell.label or ""), (gpu_pool, cell)
    assert not verdicts["b1"][column.key].gpu_build
