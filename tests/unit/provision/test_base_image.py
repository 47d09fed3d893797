"""The base image fits the stack (shipped matrix): cuDNN where TF <= 2.13 needs it, devel for --devel, the target's
Python from the image or the distribution, NVIDIA_REQUIRE_CUDA never above the host, cuda-compat only when asked;
env/pixi never pin a CUDA the host's __cuda cannot satisfy; headers and regenerate lines carry every override."""

from __future__ import annotations

import shlex

import pytest

from dlenv.cli.options import OutputTarget
from dlenv.cli.provision_options import regenerate_command
from dlenv.compat.knowledge import MatrixGpuKnowledge
from dlenv.errors import ProblemsError
from dlenv.host.describe import HostSpec, resolve_host
from dlenv.host.model import HostFacts
from dlenv.matrix.load import load_matrix
from dlenv.matrix.model import Matrix
from dlenv.provision.conda import generate_env
from dlenv.provision.container import choose_base, generate_container, plan_container
from dlenv.provision.header import make_header
from dlenv.provision.stack import Stack, build_stack
from dlenv.versions import parse_cuda

V100_535 = ("535.104.05", ("V100",))
A100_535 = ("535.104.05", ("A100",))


@pytest.fixture(scope="module")
def matrix() -> Matrix:
    return load_matrix(None, env={})


def host(matrix: Matrix, driver: str | None, gpus: tuple[str, ...], python: str, env: dict[str, str]) -> HostFacts:
    spec = HostSpec(driver=driver, gpus=gpus, python=python, system="linux", arch="x86_64")

    def no_probe() -> HostFacts:
        raise AssertionError("never probes")

    return resolve_host(spec, probe=no_probe, knowledge=lambda: MatrixGpuKnowledge(matrix), env=env)


def stack(
    matrix: Matrix,
    requirement: str,
    target: tuple[str, tuple[str, ...]] | None,
    python: str,
    *,
    env: dict[str, str] | None = None,
    forward: bool = False,
) -> Stack:
    driver, gpus = target or (None, ())
    facts = host(matrix, driver, gpus, python, env or {})
    return build_stack(facts, matrix, [requirement], allow_forward_compat=forward)


def test_tensorflow_without_and_cuda_gets_cudnn_in_the_image(matrix: Matrix) -> None:
    tf = stack(matrix, "tensorflow==2.13.*", V100_535, "3.10")
    base = choose_base(tf, matrix)
    pin = tf.pins[0]
    assert pin.candidate.build.cudnn and not pin.bundles_cuda
    assert base.image.flavour == "cudnn-runtime"
    assert (base.image.cudnn or "").split(".")[0] == (pin.candidate.build.cudnn or "").split(".")[0]
    # A wheel-bundled TensorFlow needs no CUDA image at all.
    assert choose_base(stack(matrix, "tensorflow==2.15.*", V100_535, "3.10"), matrix).image.repository == "python"


def test_devel_for_a_stack_that_compiles_extensions(matrix: Matrix) -> None:
    torch = stack(matrix, "torch", V100_535, "3.10")
    assert choose_base(torch, matrix).image.repository == "python"
    devel = choose_base(torch, matrix, devel=True)
    assert devel.image.repository == "nvidia/cuda" and devel.image.flavour == "devel"


def test_a_python_the_distribution_packages_is_installed_from_it(matrix: Matrix) -> None:
    cupy = stack(matrix, "cupy-cuda12x", V100_535, "3.11")
    base = choose_base(cupy, matrix)
    assert base.image.os == "ubuntu22.04" and "3.11" in matrix.distribution_pythons["ubuntu22.04"]
    assert base.build_packages == ("python3.11", "python3.11-venv") and base.runtime_packages == ("python3.11",)
    have = parse_cuda(base.image.cuda or "")
    assert have is not None and (have.major, have.minor) <= (12, 2)  # what driver 535 starts
    text = generate_container(cupy, matrix, "docker", ["dlenv", "build"], "requirements.lock", None)
    assert "RUN python3.11 -m venv /opt/venv" in text
    with pytest.raises(ProblemsError, match=r"Python 3\.13"):
        choose_base(stack(matrix, "cupy-cuda12x", V100_535, "3.13"), matrix)


def test_forward_compatibility_only_when_asked_and_then_with_cuda_compat(matrix: Matrix) -> None:
    with pytest.raises(ProblemsError, match="forward"):
        stack(matrix, "cupy-cuda13x", A100_535, "3.12")
    forward = stack(matrix, "cupy-cuda13x", A100_535, "3.12", forward=True)
    plan = plan_container(forward, matrix, "requirements.lock", None, allow_forward_compat=True)
    compat = [p for p in plan.base.runtime_packages if p.startswith("cuda-compat-13-")]
    assert compat and plan.base.compat_dir
    assert plan.require_cuda == "cuda>=12.2"  # never above what driver 535 starts
    text = generate_container(
        forward, matrix, "docker", ["dlenv", "build", "--allow-forward-compat"], "requirements.lock", None,
        allow_forward_compat=True,
    )  # fmt: skip
    assert f"python3.12 {compat[0]}" in text and "LD_LIBRARY_PATH" in text
    # Without the option a stack that needs it is refused, never silently given an image the host cannot start.
    with pytest.raises(ProblemsError, match="--allow-forward-compat"):
        choose_base(forward, matrix)


def test_native_stack_never_requires_more_than_the_host(matrix: Matrix) -> None:
    for requirement in ("torch", "cupy-cuda12x", "tensorflow==2.13.*", "jax[cuda12]"):
        try:
            built = stack(matrix, requirement, V100_535, "3.10")
        except ProblemsError:
            continue
        plan = plan_container(built, matrix, "requirements.lock", None)
        if plan.require_cuda:
            need = parse_cuda(plan.require_cuda.split(",")[0].removeprefix("cuda>="))
            assert need is not None and (need.major, need.minor or 0) <= (12, 2), (requirement, plan.require_cuda)


def test_env_never_pins_a_cuda_the_host_cannot_satisfy(matrix: Matrix) -> None:
    forward = stack(matrix, "cupy-cuda13x", A100_535, "3.12", forward=True)
    for file_format in ("conda", "pixi"):
        with pytest.raises(ProblemsError, match=r"__cuda is 12\.2"):
            generate_env(forward, matrix, file_format, ["dlenv", "env"])
    torch = stack(matrix, "torch", V100_535, "3.11")
    pixi = generate_env(torch, matrix, "pixi", ["dlenv", "env"])
    line = next(line for line in pixi.splitlines() if line.startswith("cuda = "))
    assert parse_cuda(line.split('"')[1]) is not None and line.split('"')[1] <= "12.2"


def test_conda_override_cuda_is_in_the_header_and_the_regenerate_line(matrix: Matrix) -> None:
    overridden = stack(matrix, "torch", None, "3.11", env={"CONDA_OVERRIDE_CUDA": "12.2"})
    overrides = [(o.name, o.value) for o in overridden.host.overrides]
    command = regenerate_command(
        "env", ["torch"], HostSpec(python="3.11"), [], OutputTarget("environment.yml"),
        allow_forward_compat=True, overrides=overrides,
    )  # fmt: skip
    header = make_header(overridden, "env", "conda", command)
    assert "no NVIDIA driver" not in header.target and "CUDA 12.2" in header.target
    assert "CONDA_OVERRIDE_CUDA=12.2" in header.target
    words = shlex.split(header.command)
    assert words[:2] == ["CONDA_OVERRIDE_CUDA=12.2", "dlenv"] and "--allow-forward-compat" in words
