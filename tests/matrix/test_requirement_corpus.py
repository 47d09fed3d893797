"""Real requirement files from public projects (tests/data/requirements, each cited in its README): every one is read
without an error on several targets, and each GPU pin resolves to the build pip (or conda) would install."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from dlenv.compat import requirements as sources
from dlenv.compat.check import CheckReport, check
from dlenv.compat.sources.reading import read_for_target
from dlenv.matrix.load import load_matrix
from dlenv.matrix.model import Matrix
from tests.unit.compat.engine import host

CORPUS = Path(__file__).parents[1] / "data" / "requirements"
INCLUDED_ONLY = {"common.txt", "requirements-common.txt"}
"""Files read through another's -r, not on their own."""
H100 = host("580.65.06", gpus=(("H100", "9.0"),), python="3.12")


@cache
def matrix() -> Matrix:
    return load_matrix()


def corpus() -> list[Path]:
    return sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.name != "README.md" and p.name not in INCLUDED_ONLY)


def read(path: Path) -> sources.Source:
    if path.suffix == ".txt":
        return sources.read_requirements_file(path)
    if path.name.endswith("pixi.toml"):
        return sources.read_pixi(path, matrix())
    if path.suffix == ".toml":
        return sources.read_pyproject(path)
    return sources.read_conda(path, matrix())


def judged(path: Path, target=H100) -> CheckReport:  # type: ignore[no-untyped-def]
    source = read(path)
    reading = read_for_target(source.inputs(), (), source.skipped, target, matrix(), resolve=False)
    return check(target, matrix(), reading.inputs)


def builds(path: Path, target=H100) -> dict[str, str | None]:  # type: ignore[no-untyped-def]
    """origin's last part -> the build judged, for the lines the matrix knows."""
    return {
        f"{r.requirement.origin.rsplit(':', 1)[-1]} {r.requirement.name}": (
            r.evaluation.candidate.label if r.evaluation else None
        )
        for r in judged(path, target).results
        if r.subject is not None
    }


def test_the_corpus_holds_at_least_twenty_files_each_cited() -> None:
    readme = (CORPUS / "README.md").read_text()
    files = [p for p in CORPUS.rglob("*") if p.is_file() and p.name != "README.md"]
    assert len(files) >= 20
    for path in files:
        assert str(path.relative_to(CORPUS)) in readme, f"{path} has no source in the README"


@pytest.mark.parametrize("path", corpus(), ids=lambda p: str(p.relative_to(CORPUS)))
@pytest.mark.parametrize(
    "target",
    [H100, host("550.54.15", python="3.10", arch="aarch64"), host(python="3.12", system="macos", arch="aarch64")],
    ids=["linux-x86_64-py312", "linux-aarch64-py310", "macos-arm64-py312"],
)
def test_every_corpus_file_is_read_and_judged_without_an_error(path: Path, target) -> None:  # type: ignore[no-untyped-def]
    report = judged(path, target)
    assert report.results or read(path).skipped or not read(path).requirements


def test_vllm_cuda_pins_the_default_cuda_build_and_flags_an_unrecorded_companion() -> None:
    found = builds(CORPUS / "vllm" / "cuda.txt")
    assert found["7 torch"] == "torch==2.13.0+cu130"
    assert found["10 torchvision"] == "torchvision==0.28.0+cu130"
    assert found["8 torchaudio"] is None  # no torchaudio recorded for torch 2.13.0: a warning, not a green
    (torchaudio,) = [r for r in judged(CORPUS / "vllm" / "cuda.txt").results if r.requirement.name == "torchaudio"]
    assert [f.code for f in torchaudio.findings] == ["companion_unknown"]


def test_vllm_cpu_skips_other_machines_lines_and_takes_the_cpu_build() -> None:
    assert builds(CORPUS / "vllm" / "cpu.txt") == {
        "8 torch": "torch==2.6.0+cpu",
        "14 torchaudio": "torchaudio==2.6.0+cpu",
        "18 torchvision": "torchvision==0.21.0+cpu",
    }
    aarch64 = builds(CORPUS / "vllm" / "cpu.txt", host(python="3.12", arch="aarch64"))
    assert aarch64["10 torch"] is not None and aarch64["10 torch"].startswith("torch==2.6.0")
    assert "8 torch" not in aarch64 and "11 torch" not in aarch64  # x86_64 and s390x lines skipped


def test_vllm_build_and_keras_pins() -> None:
    assert builds(CORPUS / "vllm" / "build.txt") == {"7 torch": "torch==2.9.1+cu128"}
    keras = builds(CORPUS / "keras" / "requirements-jax-cuda.txt")
    assert keras["7 torch"] == "torch==2.6.0+cpu"
    assert keras["11 jax"] == "jax[cuda12]==0.4.28"


def test_conda_environments_pin_the_build_of_their_cuda_version() -> None:
    compvis = judged(CORPUS / "compvis" / "environment.yaml")
    torch = next(r for r in compvis.results if r.requirement.name == "torch")
    assert torch.evaluation is not None and torch.evaluation.candidate.label == "torch==1.11.0+cu113"
    assert torch.status == "incompatible"  # torch 1.11 has no sm_90 kernels for the H100
    cuml = builds(CORPUS / "rapids" / "cuml-all_cuda-129_arch-x86_64.yaml")
    assert cuml["dependencies[9] cudf-cu12"] == "cudf-cu12==26.2.1"
    assert cuml["dependencies[10] cupy-cuda12x"] == "cupy-cuda12x==14.2.0"
    cudf = builds(CORPUS / "rapids" / "cudf-all_cuda-129_arch-x86_64.yaml")
    assert cudf["dependencies[76] torch"] == "torch==2.13.0+cu129"


def test_uv_sources_per_extra_take_each_extras_index_and_companion() -> None:
    found = builds(CORPUS / "musubi-tuner" / "pyproject.toml")
    assert found == {
        "project.optional-dependencies.cu124 torch": "torch==2.6.0+cu124",
        "project.optional-dependencies.cu124 torchvision": "torchvision==0.21.0+cu124",
        "project.optional-dependencies.cu128 torch": "torch==2.11.0+cu128",
        "project.optional-dependencies.cu128 torchvision": found["project.optional-dependencies.cu128 torchvision"],
        "project.optional-dependencies.cu130 torch": found["project.optional-dependencies.cu130 torch"],
        "project.optional-dependencies.cu130 torchvision": found["project.optional-dependencies.cu130 torchvision"],
    }
    assert str(found["project.optional-dependencies.cu128 torchvision"]).endswith("+cu128")
    assert str(found["project.optional-dependencies.cu130 torch"]).endswith("+cu130")


def test_pixi_features_take_builds_of_their_system_cuda() -> None:
    found = builds(CORPUS / "pixi" / "pytorch.pixi.toml")
    assert found["feature.pytorch-with-cuda-11.dependencies.pytorch torch"] == "torch==2.7.1+cu118"
    assert str(found["feature.pytorch-from-pytorch.dependencies.pytorch torch"]).split("+")[1].startswith("cu12")


def test_direct_wheels_in_poetry_and_requirements_files_are_read_by_file_name() -> None:
    marlin = [r for r in read(CORPUS / "tgi" / "pyproject.toml").inputs() if r.name == "marlin-kernels"]
    assert [r.exact_version for r in marlin] == ["0.3.0+cu123torch2.4"] * 4
    llama = [r for r in read(CORPUS / "oobabooga" / "requirements.txt").inputs() if r.name == "llama-cpp-binaries"]
    assert [r.exact_version for r in llama] == ["0.106.0+cu124", "0.106.0+cu124"]
