"""One answer for a fleet: the engine (`dlenv.compat.check.check`, `dlenv.compat.resolve.resolve`) judges each pool
of identical nodes once, and the pools' verdicts are combined.

`fleet_resolve` walks each framework's releases from the newest down and resolves every pool with the release
pinned; the fleet's release is the first, in the engine's own order (compatible, a GPU build where there are GPUs,
how the driver runs it — natively, then minor-version compatibility, then forward compatibility —, then newest),
that every pool runs. So a one-pool fleet gets what `dlenv resolve` says for that host. The releases walked above
it are the ones that blocked: each names the pools (nodes) that do not run it and what would unblock them.
"""

from __future__ import annotations

import os
import re
import threading
from collections import Counter
from typing import TYPE_CHECKING, Any

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from dlenv.compat.check import candidates_for, check, matches_requirement
from dlenv.compat.evaluate import driver_tier
from dlenv.compat.requirements import RequirementInput
from dlenv.compat.resolve import resolve
from dlenv.errors import InputError, verdict_exit_code
from dlenv.fleet.labels import LABEL_ORIGIN
from dlenv.host.model import Finding, Severity, has_errors, has_warnings
from dlenv.records import record
from dlenv.versions import canonical_name, sortable_version

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from packaging.version import Version

    from dlenv.compat.resolve import Resolution
    from dlenv.fleet.reports import FailedNode, Fleet, Pool
    from dlenv.host.model import HostFacts
    from dlenv.matrix.model import Matrix

# What a finding asks of a node, by code: a newer (or other) driver branch, or other GPUs.
DRIVER_CODES = frozenset(
    {
        "driver_too_old",
        "gpu_needs_newer_driver",
        "minor_version_compat",
        "forward_compat_required",
        "driver_unknown",
        "runtime_compiler_too_old",
        "no_driver",
    }
)
GPU_CODES = frozenset(
    {"gpu_arch_unsupported", "gpu_arch_newer_than_cuda", "gpu_unsupported_by_driver", "gpu_arch_ptx_only"}
)
NATIVE_TIER = 2
_WHY_NOT_CUDA = re.compile(r"do not run here \((\w+): (.*)\)\.$")


@record
class Column:
    """A grid column: a requirement (`fleet check`), or one release of a target (`fleet resolve`)."""

    key: str
    target: str
    release: str | None = None


@record
class Cell:
    status: str
    """ok, warning, incompatible or unknown (not in the matrix)."""
    label: str | None
    """The build the engine chose for the pool (torch==2.5.1+cu124)."""
    findings: tuple[Finding, ...]
    """Errors when incompatible, else warnings."""
    gpu_build: bool = True
    """False when a pool with GPUs only gets a CPU build."""
    tier: int = NATIVE_TIER


@record
class PoolVerdict:
    pool: Pool
    cells: dict[str, Cell]
    compatible: bool
    """The fleet's answer (its stack, or the checked requirements) runs on this pool."""
    conflicts: tuple[Finding, ...] = ()


@record
class Blocker:
    column: Column
    pool_id: str
    nodes: tuple[str, ...]
    kind: str
    """driver (a newer or other driver branch unblocks), gpu (the GPUs must retire) or other."""
    unblock: tuple[str, ...]
    codes: tuple[str, ...]


@record
class Drift:
    hardware: str
    drivers: tuple[tuple[str, int], ...]
    """(driver version, node count), most common first."""
    expected: str
    drifted: tuple[str, ...]


@record
class FleetAnswer:
    kind: str
    """check or resolve."""
    requirements: tuple[str, ...]
    matrix_version: str | None
    columns: tuple[Column, ...]
    verdicts: tuple[PoolVerdict, ...]
    stack: tuple[tuple[str, str | None], ...]
    """resolve: (target, release every node runs or None)."""
    failed: tuple[FailedNode, ...]
    notes: tuple[Finding, ...]
    """Fleet-level findings: nodes without a report, facts labels do not give, a stack with no joint answer."""
    blockers: tuple[Blocker, ...]
    drift: tuple[Drift, ...]

    @property
    def node_count(self) -> int:
        return sum(v.pool.size for v in self.verdicts) + len(self.failed)

    @property
    def compatible(self) -> bool:
        if not self.verdicts:
            return False
        if self.kind == "resolve" and any(release is None for _, release in self.stack):
            return False
        return all(v.compatible for v in self.verdicts) and not has_errors(self.notes)

    @property
    def has_warnings(self) -> bool:
        chosen = {c.key for c in self.chosen_columns()}
        cells = [cell for v in self.verdicts for key, cell in v.cells.items() if key in chosen]
        return has_warnings(self.notes) or any(c.status == "warning" for c in cells)

    def chosen_columns(self) -> tuple[Column, ...]:
        if self.kind == "check":
            return self.columns
        wanted = set(self.stack)
        return tuple(c for c in self.columns if (c.target, c.release) in wanted)

    def exit_code(self, *, strict: bool = False) -> int:
        """0 every node runs it, 1 some node does not (or, with strict, a warning: unreported nodes included)."""
        return verdict_exit_code(self.compatible, self.has_warnings, strict=strict)


def pool_label(host: HostFacts) -> str:
    """driver · GPUs · Python · OS/arch, in a few words."""
    driver = host.driver.version if host.driver and host.driver.version else "no driver"
    return f"driver {driver} · {hardware_label(host)} · Python {host.platform.python_version or '?'}"


def hardware_label(host: HostFacts) -> str:
    names = Counter(
        (gpu.name or (f"sm {gpu.compute_capability}" if gpu.compute_capability else "GPU"))
        + (f" (MIG, {len(gpu.mig_devices)} slices)" if gpu.mig_enabled else "")
        for gpu in host.gpus
    )
    gpus = ", ".join(f"{count}× {name}" for name, count in sorted(names.items())) or "no GPU"
    platform = host.platform
    system = " ".join(part for part in (platform.os_id, platform.os_version) if part)
    return f"{gpus} · {system + ' ' if system else ''}{platform.key}"


def _failed_note(failed: Sequence[FailedNode]) -> tuple[Finding, ...]:
    if not failed:
        return ()
    shown = "; ".join(f"{f.node}: {f.error}" for f in failed[:5]) + ("; …" if len(failed) > 5 else "")
    return (
        Finding(
            "nodes_unreported",
            Severity.WARNING,
            f"unverified: {len(failed)} node(s) sent no facts, so the answer does not cover them ({shown}).",
            "bring the nodes back and collect again; --strict fails on this",
            "fleet",
        ),
    )


def _label_note(fleet: Fleet) -> tuple[Finding, ...]:
    nodes = sum(pool.size for pool in fleet.pools if pool.host.origin == LABEL_ORIGIN)
    if not nodes:
        return ()
    return (
        Finding(
            "facts_from_labels",
            Severity.WARNING,
            f"unverified: {nodes} node(s) are known only by GPU Feature Discovery labels, which do not give Python, "
            "glibc or the installed CUDA libraries; those were not checked there.",
            "collect full facts with the probe Job (`dlenv fleet manifest --kubernetes`) and `--from`; --strict "
            "fails on this",
            "fleet",
        ),
    )


def drift(fleet: Fleet) -> tuple[Drift, ...]:
    """Hardware (GPUs, OS, arch) whose nodes run more than one driver version: the nodes off the common one."""
    groups: dict[str, dict[str, list[str]]] = {}
    for pool in fleet.pools:
        driver = pool.host.driver.version if pool.host.driver and pool.host.driver.version else "none"
        groups.setdefault(hardware_label(pool.host), {}).setdefault(driver, []).extend(pool.nodes)
    found = []
    for hardware, drivers in sorted(groups.items()):
        if len(drivers) < 2:
            continue
        ordered = sorted(drivers.items(), key=lambda item: (-len(item[1]), item[0]))
        expected = ordered[0][0]
        drifted = tuple(sorted(node for driver, nodes in ordered[1:] for node in nodes))
        found.append(Drift(hardware, tuple((d, len(n)) for d, n in ordered), expected, drifted))
    return tuple(found)


def _blocker(column: Column, pool: Pool, cell: Cell) -> Blocker:
    codes = tuple(dict.fromkeys(f.code for f in cell.findings))
    # A CPU build chosen for a GPU pool: the engine's finding names why its CUDA builds do not run ("(code: ...")
    codes += tuple(
        match[1]
        for f in cell.findings
        if f.code == "cpu_build_on_gpu_host" and (match := _WHY_NOT_CUDA.search(f.message))
    )
    if any(code in GPU_CODES for code in codes):
        kind = "gpu"
        unblock: tuple[str, ...] = (f"retire or move the pool's GPUs ({hardware_label(pool.host)})",)
        unblock += tuple(dict.fromkeys(f.fix for f in cell.findings if f.code in DRIVER_CODES and f.fix))
    elif any(code in DRIVER_CODES for code in codes):
        kind = "driver"
        unblock = tuple(dict.fromkeys(f.fix for f in cell.findings if f.code in DRIVER_CODES and f.fix))
    else:
        kind = "other"
        unblock = tuple(dict.fromkeys(f.fix for f in cell.findings if f.fix))
    if kind != "other" and not cell.gpu_build:
        # only a CPU build runs: what stops the CUDA builds is the thing to change
        unblock += tuple(f"{match[1]}: {match[2]}" for f in cell.findings if (match := _WHY_NOT_CUDA.search(f.message)))
    return Blocker(column, pool.pool_id, tuple(pool.nodes), kind, unblock, codes)


def fleet_check(
    fleet: Fleet, matrix: Matrix, requirements: Sequence[RequirementInput], *, allow_forward_compat: bool = False
) -> FleetAnswer:
    _SHARED.update(matrix=matrix, allow_forward_compat=allow_forward_compat)
    columns = tuple(Column(r.text, r.text) for r in requirements)
    verdicts, blockers = [], []
    judged = _parallel_map(_check_pool, [(pool.host, requirements) for pool in fleet.pools])
    for pool, (results, compatible, conflicts) in zip(fleet.pools, judged, strict=True):
        cells = dict(zip((c.key for c in columns), results, strict=True))
        blockers += [_blocker(c, pool, cells[c.key]) for c in columns if cells[c.key].status == "incompatible"]
        verdicts.append(PoolVerdict(pool, cells, compatible, conflicts))
    return FleetAnswer(
        "check",
        tuple(r.text for r in requirements),
        matrix.matrix_version,
        columns,
        tuple(verdicts),
        (),
        fleet.failed,
        _failed_note(fleet.failed) + _label_note(fleet),
        tuple(blockers),
        drift(fleet),
    )


def releases_of(matrix: Matrix, requirement: RequirementInput) -> list[str]:
    """The releases the requirement allows that have a CUDA or CPU build, newest first."""
    package = canonical_name(requirement.name)
    framework = matrix.framework_for_package(package)
    if framework is None:
        raise InputError(
            f"{package} is not in the compatibility matrix",
            where=requirement.origin,
            fix="name a framework package such as torch, tensorflow, jax, cupy-cuda12x or cudf-cu12",
        )
    releases = {
        c.release.version
        for c in candidates_for(framework, package, requirement.requirement.extras)
        if c.build.accelerator in ("cuda", "cpu") and matches_requirement(requirement, c)
    }
    return sorted(releases, key=sortable_version, reverse=True)


def pinned(requirement: RequirementInput, release: str) -> RequirementInput:
    """The requirement narrowed to one release (any of its builds, as `dlenv resolve` reads `==`)."""
    parsed = requirement.requirement
    extras = f"[{','.join(sorted(parsed.extras))}]" if parsed.extras else ""
    specifier = SpecifierSet(str(parsed.specifier)) & SpecifierSet(f"=={release}")
    text = f"{parsed.name}{extras}{specifier}"
    return RequirementInput(text, requirement.origin, Requirement(text))


def _resolution_cell(resolution: Resolution, index: int, host: HostFacts) -> Cell:
    target = resolution.targets[index]
    chosen = target.chosen
    if chosen is None:
        reasons = tuple(f for r in target.rejected_newer for f in r.reasons)[:4]
        return Cell("incompatible", None, reasons, gpu_build=False, tier=-1)
    warnings = tuple(f for f in chosen.findings if f.severity is Severity.WARNING)
    has_gpus = bool(host.gpus) or bool(host.driver and host.driver.version)
    return Cell(
        "warning" if warnings else "ok",
        chosen.candidate.label,
        warnings,
        gpu_build=chosen.candidate.build.accelerator != "cpu" or not has_gpus,
        tier=driver_tier(chosen),
    )


def _score(cells: Sequence[Cell], release: str, sizes: Sequence[int]) -> tuple[bool, int, int, Version]:
    """The engine's order (compat.evaluate.rank) over a whole fleet: every pool runs it; the fewest GPU nodes left
    on a CPU build (a pool whose GPUs no build can use does not make every other pool fall to CPU builds too); the
    worst driver tier among the pools; then the release. On a partial row each key is an upper bound of the full
    row's, which is what lets `_walk` stop early."""
    runs = all(cell.status != "incompatible" for cell in cells)
    on_cpu = sum(size for cell, size in zip(cells, sizes, strict=False) if not cell.gpu_build)
    return runs, -on_cpu, min(c.tier for c in cells) if runs else -1, sortable_version(release)


# Pools are independent: above this many judgements a fleet is judged by one forked worker per core. The matrix
# reaches the workers through fork, not pickling; nothing else is shared.
PARALLEL_FROM = 32
_SHARED: dict[str, Any] = {}


def _parallel_map(function: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
    cores = os.cpu_count() or 1
    # fork is safe only while this process runs a single thread (no lock can be held by a thread fork loses)
    if len(items) < PARALLEL_FROM or cores < 2 or threading.active_count() > 1 or os.name != "posix":
        return [function(item) for item in items]
    import multiprocessing

    with multiprocessing.get_context("fork").Pool(min(cores, 8)) as workers:
        return workers.map(function, items, chunksize=max(1, len(items) // (cores * 4)))


def _check_pool(item: tuple[HostFacts, Sequence[RequirementInput]]) -> tuple[list[Any], bool, tuple[Finding, ...]]:
    host, requirements = item
    report = check(host, _SHARED["matrix"], requirements, allow_forward_compat=_SHARED["allow_forward_compat"])
    results = []
    for result in report.results:
        keep = Severity.ERROR if result.status == "incompatible" else Severity.WARNING
        label = result.evaluation.candidate.label if result.evaluation else None
        results.append(Cell(result.status, label, tuple(f for f in result.findings if f.severity is keep)))
    return results, report.compatible, report.conflicts


def _resolve_cell(item: tuple[HostFacts, RequirementInput, str]) -> Cell:
    host, requirement, release = item
    one = [pinned(requirement, release)]
    resolution = resolve(host, _SHARED["matrix"], one, allow_forward_compat=_SHARED["allow_forward_compat"])
    return _resolution_cell(resolution, 0, host)


class _Cells:
    """Pinned resolves of (pool, release), each computed once."""

    def __init__(self, matrix: Matrix, requirement: RequirementInput, allow_forward_compat: bool) -> None:
        self.matrix, self.requirement, self.allow_forward_compat = matrix, requirement, allow_forward_compat
        self.cells: dict[tuple[str, str], Cell] = {}

    def get(self, pool: Pool, release: str) -> Cell:
        key = (pool.pool_id, release)
        if key not in self.cells:
            self.cells[key] = _resolve_cell((pool.host, self.requirement, release))
        return self.cells[key]

    def fill(self, pools: Sequence[Pool], releases: Sequence[str]) -> None:
        """Judge every pool on these releases at once (in parallel where there are many)."""
        wanted = [(p, r) for r in releases for p in pools if (p.pool_id, r) not in self.cells]
        found = _parallel_map(_resolve_cell, [(p.host, self.requirement, r) for p, r in wanted])
        self.cells.update({(p.pool_id, r): cell for (p, r), cell in zip(wanted, found, strict=True)})


def _walk(pools: Sequence[Pool], releases: Sequence[str], cells: _Cells) -> str | None:
    """The fleet's release: the best by `_score`. Newest first; a release stops being evaluated as soon as the
    pools seen so far rule out beating the best one found (a release is older than the best, so it must rank higher
    on the first three keys), and the pool that ruled it out is asked first next time — most releases then cost one
    resolve, not one per pool."""
    order = list(pools)
    best: tuple[tuple[bool, int, int, Version], str] | None = None
    for release in releases:
        row: list[Cell] = []
        for index, pool in enumerate(order):
            row.append(cells.get(pool, release))
            upper = _score(row, release, [p.size for p in order])[:3]
            if (best is None and not upper[0]) or (best is not None and upper <= best[0][:3]):
                order.insert(0, order.pop(index))
                break
        else:
            score = _score(row, release, [p.size for p in order])
            if best is None or score > best[0]:
                best = (score, release)
            if score[:3] == (True, 0, NATIVE_TIER):
                break  # nothing older can rank higher
    return best[1] if best is not None else None


def fleet_resolve(
    fleet: Fleet, matrix: Matrix, requirements: Sequence[RequirementInput], *, allow_forward_compat: bool = False
) -> FleetAnswer:
    """The newest releases every node runs. The grid's columns are the newest release, the one just above the
    fleet's release (the next step up) and the fleet's release, each judged on every pool; the pools that do not
    run the newer ones are the blockers."""
    _SHARED.update(matrix=matrix, allow_forward_compat=allow_forward_compat)
    columns: list[Column] = []
    cells: dict[str, dict[str, Cell]] = {pool.pool_id: {} for pool in fleet.pools}
    stack: list[tuple[str, str | None]] = []
    blockers: list[Blocker] = []
    for requirement in requirements:
        releases = releases_of(matrix, requirement)
        cache = _Cells(matrix, requirement, allow_forward_compat)
        chosen = _walk(fleet.pools, releases, cache) if fleet.pools else None
        stack.append((requirement.text, chosen))
        shown = [releases[0]] if releases else []
        if chosen is not None:
            above = releases.index(chosen) - 1
            shown += [releases[above]] if above >= 0 else []
            shown.append(chosen)
        shown = list(dict.fromkeys(shown))
        cache.fill(fleet.pools, shown)
        need = (
            _score([cache.get(p, chosen) for p in fleet.pools], chosen, [p.size for p in fleet.pools])
            if chosen and fleet.pools
            else None
        )
        for release in shown:
            column = Column(f"{requirement.text} {release}", requirement.text, release)
            columns.append(column)
            for pool in fleet.pools:
                cell = cells[pool.pool_id][column.key] = cache.get(pool, release)
                held_back = (
                    cell.status == "incompatible" or not cell.gpu_build or (need is not None and cell.tier < need[2])
                )
                if release != chosen and held_back:
                    blockers.append(_blocker(column, pool, cell))
    notes = _failed_note(fleet.failed) + _label_note(fleet)
    verdicts = _joint_verdicts(fleet, matrix, requirements, stack, cells, allow_forward_compat)
    if any(not v.compatible for v in verdicts) and all(release for _, release in stack):
        notes += (
            Finding(
                "no_joint_stack",
                Severity.ERROR,
                "the releases each framework runs on every node do not install together on some pools "
                f"({', '.join(v.pool.pool_id for v in verdicts if not v.compatible)}).",
                "resolve fewer frameworks together, or pin older releases",
                "fleet",
            ),
        )
    return FleetAnswer(
        "resolve",
        tuple(r.text for r in requirements),
        matrix.matrix_version,
        tuple(columns),
        verdicts,
        tuple(stack),
        fleet.failed,
        notes,
        tuple(blockers),
        drift(fleet),
    )


def _joint_verdicts(
    fleet: Fleet,
    matrix: Matrix,
    requirements: Sequence[RequirementInput],
    stack: Sequence[tuple[str, str | None]],
    cells: dict[str, dict[str, Cell]],
    allow_forward_compat: bool,
) -> tuple[PoolVerdict, ...]:
    """Each pool with the whole chosen stack pinned (several frameworks must also install together)."""
    chosen = [pinned(r, release) for r, (_, release) in zip(requirements, stack, strict=True) if release]
    verdicts = []
    for pool in fleet.pools:
        if len(chosen) < len(requirements):
            verdicts.append(PoolVerdict(pool, cells[pool.pool_id], False))
            continue
        if len(chosen) == 1:
            key = f"{requirements[0].text} {stack[0][1]}"
            verdicts.append(PoolVerdict(pool, cells[pool.pool_id], cells[pool.pool_id][key].status != "incompatible"))
            continue
        joint = resolve(pool.host, matrix, chosen, allow_forward_compat=allow_forward_compat)
        conflicts = tuple(f for f in joint.conflicts if f.severity is Severity.ERROR)
        verdicts.append(PoolVerdict(pool, cells[pool.pool_id], joint.resolved, conflicts))
    return tuple(verdicts)
