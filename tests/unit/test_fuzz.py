"""Property/fuzz suite: hostile host files, requirements and flags, Dockerfiles, image environments, lock files,
overlays and -o paths, run through the `dlenv` entry point. Each must end in exit 0, 1 or 2 (never 3), exit 2 as
one stderr line naming the file or flag, nothing written when refused, and no "compatible" for unreadable input.

The default profile keeps each test to a few seconds; a scheduled job runs the long one:

    DLENV_FUZZ_PROFILE=long DLENV_FUZZ_REPORT=fuzz-counts.json python -m pytest tests/unit/test_fuzz.py

(DLENV_FUZZ_EXAMPLES=N sets the examples per test; one in DLENV_FUZZ_PROCESS_EVERY runs as a real process.)
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlenv.host.model import CudaToolkit, Driver, Framework, Gpu, HostFacts, Library, MigDevice, Platform
from dlenv.host.serialize import host_to_dict
from tests.unit.hostile import Outcome, assert_contract, assert_never_compatible, run_dlenv, write_report

_CHECKS = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
for _profile, _examples in (("default", "25"), ("long", "2000")):
    settings.register_profile(
        _profile,
        max_examples=int(os.environ.get("DLENV_FUZZ_EXAMPLES", _examples)),
        deadline=None,
        database=None,  # a failure prints its example; no .hypothesis/ folder in the tree
        suppress_health_check=_CHECKS,
    )
settings.load_profile(os.environ.get("DLENV_FUZZ_PROFILE", "default"))
PROCESS_EVERY = int(os.environ.get("DLENV_FUZZ_PROCESS_EVERY", "0"))
_COUNTER = {"runs": 0}

HOST_FLAGS = ["--driver", "535.104.05", "--gpu", "A100", "--python", "3.11"]
REPO = Path(__file__).resolve().parents[2]
MINI_MATRIX = REPO / "tests" / "data" / "matrices"
GOLDEN_LOCKS = sorted((REPO / "tests" / "golden").glob("*/requirements.lock")) + sorted(
    (REPO / "tests" / "golden").glob("*/pylock.toml")
)

HOSTILE_WORDS = [
    "",
    " ",
    "3.x",
    "9" * 5000 + ".1",
    "1." + "9" * 4400,
    "12.1\u2028--extra-index-url http://evil.invalid/simple",
    "8.0\u0085LD_PRELOAD: /tmp/x.so",
    "a\u2029b",
    "\x1b[31mred\x1b[0m",
    "line\nbreak",
    "nul\x00byte",
    "\ufeffbom",
    "\u202eevil",
    "caf\u00e9",
    "sm_90",
    "12.4",
    "535.104.05",
    "torch==2.4.1",
    "-" * 300,
    "x" * 300,
]
hostile_text = st.one_of(st.sampled_from(HOSTILE_WORDS), st.text(max_size=30))
scalar = st.one_of(
    hostile_text,
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
)
hostile_value = st.recursive(
    scalar,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(hostile_text, inner, max_size=3)),
    max_leaves=6,
)


def _deep(depth: int) -> Any:
    value: Any = []
    for _ in range(depth):
        value = [value]
    return value


@pytest.fixture
def workdir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path
    write_report()


def _run(argv: list[str], cwd: Path, target: str) -> Outcome:
    _COUNTER["runs"] += 1
    process = bool(PROCESS_EVERY) and _COUNTER["runs"] % PROCESS_EVERY == 0
    return run_dlenv(argv, cwd=cwd, process=process, target=target)


def _fresh(directory: Path) -> Path:
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    return directory


def _files(directory: Path) -> set[str]:
    return {path.name for path in directory.iterdir() if path.name != ".cache"}


def _judge(outcome: Outcome, directory: Path, before: set[str], names: tuple[str, ...]) -> None:
    assert_contract(outcome, names=names)
    assert_never_compatible(outcome)
    if outcome.code == 2:
        assert _files(directory) == before, f"{outcome.argv}: wrote {_files(directory) - before}"
    assert not any(name.endswith(".tmp") for name in _files(directory)), outcome.argv


# ------------------------------------------------------------------------------------------------- host files


def _host() -> dict[str, Any]:
    return host_to_dict(
        HostFacts(
            platform=Platform("linux", "x86_64", "3.11.7", "CPython", "Ubuntu 22.04", "ubuntu", "22.04", "2.35"),
            driver=Driver("535.104.05", "12.2", "12.535.104.05", "535.104.05", "535.104.05"),
            gpus=(
                Gpu(
                    0,
                    "NVIDIA A100-SXM4-80GB",
                    "GPU-1",
                    "8.0",
                    "Ampere",
                    81920,
                    "nvidia",
                    mig_enabled=True,
                    mig_devices=(MigDevice(0, "MIG 1g.10gb", "MIG-1", 9728),),
                ),
            ),
            toolkits=(CudaToolkit("12.2.140", "/usr/local/cuda-12.2", "version.json", ("PATH",)),),
            libraries=(Library("cudnn", "8.9.2.26", "pip", "/site", 12),),
            frameworks=(
                Framework("torch", "2.1.2", "pip", "/site", "pytorch", "cu121", "12.1", "8.9.2", ("sm_80", "sm_90")),
            ),
            environment=(("CUDA_VISIBLE_DEVICES", "0"),),
        )
    )


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


HOST_PATHS = [path for path in _paths(_host()) if path]


def _mutated_host(path: tuple[Any, ...], action: str, value: Any) -> dict[str, Any]:
    host = _host()
    parent: Any = host
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if action == "replace":
        parent[last] = value
    elif action == "delete":
        del parent[last]
    elif action == "unknown" and isinstance(parent, dict):
        parent[str(value)] = 1
    elif action == "deep":
        parent[last] = _deep(50_000)
    elif action == "many" and isinstance(parent[last], list) and parent[last]:
        parent[last] = parent[last] * 10_000
    return host


@given(
    path=st.sampled_from(HOST_PATHS),
    action=st.sampled_from(["replace", "replace", "replace", "delete", "unknown", "deep", "many"]),
    value=hostile_value,
    garble=st.one_of(st.none(), st.tuples(st.integers(0, 2000), st.binary(min_size=1, max_size=4))),
    command=st.sampled_from(["check", "doctor"]),
)
def test_host_files(workdir: Path, path: tuple[Any, ...], action: str, value: Any, garble: Any, command: str) -> None:
    directory = _fresh(workdir / "host")
    data = json.dumps(_mutated_host(path, action, value)) if action != "deep" else None
    if data is None:  # json.dumps itself recurses: write the nesting as text
        data = json.dumps(_host())[:-1] + ', "gpus": ' + "[" * 50_000 + "]" * 50_000 + "}"
    raw = data.encode("utf-8", "surrogatepass")
    if garble is not None:
        position, junk = garble
        raw = raw[:position] + junk + raw[position:]
    (directory / "host.json").write_bytes(raw)
    before = _files(directory)
    argv = [command, "--host", "host.json", "--format", "json"]
    if command == "check":
        argv[1:1] = ["torch"]
        argv += ["-o", "report.json"]
    outcome = _run(argv, directory, "host file")
    _judge(outcome, directory, before, ("host.json",))


# ----------------------------------------------------------------------------------- requirements and flags

FLAG_NAMES = ["--driver", "--gpu", "--python", "--os", "--arch", "--format", "--host", "-r", "--matrix", "--bogus"]


@given(
    requirements=st.lists(hostile_text, max_size=3),
    flags=st.lists(st.tuples(st.sampled_from(FLAG_NAMES), hostile_text), max_size=3),
    requirements_file=st.one_of(
        st.none(), st.binary(max_size=200), hostile_text.map(lambda t: t.encode("utf-8", "surrogatepass"))
    ),
    command=st.sampled_from(["check", "resolve"]),
)
def test_requirements_and_flags(
    workdir: Path, requirements: list[str], flags: list[tuple[str, str]], requirements_file: bytes | None, command: str
) -> None:
    directory = _fresh(workdir / "flags")
    argv = [command, *[r for r in requirements if not r.startswith("-")], *HOST_FLAGS]
    for flag, value in flags:
        argv += [flag, value]
    if requirements_file is not None and command == "check":
        (directory / "reqs.txt").write_bytes(requirements_file)
        argv += ["-r", "reqs.txt"]
    if command == "resolve" and len(argv) == len(HOST_FLAGS) + 1:
        argv.insert(1, "torch")
    before = _files(directory)
    outcome = _run(argv, directory, "requirements and flags")
    _judge(outcome, directory, before, ())


# ------------------------------------------------------------------------------------ Dockerfiles, image envs

DOCKER_LINES = [
    "FROM nvidia/cuda:12.4.1-base-ubuntu22.04",
    "FROM nvidia/cuda:13.0.0-base-ubuntu22.04 AS build",
    "FROM build",
    "FROM ${BASE}",
    "ARG BASE=nvidia/cuda:12.1.0-runtime-ubuntu22.04",
    "ENV NVIDIA_REQUIRE_CUDA=cuda>=12.0 brand=tesla,driver>=470,driver<471",
    "ENV NVIDIA_REQUIRE_CUDA=cuda>=" + "9" * 5000,
    "ENV NVIDIA_DISABLE_REQUIRE=1",
    "ENV CUDA_VERSION 12.4.1",
    "RUN <<EOF",
    "RUN <<-'END' bash",
    "EOF",
    "END",
    "COPY <<EOF /etc/x",
    "RUN echo \\",
    "# comment",
    "\ufeffFROM ubuntu:22.04",
]


@given(
    lines=st.lists(st.one_of(st.sampled_from(DOCKER_LINES), hostile_text), max_size=8),
    junk=st.one_of(st.none(), st.binary(min_size=1, max_size=4)),
)
def test_dockerfiles(workdir: Path, lines: list[str], junk: bytes | None) -> None:
    directory = _fresh(workdir / "docker")
    raw = "\n".join(lines).encode("utf-8", "surrogatepass") + (junk or b"")
    (directory / "Dockerfile").write_bytes(raw)
    before = _files(directory)
    outcome = _run(["check", "--dockerfile", "Dockerfile", *HOST_FLAGS, "-o", "out.txt"], directory, "Dockerfile")
    _judge(outcome, directory, before, ("Dockerfile",))


ENV_KEYS = ["NVIDIA_REQUIRE_CUDA", "CUDA_VERSION", "NVIDIA_DISABLE_REQUIRE", "PATH", ""]


@given(
    pairs=st.lists(st.tuples(st.sampled_from(ENV_KEYS), hostile_text), max_size=5),
    junk=st.one_of(st.none(), st.binary(min_size=1, max_size=4)),
)
def test_image_envs(workdir: Path, pairs: list[tuple[str, str]], junk: bytes | None) -> None:
    directory = _fresh(workdir / "image-env")
    raw = "\n".join(f"{key}={value}" for key, value in pairs).encode("utf-8", "surrogatepass") + (junk or b"")
    (directory / "image.env").write_bytes(raw)
    before = _files(directory)
    outcome = _run(["check", "--image-env", "image.env", *HOST_FLAGS], directory, "image env")
    _judge(outcome, directory, before, ("image.env",))


# ---------------------------------------------------------------------------------------------- lock files


@given(
    lock=st.sampled_from(GOLDEN_LOCKS),
    line=st.integers(0, 40),
    action=st.sampled_from(["replace", "insert", "delete", "garble"]),
    text=st.one_of(
        hostile_text,
        st.sampled_from(
            ["--hash=sha256:zz", "--index-url http://evil.invalid/simple", "# requirements: torch 'jax", "    "]
        ),
    ),
)
def test_lock_files(workdir: Path, lock: Path, line: int, action: str, text: str) -> None:
    directory = _fresh(workdir / "lock")
    lines = lock.read_text(encoding="utf-8").split("\n")
    position = min(line, len(lines) - 1)
    if action == "replace":
        lines[position] = text
    elif action == "insert":
        lines.insert(position, text)
    elif action == "delete":
        del lines[position]
    raw = "\n".join(lines).encode("utf-8", "surrogatepass")
    if action == "garble":
        raw = raw[: position * 20] + b"\xff\xfe" + raw[position * 20 :]
    (directory / lock.name).write_bytes(raw)
    before = _files(directory)
    outcome = _run(["lock", "--check", lock.name, *HOST_FLAGS], directory, "lock file")
    _judge(outcome, directory, before, (lock.name,))
    if action != "delete" or text:  # an edited lock never passes as current
        assert outcome.code != 0 or raw == lock.read_bytes(), outcome


# ------------------------------------------------------------------------------------------------ overlays


def _overlay_document(name: str) -> dict[str, Any]:
    from dlenv.matrix.canonical import load_yaml_file

    return load_yaml_file(MINI_MATRIX / name)


OVERLAY_NAMES = ["gpus.yaml", "pytorch.yaml", "images.yaml", "cuda.yaml"]
OVERLAY_PATHS = {name: [p for p in _paths(_overlay_document(name)) if p][:400] for name in OVERLAY_NAMES}


@given(
    name=st.sampled_from(OVERLAY_NAMES),
    index=st.integers(0, 399),
    action=st.sampled_from(["replace", "delete", "unknown", "listkey", "garble"]),
    value=hostile_value,
)
def test_overlays(workdir: Path, name: str, index: int, action: str, value: Any) -> None:
    from dlenv.matrix.canonical import dump_yaml

    directory = _fresh(workdir / "overlay")
    overlay = directory / "matrix"
    overlay.mkdir()
    document = _overlay_document(name)
    paths = OVERLAY_PATHS[name]
    path = paths[index % len(paths)]
    parent: Any = document
    for part in path[:-1]:
        parent = parent[part]
    if action == "replace":
        parent[path[-1]] = value
    elif action == "delete":
        del parent[path[-1]]
    elif action == "unknown" and isinstance(parent, dict):
        parent[str(value)] = 1
    try:
        text = dump_yaml(document)
    except Exception:  # the canonical dumper refuses some values; write them as JSON, which is YAML too
        text = json.dumps(document, default=str)
    if action == "listkey":
        text = "? [a, b]\n: 1\n" + text
    raw = text.encode("utf-8", "surrogatepass")
    if action == "garble":
        raw = raw[: index * 7] + b"\xc3\x28" + raw[index * 7 :]
    (overlay / name).write_bytes(raw)
    before = _files(directory)
    outcome = _run(["check", "torch", *HOST_FLAGS, "--matrix", "matrix"], directory, "overlay")
    _judge(outcome, directory, before, (name, "matrix"))


def test_an_overlay_cache_holding_a_list_is_ignored(workdir: Path) -> None:
    directory = _fresh(workdir / "cache")
    shutil.copytree(MINI_MATRIX, directory / "matrix", dirs_exist_ok=True)
    (directory / "matrix" / "gpus.yaml").write_text((MINI_MATRIX / "gpus.yaml").read_text())
    first = run_dlenv(["check", "torch", *HOST_FLAGS, "--matrix", "matrix"], cwd=directory)
    for cache in (directory / ".cache" / "dlenv").glob("overlay-*.json"):
        cache.write_text("[]")
    second = run_dlenv(["check", "torch", *HOST_FLAGS, "--matrix", "matrix"], cwd=directory)
    assert_contract(second)
    assert second.code == first.code


# --------------------------------------------------------------------------------------------- -o targets


@given(
    kind=st.sampled_from(["symlink", "dangling", "directory", "fifo", "device", "long", "empty", "missing-dir"]),
    force=st.booleans(),
)
def test_output_targets(workdir: Path, kind: str, force: bool) -> None:
    directory = _fresh(workdir / "output")
    (directory / "real.txt").write_text("keep\n")
    target = {
        "symlink": "link.txt",
        "dangling": "dangling.txt",
        "directory": "adir",
        "fifo": "fifo",
        "device": "/dev/null",
        "long": "n" * 300,
        "empty": "",
        "missing-dir": "no/such/file.txt",
    }[kind]
    (directory / "link.txt").symlink_to("real.txt")
    (directory / "dangling.txt").symlink_to("nowhere.txt")
    (directory / "adir").mkdir()
    os.mkfifo(directory / "fifo")
    before = _files(directory)
    outcome = _run(["probe", *HOST_FLAGS, "-o", target, *(["--force"] if force else [])], directory, "-o target")
    assert_contract(outcome)
    if kind == "symlink" and force:
        assert outcome.code == 0 and (directory / "link.txt").is_symlink()
        assert (directory / "real.txt").read_text().startswith("{")
    else:
        assert outcome.code == 2, outcome
        assert (directory / "real.txt").read_text() == "keep\n"
    assert _files(directory) == before
    assert (directory / "dangling.txt").is_symlink() and not (directory / "nowhere.txt").exists()
