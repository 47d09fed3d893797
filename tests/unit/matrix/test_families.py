"""The family blocks as data: which pip and conda names are which framework, how builds are named, and the
defaults an in-house family gets without a block."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dlenv.matrix.families import FamilyIndex, family_entry, family_table, shipped_families
from dlenv.matrix.load import compiled_documents, load_compiled, load_matrix
from dlenv.matrix.validate import validate_directory
from tests.unit.matrix.helpers import MINI

SHIPPED = shipped_families()

# Every name the probe's former hard-coded patterns classified, and names they left out, with the family each
# belongs to in the shipped family blocks.
PIP_NAMES = [
    ("torch", "pytorch"),
    ("torchvision", "pytorch"),
    ("torchaudio", "pytorch"),
    ("tensorflow", "tensorflow"),
    ("tensorflow-cpu", "tensorflow"),
    ("tensorflow-gpu", "tensorflow"),
    ("tf-nightly", "tensorflow"),
    ("tf-nightly-gpu", "tensorflow"),
    ("jax", "jax"),
    ("jaxlib", "jax"),
    ("jax-cuda12-plugin", "jax"),
    ("jax-cuda13-pjrt", "jax"),
    ("cupy", "cupy"),
    ("cupy-cuda12x", "cupy"),
    ("cupy-cuda102", "cupy"),
    ("cupy-rocm-5-0", "cupy"),
    ("cudf-cu12", "rapids"),
    ("libcuvs-cu13", "rapids"),
    ("raft-dask-cu11", "rapids"),
    ("dask-cuda", "rapids"),
    ("numpy", None),
    ("torchtext", None),
    ("tensorflow-intel", None),
    ("jax-cuda12", None),
    ("cupy-cuda", None),
    ("cudf", None),
    ("kvikio-cu12", None),
    ("nvidia-cudnn-cu12", None),
]


@pytest.mark.parametrize(("name", "subject"), PIP_NAMES)
def test_pip_names_are_classified_by_the_shipped_family_blocks(name: str, subject: str | None) -> None:
    assert SHIPPED.subject_of(name) == subject


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("pytorch", ("pytorch", "torch", "framework")),
        ("torchvision", ("pytorch", "torchvision", "framework")),
        ("pytorch-gpu", ("pytorch", "torch", "metapackage")),
        ("pytorch-cuda", ("pytorch", "pytorch-cuda", "cuda_pin")),
        ("tensorflow-base", ("tensorflow", "tensorflow-base", "framework")),
        ("tensorflow-gpu", ("tensorflow", "tensorflow", "metapackage")),
        ("jaxlib", ("jax", "jaxlib", "framework")),
        ("cupy", ("cupy", "cupy", "framework")),
        ("cudf", ("rapids", "cudf", "framework")),
        ("dask-cuda", ("rapids", "dask-cuda", "framework")),
        ("numpy", None),
    ],
)
def test_conda_names_are_classified_with_their_pip_name_and_role(
    name: str, expected: tuple[str, str, str] | None
) -> None:
    entry = SHIPPED.conda(name)
    assert (None if entry is None else (entry.subject, entry.pip, entry.role)) == expected


def test_conda_cuda_pins_come_from_the_family_blocks() -> None:
    assert SHIPPED.conda_cuda_pins == frozenset({"pytorch-cuda"})


@pytest.mark.parametrize(
    ("subject", "name", "build"),
    [
        ("cupy", "cupy-cuda12x", "cuda12x"),
        ("cupy", "cupy-cuda102", "cuda102"),
        ("cupy", "cupy-rocm-5-0", None),
        ("rapids", "cudf-cu12", "cu12"),
        ("rapids", "dask-cuda", None),
        ("jax", "jax-cuda12-plugin", "cuda12"),
        ("jax", "jaxlib", None),
        ("pytorch", "torchvision", None),
    ],
)
def test_the_build_a_distribution_name_spells(subject: str, name: str, build: str | None) -> None:
    assert SHIPPED.build_in_name(subject, name) == build


def test_build_files_and_extension_builders() -> None:
    assert SHIPPED.build_files("pytorch", "torch") == [("torch/version.py", "version_py")]
    assert SHIPPED.build_files("pytorch", "torchvision") == []
    assert SHIPPED.build_files("tensorflow", "tf-nightly") == [
        ("tensorflow/python/platform/build_info.py", "build_info_py")
    ]
    assert SHIPPED.build_files("cupy", "cupy-cuda12x") == []
    assert SHIPPED.cuda_extension_builders(["torchvision", "torch", "jaxlib"]) == ["torch"]


@pytest.mark.parametrize(
    ("subject", "build", "tagged"),
    [
        ("pytorch", "cu121", True),
        ("pytorch", "cpu", True),
        ("jax", "cuda12.cudnn89", True),
        ("jax", "cuda12", False),
        ("tensorflow", "linux-cuda", False),
        ("cupy", "cuda12x", False),
        ("rapids", "cu12", False),
    ],
)
def test_which_builds_a_local_version_tag_selects(subject: str, build: str, tagged: bool) -> None:
    assert load_matrix().frameworks[subject].family.selects_by_local_tag(build) is tagged


def test_install_facts_of_the_shipped_families() -> None:
    families = {subject: framework.family for subject, framework in load_matrix().frameworks.items()}
    assert [s for s, f in families.items() if f.index_serves_dependencies] == ["pytorch"]
    assert [s for s, f in families.items() if f.cuda_from_package] == ["pytorch"]
    assert {s: f.cuda_extra for s, f in families.items() if f.cuda_extra} == {"tensorflow": "and-cuda"}


def test_a_framework_without_a_family_block_gets_the_defaults() -> None:
    document = {
        "subject": "acme-torch",
        "releases": [{"version": "2.5.1", "companions": {"Acme_Vision": "0.20.1"}}],
        "builds": [{"release": "2.5.1", "build": "cu124", "packages": ["acme-torch"]}],
    }
    index = FamilyIndex(family_table({"acme-torch": document}))
    assert index.subject_of("acme-torch") == "acme-torch"
    assert index.subject_of("acme-vision") == "acme-torch"  # companions count, PEP 503 normalised
    assert index.subject_of("torch") is None
    assert index.build_files("acme-torch", "acme-torch") == []
    assert index.build_in_name("acme-torch", "acme-torch") is None
    assert index.cuda_extension_builders(["acme-torch"]) == []


def test_declared_distributions_replace_the_default() -> None:
    document = {
        "subject": "acme",
        "family": {"distributions": ["acme-core"], "source": ["https://x.test/"]},
        "builds": [{"release": "1", "build": "b", "packages": ["acme-wheel"]}],
    }
    assert family_entry(document)["distributions"] == ["acme-core"]


def test_the_compiled_index_is_what_the_documents_give() -> None:
    compiled = load_compiled()
    assert compiled["families"] == family_table(compiled_documents(compiled))
    assert sorted(compiled["families"]) == ["cupy", "jax", "pytorch", "rapids", "tensorflow"]


def test_the_shipped_index_is_read_without_building_records() -> None:
    """The probe's path: matrix.json's family index, without importing the record module (start-up time)."""
    code = (
        "import sys; from dlenv.matrix.families import shipped_families; "
        "assert shipped_families().subject_of('torch') == 'pytorch'; print('dlenv.matrix.model' in sys.modules)"
    )
    src = str(Path(__file__).resolve().parents[3] / "src")
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={"PYTHONPATH": src}, check=True, timeout=60
    )
    assert result.stdout.strip() == "False"


def _overlay(tmp_path: Path, family: dict[str, object], packages: list[str] | None = None) -> Path:
    import yaml

    overlay = tmp_path / "overlay"
    overlay.mkdir()
    document = {
        "schema_version": 1,
        "matrix_version": "2026.11.24",
        "subject": "acme-torch",
        "family": {**family, "source": ["https://x.test/acme"]},
        "releases": [{"version": "2.5.1", "python": ["3.11"], "source": ["https://x.test/acme"]}],
        "builds": [
            {
                "release": "2.5.1",
                "build": "cu124",
                "packages": packages or ["acme-torch"],
                "accelerator": "cuda",
                "platforms": ["linux-x86_64"],
                "source": ["https://x.test/acme"],
            }
        ],
    }
    (overlay / "acme-torch.yaml").write_text(yaml.safe_dump(document), encoding="utf-8")
    return overlay


def _problems(overlay: Path) -> list[str]:
    base = validate_directory(MINI).merged
    return [str(problem) for problem in validate_directory(overlay, base=base).problems]


def test_an_overlay_family_validates(tmp_path: Path) -> None:
    family: dict[str, object] = {
        "build_selection": {"by": "local_tag", "build_in_name": "-(cu[0-9]+)$"},
        "conda": [{"name": "acme"}],
    }
    assert _problems(_overlay(tmp_path, family)) == []


@pytest.mark.parametrize(
    ("family", "problem"),
    [
        ({"distributions": ["acme-torch", "torch"]}, "distribution 'torch' is also one of family pytorch's"),
        ({"distributions": ["cupy-cuda99x"]}, "distribution 'cupy-cuda99x' is also one of family cupy's"),
        ({"distribution_patterns": ["^torch.*$"]}, "distribution_patterns: distribution 'torch' is also one of fam"),
        ({"conda": [{"name": "pytorch"}]}, "conda package 'pytorch' is also one of family pytorch's"),
        ({"distribution_patterns": ["^acme-(cu[0-9$"]}, "family.distribution_patterns[0]: not a regular expression"),
        ({"build_selection": {"build_in_name": "-cu[0-9]+$"}}, "build_in_name: has no group"),
        ({"build_selection": {"local_tag_builds": "cu124"}}, "family.build_selection.local_tag_builds"),
        ({"cuda_libraries": {"from": "extra"}}, "family.cuda_libraries"),
    ],
)
def test_bad_family_blocks_are_problems_naming_the_place(
    tmp_path: Path, family: dict[str, object], problem: str
) -> None:
    problems = _problems(_overlay(tmp_path, family))
    assert any(problem in text and "acme-torch.yaml" in text for text in problems), problems


def test_the_family_index_is_read_from_the_envelope_of_matrix_json() -> None:
    """The probe's index is in the compiled file's first line: no subject is read for it."""
    from dlenv.matrix import load

    load.clear_cache()
    families = load.compiled_families()
    assert families == load_compiled()["families"] and families
    assert load_compiled()["subjects"]._texts == {}  # the subjects were not read
