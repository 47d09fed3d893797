"""Queries the rest of dlenv asks of the matrix, over the frozen mini-matrix."""

from __future__ import annotations

import json

import pytest

from dlenv import records
from dlenv.matrix.model import FrameworkTable, Matrix, normalize_gpu_name


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("A100", "A100 SXM4 80GB"),
        ("NVIDIA A100-SXM4-80GB", "A100 SXM4 80GB"),
        ("NVIDIA GeForce RTX 4090", "GeForce RTX 4090"),
        ("rtx  4090", "GeForce RTX 4090"),
        ("GeForce RTX 4090", "GeForce RTX 4090"),
        ("Tesla T4", "T4"),
        ("nvidia h100 80gb hbm3", "H100 SXM5"),
        ("GTX 1080 Ti", "GeForce GTX 1080 Ti"),
    ],
)
def test_find_gpu_ignores_case_spaces_and_vendor_prefixes(mini_matrix: Matrix, name: str, expected: str) -> None:
    product = mini_matrix.find_gpu(name)
    assert product is not None and product.name == expected


def test_find_gpu_returns_none_for_an_unknown_name(mini_matrix: Matrix) -> None:
    assert mini_matrix.find_gpu("Voodoo 2") is None
    assert normalize_gpu_name(" NVIDIA  GeForce RTX 4090 ") == "rtx4090"


def test_architecture_of_a_compute_capability(mini_matrix: Matrix) -> None:
    assert (arch := mini_matrix.architecture_of("8.6")) is not None and arch.name == "Ampere"
    assert (arch := mini_matrix.architecture_of("9.0a")) is not None and arch.name == "Hopper"
    assert mini_matrix.architecture_of("1.0") is None


def test_toolkit_by_exact_version_or_newest_patch_of_a_minor(mini_matrix: Matrix) -> None:
    assert (toolkit := mini_matrix.toolkit("12.4.0")) is not None and toolkit.min_driver.linux == "550.54.14"
    assert (toolkit := mini_matrix.toolkit("12.4")) is not None and toolkit.version == "12.4.1"
    assert toolkit.major == 12 and toolkit.major_minor == "12.4"
    assert mini_matrix.toolkit("12.2") is None


def test_cuda_major(mini_matrix: Matrix) -> None:
    major = mini_matrix.cuda_major(12)
    assert major is not None and major.minor_compat_min_driver is not None
    assert major.minor_compat_min_driver.linux == "525.60.13"
    assert mini_matrix.cuda_major(9) is None


def test_framework_releases_and_builds(mini_matrix: Matrix) -> None:
    pytorch = mini_matrix.frameworks["pytorch"]
    release = pytorch.release("2.4.1.0")
    assert release is not None and release.version == "2.4.1" and release.companions["torchvision"] == "0.19.1"
    assert [build.build for build in pytorch.builds_of("2.4.1")] == ["cu118", "cu121", "cpu"]
    assert pytorch.builds_of("9.9") == ()
    assert pytorch.release("2.6.0") is None
    build = pytorch.build("2.5.1", "cu124")
    assert build is not None and build.cuda == "12.4" and build.cudnn == "9.1.0.70"
    newest = pytorch.newest_release()
    assert newest is not None and newest.version == "2.5.1"


@pytest.mark.parametrize(
    ("dist_name", "subject"),
    [("torch", "pytorch"), ("Cupy_CUDA12x", "cupy"), ("jax-cuda12-plugin", "jax"), ("cudf-cu12", "rapids")],
)
def test_framework_for_package(mini_matrix: Matrix, dist_name: str, subject: str) -> None:
    framework = mini_matrix.framework_for_package(dist_name)
    assert framework is not None and framework.subject == subject


def test_framework_for_an_unknown_package(mini_matrix: Matrix) -> None:
    assert mini_matrix.framework_for_package("numpy") is None


def test_records_are_frozen(mini_matrix: Matrix) -> None:
    product = mini_matrix.find_gpu("T4")
    assert product is not None
    with pytest.raises(records.FrozenInstanceError):
        product.compute_capability = "8.0"  # type: ignore[misc]


def test_frameworks_are_built_on_first_access() -> None:
    documents = {"jax": {"subject": "jax", "matrix_version": "2026.01.01", "releases": [], "builds": []}}
    table = FrameworkTable(documents, documents.get)
    assert list(table) == ["jax"] and len(table) == 1
    assert table["jax"] is table["jax"]
    with pytest.raises(KeyError):
        table["pytorch"]


def test_matrix_version_is_the_newest_of_the_files(mini_matrix: Matrix) -> None:
    assert mini_matrix.matrix_version == "2026.11.01"
    assert sorted(mini_matrix.frameworks) == ["cupy", "jax", "pytorch", "rapids", "tensorflow"]
    assert mini_matrix.image("nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04") is not None


def test_subjects_compiled_as_json_text_are_parsed_on_first_use(mini_matrix: Matrix) -> None:
    documents = {subject: json.dumps(mini_matrix.document(subject)) for subject in mini_matrix.subjects}
    lazy = Matrix.from_documents(documents, versions=dict(mini_matrix.versions))
    assert lazy.matrix_version == "2026.11.01"
    assert lazy._index == {}
    assert (product := lazy.find_gpu("T4")) is not None and product.compute_capability == "7.5"
    assert "document:pytorch" not in lazy._index
    assert lazy.frameworks["pytorch"] == mini_matrix.frameworks["pytorch"]
    assert "document:pytorch" in lazy._index and "document:jax" not in lazy._index


def test_a_matrix_can_be_a_cache_key(mini_matrix: Matrix) -> None:
    assert {mini_matrix: 1}[mini_matrix] == 1
