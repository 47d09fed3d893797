"""NVIDIA_REQUIRE_CUDA as the container toolkit evaluates it, from Dockerfiles and image environments."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlenv.compat.images import evaluate_image, evaluate_require, from_dockerfile, from_image_env
from dlenv.errors import InputError
from dlenv.host.model import Driver, Gpu
from dlenv.records import replace
from tests.hosts import captured_environment
from tests.unit.compat.engine import host, mini_matrix

# The real constraint of the CUDA 13.0.2 image captured on the H100 host.
REAL_13 = captured_environment()["NVIDIA_REQUIRE_CUDA"]


def with_brand(driver: str, max_cuda: str, brand: str):  # type: ignore[no-untyped-def]
    described = host(driver, max_cuda=max_cuda)
    return replace(described, gpus=(Gpu(index=0, compute_capability="8.0", brand=brand),))


@pytest.mark.parametrize(
    ("driver", "max_cuda", "brand", "expected"),
    [
        ("580.159.04", "13.0", "nvidia", True),  # the captured host itself
        ("535.104.05", "12.2", "tesla", True),  # forward-compatibility branch: brand=tesla,driver>=535,driver<536
        ("535.104.05", "12.2", "geforce", False),  # no branch for GeForce: the toolkit refuses
        ("545.23.08", "12.3", "tesla", False),  # 545 is not one of the listed branches
        ("570.86.15", "12.8", "nvidiartx", True),
    ],
)
def test_real_cuda_13_image_constraint(driver: str, max_cuda: str, brand: str, expected: bool) -> None:
    assert evaluate_require(REAL_13, with_brand(driver, max_cuda, brand)) is expected


def test_unknown_facts_are_not_a_verdict() -> None:
    assert evaluate_require("cuda>=12.4", host()) is None
    assert evaluate_require("cuda>=12.4 brand=tesla,driver>=470,driver<471", host(max_cuda="12.6")) is True


def test_dockerfile_with_args_stages_and_env(tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(
        "ARG CUDA=12.8.1\n"
        "FROM nvidia/cuda:${CUDA}-cudnn-devel-ubuntu24.04 AS build\n"
        "RUN make\n"
        "FROM build AS final\n"
        "ENV A=1 \\\n    B=2\n"
    )
    requirement = from_dockerfile(dockerfile, mini_matrix())
    assert requirement.image == "nvidia/cuda:12.8.1-cudnn-devel-ubuntu24.04"
    assert requirement.require == "cuda>=12.8"
    result = evaluate_image(requirement, host("550.54.15", max_cuda="12.4"))
    assert [f.code for f in result.findings] == ["image_requirement_unsatisfied"]
    assert "cuda>=12.8" in result.findings[0].message


def test_dockerfile_env_overrides_and_disable(tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text('FROM ubuntu:24.04\nENV NVIDIA_REQUIRE_CUDA="cuda>=12.0"\n')
    assert from_dockerfile(dockerfile, mini_matrix()).require == "cuda>=12.0"
    dockerfile.write_text("FROM nvidia/cuda:12.4.1-base-ubuntu22.04\nENV NVIDIA_DISABLE_REQUIRE=true\n")
    assert evaluate_image(from_dockerfile(dockerfile, mini_matrix()), host()).compatible


def test_a_stage_inherits_the_environment_of_the_stage_it_is_built_from(tmp_path: Path) -> None:
    # Docker: ENV set in a stage holds in every stage built FROM it. Both ways it went wrong before: a refusing
    # requirement set in the parent read as "no requirement", and an override there lost to the base image's.
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(
        'FROM ubuntu:24.04 AS base\nENV NVIDIA_REQUIRE_CUDA="cuda>=13.0"\nFROM base AS runtime\nRUN true\n'
    )
    requirement = from_dockerfile(dockerfile, mini_matrix())
    assert requirement.require == "cuda>=13.0"
    assert not evaluate_image(requirement, host("550.54.15", max_cuda="12.4")).compatible
    dockerfile.write_text(
        'FROM nvidia/cuda:12.8.1-cudnn-devel-ubuntu24.04 AS build\nENV NVIDIA_REQUIRE_CUDA="cuda>=12.0"\nFROM build\n'
    )
    assert from_dockerfile(dockerfile, mini_matrix()).require == "cuda>=12.0"
    # a stage from an external image starts from that image's environment, not the previous stage's
    dockerfile.write_text('FROM ubuntu:24.04 AS a\nENV NVIDIA_REQUIRE_CUDA="cuda>=13.0"\nFROM ubuntu:24.04\n')
    assert from_dockerfile(dockerfile, mini_matrix()).require is None
    # set empty in the file, it replaces the base image's: nothing is required
    dockerfile.write_text('FROM nvidia/cuda:12.8.1-cudnn-devel-ubuntu24.04\nENV NVIDIA_REQUIRE_CUDA=""\n')
    assert from_dockerfile(dockerfile, mini_matrix()).require is None


def test_image_env_file(tmp_path: Path) -> None:
    env = tmp_path / "env.txt"
    env.write_text(f"PATH=/usr/bin\nNVIDIA_REQUIRE_CUDA={REAL_13}\n")
    requirement = from_image_env(env)
    assert requirement.require == REAL_13
    assert evaluate_image(requirement, with_brand("580.159.04", "13.0", "nvidia")).compatible
    env.write_text("CUDA_VERSION=11.8.0\n")
    assert from_image_env(env).require == "cuda>=11.8"
    env.write_text("PATH=/usr/bin\n")
    with pytest.raises(InputError, match="NVIDIA_REQUIRE_CUDA"):
        from_image_env(env)


def test_dockerfile_without_from(tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("RUN true\n")
    with pytest.raises(InputError, match="no FROM"):
        from_dockerfile(dockerfile, mini_matrix())


def test_driver_less_host_cannot_start_a_cuda_image() -> None:
    described = replace(host(), driver=Driver(version="470.82.01", max_cuda="11.4"))
    result = evaluate_image(from_image_env_text("NVIDIA_REQUIRE_CUDA=cuda>=12.0"), described)
    assert not result.compatible


def from_image_env_text(text: str):  # type: ignore[no-untyped-def]
    from dlenv.compat.images import ImageRequirement

    return ImageRequirement("inline", None, text.split("=", 1)[1])


@pytest.mark.parametrize(
    ("driver", "max_cuda", "segment", "expected"),
    [
        # A described (unprobed) GPU: its product segment decides the brand branches of the real CUDA 13 image.
        ("535.104.05", "12.2", "datacenter", True),  # every data-center brand has a 535 branch
        ("535.104.05", "12.2", "geforce", False),  # no GeForce/TITAN branch at all
        ("545.23.08", "12.3", "datacenter", False),  # no 545 branch for any brand
        ("580.159.04", "13.0", "geforce", True),  # cuda>=13.0 holds on its own
    ],
)
def test_described_gpus_are_decided_by_their_segment(driver: str, max_cuda: str, segment: str, expected: bool) -> None:
    from dlenv.compat.brands import SEGMENT_BRANDS

    described = replace(host(driver, max_cuda=max_cuda), gpus=(Gpu(index=0, compute_capability="8.0"),))
    if driver.startswith("535"):
        assert evaluate_require(REAL_13, described) is None  # without the segment the brand branches are open
    assert evaluate_require(REAL_13, described, [SEGMENT_BRANDS[segment]]) is expected


def test_a_workstation_or_unknown_product_stays_undecided() -> None:
    from dlenv.compat.images import segment_brands

    described = replace(
        host("535.104.05", max_cuda="12.2"), gpus=(Gpu(index=0, name="RTX A6000", compute_capability="8.6"),)
    )
    assert segment_brands(described, mini_matrix()) == (None,)
    assert evaluate_require(REAL_13, described, segment_brands(described, mini_matrix())) is None
