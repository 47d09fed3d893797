"""`check --resolve`: uv resolves ranges for the target against an index on 127.0.0.1 (wheels built by the test), and
the check judges what it picked — torch beside xformers==0.0.20 is the torch 2.0.1 that xformers pins."""

from __future__ import annotations

import hashlib
import html
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from dlenv.compat.check import check
from dlenv.compat.requirements import from_arguments
from dlenv.compat.sources.reading import mark_unresolved, read_for_target
from dlenv.compat.sources.resolver import find_uv, resolve_for_target, uv_platform
from dlenv.index.config import IndexConfig
from dlenv.matrix.load import load_matrix
from tests.unit.compat.engine import host
from tests.unit.provision.localindex import CP, LINUX, Wheel, build_wheel, serve

RTX5090 = host("570.86.15", gpus=(("RTX 5090", "12.0"),), python="3.11")
WHEELS = (
    Wheel("torch", "2.0.1", tuple(f"{cp}-{cp}-{LINUX}" for cp in CP)),
    Wheel("torch", "2.8.0", tuple(f"{cp}-{cp}-{LINUX}" for cp in CP)),
    Wheel("xformers", "0.0.20", tuple(f"{cp}-{cp}-{LINUX}" for cp in CP), ("torch==2.0.1",)),
    Wheel("torchvision", "0.23.0", tuple(f"{cp}-{cp}-{LINUX}" for cp in CP), ("torch==2.8.0",)),
    # only for Python 3.12 and newer: a resolver for the target must not pick it for 3.11
    Wheel("torch", "2.9.0", ("cp312-cp312-" + LINUX,)),
)

# the test extra installs uv: without it these tests fail (a skipped resolver test checks nothing)
assert find_uv() is not None, "uv is not installed (pip install -e '.[test]')"


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexConfig]:
    root = tmp_path_factory.mktemp("index")
    files = root / "files"
    files.mkdir()
    pages: dict[str, list[Path]] = {}
    for wheel in WHEELS:
        for tag in wheel.tags:
            pages.setdefault(wheel.name, []).append(build_wheel(wheel, tag, files))
    for project, paths in pages.items():
        page = root / "simple" / project
        page.mkdir(parents=True)
        links = "".join(
            f'<a href="../../files/{html.escape(p.name)}#sha256={hashlib.sha256(p.read_bytes()).hexdigest()}">'
            f"{html.escape(p.name)}</a><br>\n"
            for p in paths
        )
        (page / "index.html").write_text(f"<!DOCTYPE html>\n<html><body>\n{links}</body></html>\n")
    with serve(root) as base:
        yield IndexConfig(index_url=f"{base}/simple")


@pytest.fixture
def uv_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "uv-cache"))


def _judge(texts: list[str], index: IndexConfig, target=RTX5090):  # type: ignore[no-untyped-def]
    reading = read_for_target(from_arguments(texts), (), (), target, load_matrix(), resolve=True, index=index)
    return reading, mark_unresolved(check(target, load_matrix(), reading.inputs), reading)


@pytest.mark.usefixtures("uv_cache")
def test_a_range_is_judged_as_what_the_resolver_picks_with_its_neighbours(index: IndexConfig) -> None:
    reading, alone = _judge(["torch"], index)
    assert reading.resolver is not None and reading.resolver.startswith("uv ")
    assert alone.results[0].requirement.exact_version == "2.8.0"  # not 2.9.0: that has no cp311 wheel
    assert alone.compatible
    _, pair = _judge(["torch", "xformers==0.0.20"], index)
    torch = pair.results[0]
    assert torch.requirement.exact_version == "2.0.1" and "resolved by uv" in torch.requirement.notes[-1]
    assert not pair.compatible and "gpu_arch_unsupported" in {f.code for f in torch.findings}


@pytest.mark.usefixtures("uv_cache")
def test_a_package_the_input_does_not_name_is_judged_when_the_resolver_brings_it(index: IndexConfig) -> None:
    _, report = _judge(["xformers==0.0.20"], index)
    pulled = [r for r in report.results if r.requirement.name == "torch"]
    assert [r.requirement.text for r in pulled] == ["torch==2.0.1"] and not pulled[0].compatible


@pytest.mark.usefixtures("uv_cache")
def test_companions_resolve_with_their_torch(index: IndexConfig) -> None:
    _, report = _judge(["torch", "torchvision"], index)
    torch, torchvision = report.results
    assert torch.requirement.exact_version == "2.8.0"
    assert torchvision.evaluation is not None and torchvision.evaluation.candidate.release.version == "0.23.0"


def test_the_platform_uv_is_asked_for_follows_the_target() -> None:
    assert uv_platform(host(glibc="2.35")) == "x86_64-manylinux_2_35"
    assert uv_platform(host(arch="aarch64", glibc=None)) == "aarch64-manylinux_2_28"
    assert uv_platform(host(system="windows", glibc=None)) == "x86_64-pc-windows-msvc"
    assert uv_platform(host(system="macos", arch="aarch64", glibc=None)) == "aarch64-apple-darwin"


@pytest.mark.usefixtures("uv_cache")
def test_an_unreachable_index_judges_ranges_unresolved_and_says_which(tmp_path: Path) -> None:
    dead = IndexConfig(index_url="http://127.0.0.1:9/simple")
    outcome = resolve_for_target(from_arguments(["torch"]), RTX5090, dead, timeout=60)
    assert not outcome.ok and outcome.problem
    reading, report = _judge(["torch>=2.0", "numpy"], dead)
    assert reading.resolver is None and reading.unresolved == ("argument 1: torch>=2.0",)
    assert "range_unresolved" in {f.code for f in report.results[0].findings}
    assert report.exit_code(strict=True) == 1


def test_conda_packages_are_never_sent_to_uv_and_their_ranges_say_so(tmp_path: Path) -> None:
    path = tmp_path / "environment.yml"
    path.write_text("dependencies:\n  - cupy>=13\n  - cuda-version=12.4\n")
    from dlenv.compat.requirements import read_conda

    source = read_conda(path, load_matrix())
    reading = read_for_target(source.inputs(), (), source.skipped, RTX5090, load_matrix(), resolve=True)
    assert reading.resolver is None and reading.unresolved == (f"{path}:dependencies[0]: cupy>=13",)
    assert reading.resolve_problem == "conda packages are judged without conda's solver"


@pytest.mark.online
@pytest.mark.skipif(os.environ.get("DLENV_ONLINE") != "1", reason="talks to the real index: set DLENV_ONLINE=1")
def test_the_issues_pair_against_the_real_index(uv_cache: None) -> None:
    # the index pip is configured with (dlenv.index), never one named here
    reading = read_for_target(
        from_arguments(["torch", "xformers==0.0.20"]), (), (), RTX5090, load_matrix(), resolve=True
    )
    (torch,) = [r for r in reading.inputs if r.name == "torch"]
    assert torch.exact_version == "2.0.1"
