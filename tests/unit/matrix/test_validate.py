"""Schema and invariant checks: every problem is one exact line naming file, row, field, what is wrong and a fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dlenv.errors import EXIT_BAD_INPUT, InputError
from dlenv.matrix.validate import MatrixProblems, validate_directory
from tests.unit.matrix.helpers import MINI, edit_yaml


def problems_after(matrix_dir: Path, file_name: str, edit: Any) -> list[str]:
    edit_yaml(matrix_dir / file_name, edit)
    return [str(problem) for problem in validate_directory(matrix_dir).problems]


def test_the_mini_matrix_is_valid() -> None:
    report = validate_directory(MINI)
    assert report.ok and report.problems == []
    assert len(report.files) == 8


def test_a_build_naming_an_unknown_cuda_version(matrix_dir: Path) -> None:
    def edit(doc: dict[str, Any]) -> None:
        doc["builds"][1]["cuda"] = "12.2"

    assert problems_after(matrix_dir, "pytorch.yaml", edit) == [
        f"{matrix_dir}/pytorch.yaml:builds[1] (release 2.4.1, build cu121).cuda: CUDA 12.2 is not in cuda.yaml"
        " (fix: add a 12.2.x toolkit row or correct the version)"
    ]


def test_cuda_ranges_forward_compat_and_images_are_checked_too(matrix_dir: Path) -> None:
    edit_yaml(matrix_dir / "cupy.yaml", lambda doc: doc["builds"][0]["cuda_range"].update(max="12.9"))
    edit_yaml(matrix_dir / "cuda.yaml", lambda doc: doc["forward_compat"][0].update(cuda="12.7"))
    edit_yaml(matrix_dir / "images.yaml", lambda doc: doc["images"][0].update(cuda="12.5.0"))
    problems = [str(problem) for problem in validate_directory(matrix_dir).problems]
    assert problems == [
        f"{matrix_dir}/cuda.yaml:forward_compat[0] (cuda 12.7).cuda: CUDA 12.7 is not in cuda.yaml"
        " (fix: add a 12.7.x toolkit row or correct the version)",
        f"{matrix_dir}/cupy.yaml:builds[0] (release 13.3.0, build cuda12x).cuda_range.max: CUDA 12.9 is not in"
        " cuda.yaml (fix: add a 12.9.x toolkit row or correct the version)",
        f"{matrix_dir}/images.yaml:images[0] (image nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04).cuda:"
        " CUDA 12.5 is not in cuda.yaml (fix: add a 12.5.x toolkit row or correct the version)",
    ]


def test_a_build_of_a_release_that_is_not_listed(matrix_dir: Path) -> None:
    def edit(doc: dict[str, Any]) -> None:
        doc["builds"][4]["release"] = "2.6.0"

    assert problems_after(matrix_dir, "pytorch.yaml", edit) == [
        f"{matrix_dir}/pytorch.yaml:builds[4] (release 2.6.0, build cu124).release: release 2.6.0 is not in the"
        " releases of pytorch (fix: add a releases row for 2.6.0 or correct the version)"
    ]


@pytest.mark.parametrize(
    ("file_name", "section", "index", "copy_of", "label"),
    [
        ("pytorch.yaml", "releases", 2, 0, "release 2.4.1"),
        ("pytorch.yaml", "builds", 5, 1, "release 2.4.1, build cu121"),
        ("cuda.yaml", "toolkits", 5, 4, "toolkit 12.4.1"),
        ("cuda.yaml", "majors", 2, 0, "major 11"),
        ("gpus.yaml", "architectures", 5, 0, "architecture Pascal"),
        ("images.yaml", "images", 2, 1, "image pytorch/pytorch:2.4.1-cuda12.1-cudnn9-runtime"),
    ],
)
def test_duplicate_rows(matrix_dir: Path, file_name: str, section: str, index: int, copy_of: int, label: str) -> None:
    def edit(doc: dict[str, Any]) -> None:
        doc[section].append(dict(doc[section][copy_of]))

    assert problems_after(matrix_dir, file_name, edit) == [
        f"{matrix_dir}/{file_name}:{section}[{index}] ({label}): duplicate row: same key as {section}[{copy_of}]"
        f" ({label}) (fix: keep one of the two rows (an overlay directory may replace shipped rows, not its own))"
    ]


def test_versions_equal_under_pep_440_are_duplicates(matrix_dir: Path) -> None:
    def edit(doc: dict[str, Any]) -> None:
        doc["releases"].append({**doc["releases"][0], "version": "2.4.1.0"})

    problems = problems_after(matrix_dir, "pytorch.yaml", edit)
    assert len(problems) == 1 and "releases[2] (release 2.4.1.0): duplicate row: same key as releases[0]" in problems[0]


def test_a_gpu_alias_naming_products_of_different_compute_capability(matrix_dir: Path) -> None:
    def edit(doc: dict[str, Any]) -> None:
        doc["gpus"][4]["aliases"].append("NVIDIA A100")

    assert problems_after(matrix_dir, "gpus.yaml", edit) == [
        f"{matrix_dir}/gpus.yaml:gpus[4] (gpu H100 SXM5).aliases[2]: 'NVIDIA A100' also names gpus[0]"
        " (gpu A100 SXM4 80GB), whose compute capability is 8.0, not 9.0"
        " (fix: make the name specific to one product (e.g. add the memory size or form factor))"
    ]


def test_a_gpu_alias_shared_by_products_of_one_compute_capability_is_fine(matrix_dir: Path) -> None:
    def edit(doc: dict[str, Any]) -> None:
        doc["gpus"].append({**doc["gpus"][0], "name": "A100 PCIe 80GB", "aliases": ["A100"]})

    assert problems_after(matrix_dir, "gpus.yaml", edit) == []


def test_gpu_architecture_must_exist_and_list_the_capability(matrix_dir: Path) -> None:
    def edit(doc: dict[str, Any]) -> None:
        doc["gpus"][2]["architecture"] = "Turring"
        doc["gpus"][3]["compute_capability"] = "6.3"

    assert problems_after(matrix_dir, "gpus.yaml", edit) == [
        f"{matrix_dir}/gpus.yaml:gpus[2] (gpu T4).architecture: architecture 'Turring' is not in the architectures"
        " of gpus.yaml (fix: add an architectures row or correct the name)",
        f"{matrix_dir}/gpus.yaml:gpus[3] (gpu GeForce GTX 1080 Ti).compute_capability: compute capability 6.3 is not"
        " listed by architecture Pascal (fix: add 6.3 to Pascal's compute_capabilities or correct the value)",
    ]


def test_a_version_packaging_cannot_parse(matrix_dir: Path) -> None:
    def edit(doc: dict[str, Any]) -> None:
        doc["releases"][0]["version"] = "2.4abc"
        for build in doc["builds"][:3]:
            build["release"] = "2.4abc"

    problems = problems_after(matrix_dir, "pytorch.yaml", edit)
    assert problems[0] == (
        f"{matrix_dir}/pytorch.yaml:releases[0] (release 2.4abc).version: '2.4abc' is not a valid version"
        " (fix: write a PEP 440 version)"
    )
    assert len(problems) == 4


@pytest.mark.parametrize(
    ("edit_row", "expected"),
    [
        (
            lambda row: row.pop("source"),
            "builds[1] (release 2.4.1, build cu121): missing required field 'source'"
            " (fix: add it (see matrices/schema/ for its meaning))",
        ),
        (
            lambda row: row.update(cdua="12.1"),
            "builds[1] (release 2.4.1, build cu121): unknown field 'cdua' (fix: remove it or correct its spelling",
        ),
        (
            lambda row: row.update(cuda=12.1),
            "builds[1] (release 2.4.1, build cu121).cuda: 12.1 is a number, not a string"
            ' (fix: quote it as written, e.g. "12.10" (YAML reads 12.10 as 12.1))',
        ),
        (
            lambda row: row.update(accelerator="tpu"),
            "builds[1] (release 2.4.1, build cu121).accelerator: 'tpu' is not one of: cpu, cuda, rocm, xpu"
            " (fix: use one of the listed values)",
        ),
        (
            lambda row: row.update(cuda="12"),
            "builds[1] (release 2.4.1, build cu121).cuda: '12' is not in the expected form"
            " (fix: write it to match ^[0-9]+\\.[0-9]+$)",
        ),
        (
            lambda row: row.update(platforms=[]),
            "builds[1] (release 2.4.1, build cu121).platforms: must not be empty (fix: list at least 1 item(s))",
        ),
    ],
    ids=["required", "unknown", "number", "enum", "pattern", "empty"],
)
def test_schema_problems_are_one_line_each(matrix_dir: Path, edit_row: Any, expected: str) -> None:
    problems = problems_after(matrix_dir, "pytorch.yaml", lambda doc: edit_row(doc["builds"][1]))
    assert len(problems) == 1
    assert problems[0].startswith(f"{matrix_dir}/pytorch.yaml:{expected}")
    assert "\n" not in problems[0]


def test_an_unquoted_date_is_reported_as_a_date(matrix_dir: Path) -> None:
    path = matrix_dir / "jax.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace('"2024-10-22"', "2024-10-22"), encoding="utf-8")
    problems = [str(problem) for problem in validate_directory(matrix_dir).problems]
    assert problems == [
        f"{matrix_dir}/jax.yaml:releases[0] (release 0.4.35).released: 2024-10-22 is a date, not a string"
        ' (fix: quote it, e.g. "2024-09-04")'
    ]


def test_a_header_problem_has_no_row(matrix_dir: Path) -> None:
    problems = problems_after(matrix_dir, "jax.yaml", lambda doc: doc.update(schema_version=2))
    assert problems == [f"{matrix_dir}/jax.yaml:schema_version: 2 must be 1 (fix: write 1)"]


def test_framework_subjects_may_be_in_house_but_not_reserved_names(matrix_dir: Path) -> None:
    assert problems_after(matrix_dir, "jax.yaml", lambda doc: doc.update(subject="acme-jax")) == []
    problems = problems_after(matrix_dir, "jax.yaml", lambda doc: doc.update(subject="Acme JAX"))
    assert problems == [
        f"{matrix_dir}/jax.yaml:subject: 'Acme JAX' is not in the expected form"
        " (fix: write it to match ^[a-z][a-z0-9-]*$)"
    ]


def test_every_problem_is_reported_and_syntax_errors_do_not_hide_the_rest(matrix_dir: Path) -> None:
    (matrix_dir / "broken.yaml").write_text("subject: [\n", encoding="utf-8")
    edit_yaml(matrix_dir / "pytorch.yaml", lambda doc: doc["builds"][1].update(cuda="12.2"))
    report = validate_directory(matrix_dir)
    problems = [str(problem) for problem in report.problems]
    assert len(problems) == 2
    assert problems[0].startswith(f"{matrix_dir}/broken.yaml:2:1: YAML syntax error")
    assert "CUDA 12.2 is not in cuda.yaml" in problems[1]
    with pytest.raises(MatrixProblems) as caught:
        report.raise_for_problems()
    assert caught.value.exit_code == EXIT_BAD_INPUT
    assert isinstance(caught.value, InputError) and len(caught.value.problems) == 2
    assert str(caught.value).endswith("1 more problem(s): run `dlenv matrix validate` to list them)")


def test_a_missing_directory_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="matrix directory not found"):
        validate_directory(tmp_path / "nope")


def test_without_cuda_yaml_one_problem_says_so(matrix_dir: Path) -> None:
    (matrix_dir / "cuda.yaml").unlink()
    problems = [str(problem) for problem in validate_directory(matrix_dir).problems]
    assert problems == [
        f"{matrix_dir}/images.yaml: no cuda.yaml: the CUDA versions of 14 row(s) cannot be checked"
        " (fix: add the cuda subject's file (subject: cuda) to the matrix directory)"
    ]


def test_a_package_belongs_to_one_framework_subject(matrix_dir: Path) -> None:
    problems = problems_after(matrix_dir, "jax.yaml", lambda doc: doc["builds"][0]["packages"].append("torch"))
    assert problems == [
        f"{matrix_dir}/pytorch.yaml:builds[0] (release 2.4.1, build cu118).packages[0]: package 'torch' also installs"
        f" jax builds ({matrix_dir}/jax.yaml:builds[0] (release 0.4.35, build cuda12))"
        " (fix: a distribution belongs to one framework subject: rename it or move the build)"
    ]


# ---------------------------------------------------------------------------------------------------- images table

IMAGE = "images[0] (image nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04)"


def test_an_image_naming_an_unknown_require_cuda_id(matrix_dir: Path) -> None:
    problems = problems_after(matrix_dir, "images.yaml", lambda doc: doc["images"][0].update(require_cuda="cuda12.4"))
    assert problems == [
        f"{matrix_dir}/images.yaml:{IMAGE}.require_cuda: 'cuda12.4' is not the id of a require_cuda entry"
        " (fix: correct the id, or add a require_cuda entry with it)",
        f"{matrix_dir}/images.yaml:require_cuda[0] (require_cuda cuda12.4-r470).id: no image row refers to this"
        " entry (fix: remove it, or refer to it from an image row)",
    ]


def test_a_verbatim_require_cuda_value_on_a_row_points_at_the_table(matrix_dir: Path) -> None:
    def edit(doc: dict[str, Any]) -> None:
        doc["images"][0]["require_cuda"] = doc["require_cuda"][0]["value"]
        doc["require_cuda"] = []

    assert problems_after(matrix_dir, "images.yaml", edit) == [
        f"{matrix_dir}/images.yaml:{IMAGE}.require_cuda: 'cuda>=12.4 brand=tesla,driver>=470,driver<471' is not the"
        " id of a require_cuda entry (it looks like the NVIDIA_REQUIRE_CUDA value itself) (fix: add an entry"
        " {id, value, source} to the file's top-level require_cuda list and write its id here)"
    ]


def test_a_require_cuda_value_has_one_entry(matrix_dir: Path) -> None:
    def edit(doc: dict[str, Any]) -> None:
        doc["require_cuda"].append({**doc["require_cuda"][0], "id": "cuda12.4-again"})
        doc["images"].append({**doc["images"][0], "tag": "12.4.1-cudnn-devel-ubuntu22.04", "flavour": "cudnn-devel"})
        doc["images"][-1]["require_cuda"] = "cuda12.4-again"

    assert problems_after(matrix_dir, "images.yaml", edit) == [
        f"{matrix_dir}/images.yaml:require_cuda[1] (require_cuda cuda12.4-again).value: require_cuda[0]"
        " (require_cuda cuda12.4-r470) holds the same value (fix: remove this entry and refer to 'cuda12.4-r470'"
        " instead)"
    ]


def test_require_cuda_ids_have_a_form_and_entries_need_a_value_and_source(matrix_dir: Path) -> None:
    def edit(doc: dict[str, Any]) -> None:
        doc["require_cuda"][0]["id"] = "CUDA 12.4"
        doc["images"][0]["require_cuda"] = "CUDA 12.4"
        doc["require_cuda"][0].pop("source")

    problems = problems_after(matrix_dir, "images.yaml", edit)
    assert [problem.split(" (fix:")[0] for problem in problems] == [
        f"{matrix_dir}/images.yaml:require_cuda[0] (require_cuda CUDA 12.4): missing required field 'source'",
        f"{matrix_dir}/images.yaml:require_cuda[0] (require_cuda CUDA 12.4).id: 'CUDA 12.4' is not in the expected"
        " form",
    ]


# ---------------------------------------------------------------------------------------------------- file notes


@pytest.mark.parametrize(
    ("notes", "expected"),
    [
        (["free text"], "notes: ['free text'] is a list, not object (fix: write a object)"),
        ({"caveats": ["x"]}, "notes: unknown field 'caveats' (fix: remove it or correct its spelling (fields: scope,"),
        ({"scope": []}, "notes.scope: must not be empty (fix: list at least 1 item(s))"),
        ({}, "notes: must not be empty (fix: give at least one field)"),
    ],
    ids=["list", "unknown-kind", "empty-kind", "empty"],
)
@pytest.mark.parametrize("file_name", ["cuda.yaml", "gpus.yaml", "jax.yaml", "images.yaml"])
def test_file_notes_are_a_map_of_kinds(matrix_dir: Path, file_name: str, notes: object, expected: str) -> None:
    problems = problems_after(matrix_dir, file_name, lambda doc: doc.update(notes=notes))
    assert len(problems) == 1
    assert problems[0].startswith(f"{matrix_dir}/{file_name}:{expected}")


def test_every_kind_of_note_is_accepted(matrix_dir: Path) -> None:
    notes = {"scope": ["a"], "method": ["b"], "left_out": ["c"], "disagreements": ["d"]}
    assert problems_after(matrix_dir, "jax.yaml", lambda doc: doc.update(notes=notes)) == []


def test_a_date_the_pattern_accepts_but_the_calendar_does_not_is_a_problem(matrix_dir: Path) -> None:
    """2024-13-45 has the shape of a date: the schema's format check refuses it, so no reader of the matrix (the
    refresh policy parses `since` as a date) ever sees it."""

    def edit(doc: dict[str, Any]) -> None:
        doc["releases"][0]["released"] = "2024-02-30"
        family = doc.setdefault("family", {"source": ["https://github.com/jax-ml/jax"]})
        family["refresh"] = {"release_projects": ["jax"], "python_projects": [], "scope": {"since": "2024-13-45"}}

    problems = problems_after(matrix_dir, "jax.yaml", edit)
    assert any("'2024-02-30' is not a valid date" in problem for problem in problems), problems
    assert any("'2024-13-45' is not a valid date" in problem for problem in problems), problems
