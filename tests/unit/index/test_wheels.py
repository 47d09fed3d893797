"""Wheel filenames and Requires-Dist: release, local tag, Pythons, platforms, glibc, the bundled CUDA stack."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dlenv.index.wheels import (
    cuda_stack,
    linux_x86_64_environment,
    parse_wheel,
    pinned_requirement,
    platform_of,
    requires_dist,
    try_parse_wheel,
)

FILES = Path(__file__).resolve().parents[2] / "data" / "index" / "files"


@pytest.mark.parametrize(
    ("filename", "release", "local", "pythons", "platforms", "glibc"),
    [
        ("torch-2.9.1-cp312-cp312-manylinux_2_28_x86_64.whl", "2.9.1", None, ("3.12",), ("linux-x86_64",), "2.28"),
        (
            "torch-2.10.0-3-cp312-cp312-manylinux_2_28_aarch64.whl",
            "2.10.0",
            None,
            ("3.12",),
            ("linux-aarch64",),
            "2.28",
        ),
        (
            "torch-2.9.1+cu126-cp313-cp313t-manylinux_2_28_x86_64.whl",
            "2.9.1",
            "cu126",
            ("3.13t",),
            ("linux-x86_64",),
            "2.28",
        ),
        ("tensorflow-1.15.5-cp37-cp37m-manylinux2010_x86_64.whl", "1.15.5", None, ("3.7",), ("linux-x86_64",), "2.12"),
        ("torch-1.7.1-cp38-cp38-manylinux1_x86_64.whl", "1.7.1", None, ("3.8",), ("linux-x86_64",), "2.5"),
        (
            "tensorflow-2.20.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
            "2.20.0",
            None,
            ("3.12",),
            ("linux-x86_64",),
            "2.17",
        ),
        (
            "cupy_cuda12x-13.6.0-cp312-cp312-manylinux2014_aarch64.whl",
            "13.6.0",
            None,
            ("3.12",),
            ("linux-aarch64",),
            "2.17",
        ),
        ("torch-2.9.1-cp312-cp312-win_amd64.whl", "2.9.1", None, ("3.12",), ("windows-x86_64",), None),
        ("torch-2.9.1-cp312-none-macosx_11_0_arm64.whl", "2.9.1", None, ("3.12",), ("macos-arm64",), None),
        ("tensorflow-2.16.2-cp311-cp311-macosx_10_15_x86_64.whl", "2.16.2", None, ("3.11",), ("macos-x86_64",), None),
        (
            "numpy-2.0.0-cp312-cp312-macosx_10_9_universal2.whl",
            "2.0.0",
            None,
            ("3.12",),
            ("macos-arm64", "macos-x86_64"),
            None,
        ),
        ("jax-0.8.1-py3-none-any.whl", "0.8.1", None, (), (), None),
        ("jaxlib-0.8.1-cp311-cp311-manylinux_2_27_ppc64le.whl", "0.8.1", None, ("3.11",), ("linux-ppc64le",), "2.27"),
        ("demo-1.0-cp310.cp311-abi3-linux_x86_64.whl", "1.0", None, ("3.10", "3.11"), ("linux-x86_64",), None),
    ],
)
def test_wheel_filenames(
    filename: str,
    release: str,
    local: str | None,
    pythons: tuple[str, ...],
    platforms: tuple[str, ...],
    glibc: str | None,
) -> None:
    info = parse_wheel(filename)
    assert (info.release, info.local, info.pythons, info.platforms, info.glibc) == (
        release,
        local,
        pythons,
        platforms,
        glibc,
    )


def test_build_number_is_kept_apart_from_the_version() -> None:
    info = parse_wheel("torch-2.10.0-3-cp312-cp312-manylinux_2_28_x86_64.whl")
    assert info.build == (3, "")
    assert str(info.version) == "2.10.0"


def test_stable_abi_wheels_are_flagged() -> None:
    info = parse_wheel("cudf_cu12-26.10.2-cp311-abi3-manylinux_2_24_aarch64.manylinux_2_28_aarch64.whl")
    assert info.abi3 and info.pythons == ("3.11",) and info.glibc == "2.24"
    assert not parse_wheel("torch-2.9.1-cp312-cp312-win_amd64.whl").abi3


def test_lowest_glibc_of_several_manylinux_tags() -> None:
    info = parse_wheel("x-1.0-cp312-cp312-manylinux_2_28_x86_64.manylinux2014_x86_64.whl")
    assert info.glibc == "2.17"


def test_bad_names_are_value_errors() -> None:
    with pytest.raises(ValueError, match="Invalid wheel filename"):
        parse_wheel("not-a-wheel.tar.gz")
    assert try_parse_wheel("torch-2.0.0.tar.gz") is None


def test_unknown_platform_tags_give_no_platform() -> None:
    assert platform_of("win32") == ((), None)
    assert platform_of("musllinux_1_1_x86_64") == ((), None)
    assert platform_of("manylinux_2_31_riscv64") == ((), (2, 31))


_minor = st.integers(min_value=6, max_value=20)
_arch = st.sampled_from(["x86_64", "aarch64"])


@given(
    major=st.integers(min_value=0, max_value=30),
    minor=st.integers(min_value=0, max_value=30),
    python_minor=_minor,
    free_threaded=st.booleans(),
    glibc_minor=st.integers(min_value=5, max_value=40),
    arch=_arch,
    local=st.sampled_from(["", "+cpu", "+cu128", "+rocm6.4"]),
    build=st.sampled_from(["", "-1", "-12"]),
)
def test_round_trip_of_generated_names(
    major: int,
    minor: int,
    python_minor: int,
    free_threaded: bool,
    glibc_minor: int,
    arch: str,
    local: str,
    build: str,
) -> None:
    abi = f"cp3{python_minor}{'t' if free_threaded else ''}"
    filename = f"pkg-{major}.{minor}.0{local}{build}-cp3{python_minor}-{abi}-manylinux_2_{glibc_minor}_{arch}.whl"
    info = parse_wheel(filename)
    assert info.release == f"{major}.{minor}.0"
    assert info.local == (local[1:] or None)
    assert info.pythons == (f"3.{python_minor}{'t' if free_threaded else ''}",)
    assert info.platforms == (f"linux-{arch}",)
    assert info.glibc == f"2.{glibc_minor}"
    assert info.build == ((int(build[1:]), "") if build else None)


@given(st.text(max_size=40))
def test_arbitrary_text_never_crashes(text: str) -> None:
    info = try_parse_wheel(text + ".whl")
    assert info is None or info.release


def _recorded(name: str) -> list[str]:
    return requires_dist((FILES / f"{name}.metadata").read_text(encoding="utf-8"))


def test_cuda_stack_of_recorded_torch() -> None:
    stack = cuda_stack(_recorded("torch-2.9.1-cp312-cp312-manylinux_2_28_x86_64.whl"))
    assert (stack.cuda, stack.cudnn, stack.nccl) == ("12.8", "9.10.2.21", "2.27.5")
    assert any("nvidia-cuda-runtime-cu12" in r for r in stack.requirements)


def test_no_stack_where_only_an_extra_pins_it() -> None:
    stack = cuda_stack(_recorded("tensorflow-2.21.0-cp312-cp312-manylinux_2_27_x86_64.whl"))
    assert stack.empty
    assert cuda_stack(_recorded("torch-1.7.1-cp38-cp38-manylinux1_x86_64.whl")).empty


def test_markers_for_other_platforms_are_ignored() -> None:
    lines = [
        'nvidia-cuda-runtime-cu12==12.6.77; platform_system == "Linux" and platform_machine == "aarch64"',
        'nvidia-cudnn-cu12==9.5.1.17; sys_platform == "win32"',
        'nvidia-cuda-runtime-cu12==12.8.90; platform_system == "Linux" and platform_machine == "x86_64"',
        'nvidia-nccl-cu12==2.26.2; platform_system == "Linux" and platform_machine == "x86_64"',
        'nvidia-cudnn-cu12==9.7.1.26; extra == "cuda"',
    ]
    stack = cuda_stack(lines)
    assert (stack.cuda, stack.cudnn, stack.nccl) == ("12.8", None, "2.26.2")


@pytest.mark.parametrize(
    ("line", "cuda"),
    [
        ("nvidia-cuda-runtime==13.0.*", "13.0"),
        ("cuda-toolkit[cublas,cudart]==12.9.1", "12.9"),
        ("nvidia-cuda-runtime-cu11==11.7.99", "11.7"),
        ("nvidia-cuda-runtime-cu12>=12.1", None),
    ],
)
def test_cuda_version_from_each_pin_style(line: str, cuda: str | None) -> None:
    assert cuda_stack([line]).cuda == cuda


def test_markers_use_the_python_version() -> None:
    line = 'nvidia-nccl-cu12==2.21.5; python_version >= "3.13"'
    assert cuda_stack([line]).nccl is None
    assert cuda_stack([line], linux_x86_64_environment("3.13t")).nccl == "2.21.5"


def test_companion_pins_primary_release() -> None:
    assert pinned_requirement(_recorded("torchvision-0.24.1-cp312-cp312-manylinux_2_28_x86_64.whl"), "torch") == "2.9.1"
    assert pinned_requirement(_recorded("torchaudio-2.9.0-cp312-cp312-manylinux_2_28_x86_64.whl"), "Torch") == "2.9.0"
    assert pinned_requirement(["torch>=2"], "torch") is None
