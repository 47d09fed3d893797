"""load_matrix(): the shipped compiled matrix, overlays layered on top, and the caches."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from dlenv.errors import DlenvError
from dlenv.matrix import load
from dlenv.matrix.compile import compile_directory, is_up_to_date, source_digests, write_compiled
from dlenv.matrix.validate import MatrixProblems
from tests.unit.matrix.helpers import edit_yaml, write_yaml

HEADER = {"schema_version": 1, "matrix_version": "2026.11.20"}


def in_house(cuda: str = "12.4") -> dict[str, Any]:
    return {
        **HEADER,
        "subject": "acme-torch",
        "releases": [{"version": "1.0.0", "python": ["3.12"], "source": ["https://git.acme.example/torch/1.0.0"]}],
        "builds": [
            {
                "release": "1.0.0",
                "build": "cu124",
                "packages": ["acme-torch"],
                "accelerator": "cuda",
                "cuda": cuda,
                "platforms": ["linux-x86_64"],
                "source": ["https://git.acme.example/torch/1.0.0"],
            }
        ],
    }


def correction() -> dict[str, Any]:
    """Replaces the shipped T4 row (new notes) and adds a GPU."""
    source = ["https://wiki.acme.example/gpus"]
    return {
        **HEADER,
        "subject": "gpus",
        "architectures": [],
        "gpus": [
            {
                "name": "T4",
                "aliases": ["Tesla T4"],
                "compute_capability": "7.5",
                "architecture": "Turing",
                "segment": "datacenter",
                "notes": "corrected in-house",
                "source": source,
            },
            {
                "name": "L40S",
                "compute_capability": "8.9",
                "architecture": "Ada Lovelace",
                "segment": "datacenter",
                "source": source,
            },
        ],
    }


def test_the_shipped_matrix_loads_and_is_cached(shipped_mini: Path) -> None:
    matrix = load.load_matrix(env={})
    assert matrix is load.load_matrix(env={})
    assert matrix.find_gpu("T4") is not None
    assert matrix.origins["pytorch"] == "shipped"


def test_the_compiled_file_embeds_schemas_and_source_digests(shipped_mini: Path, matrix_dir: Path) -> None:
    compiled = load.load_compiled(shipped_mini)
    assert set(compiled["schemas"]) == {"cuda", "gpus", "framework", "images"}
    assert compiled["sources"] == source_digests(matrix_dir)
    assert "pytorch.yaml" in compiled["sources"] and "schema/cuda.schema.json" in compiled["sources"]
    assert is_up_to_date(matrix_dir, shipped_mini)
    edit_yaml(matrix_dir / "jax.yaml", lambda doc: doc.update(matrix_version="2026.11.02"))
    assert not is_up_to_date(matrix_dir, shipped_mini)


def test_compiling_an_invalid_matrix_raises_every_problem(matrix_dir: Path) -> None:
    edit_yaml(matrix_dir / "pytorch.yaml", lambda doc: doc["builds"][1].update(cuda="12.2"))
    with pytest.raises(MatrixProblems) as caught:
        compile_directory(matrix_dir)
    assert len(caught.value.problems) == 1


def test_an_overlay_replaces_and_adds_rows(shipped_mini: Path, tmp_path: Path) -> None:
    overlay = tmp_path / "overlay"
    write_yaml(overlay / "gpus.yaml", correction())
    write_yaml(overlay / "acme.yaml", in_house())
    matrix = load.load_matrix(overlay)
    t4 = matrix.find_gpu("Tesla T4")
    assert t4 is not None and t4.notes == "corrected in-house"
    assert [gpu.name for gpu in matrix.gpus.gpus].count("T4") == 1  # replaced in place, not added twice
    assert matrix.find_gpu("NVIDIA L40S") is not None
    assert matrix.find_gpu("A100") is not None  # shipped rows stay
    framework = matrix.framework_for_package("acme_torch")
    assert framework is not None and framework.subject == "acme-torch"
    assert matrix.matrix_version == "2026.11.20"
    assert matrix.origins["acme-torch"] == str(overlay / "acme.yaml")
    assert matrix.origins["gpus"].endswith(f"matrices/gpus.yaml, {overlay / 'gpus.yaml'}")


def test_the_overlay_comes_from_dlenv_matrix(shipped_mini: Path, tmp_path: Path) -> None:
    overlay = tmp_path / "overlay"
    write_yaml(overlay / "acme.yaml", in_house())
    matrix = load.load_matrix(env={"DLENV_MATRIX": str(overlay)})
    assert "acme-torch" in matrix.frameworks
    assert "acme-torch" not in load.load_matrix(env={}).frameworks


def test_dlenv_matrix_only_makes_the_directory_the_whole_matrix(
    shipped_mini: Path, matrix_dir: Path, tmp_path: Path
) -> None:
    alone = tmp_path / "alone"
    write_yaml(alone / "acme.yaml", in_house())
    for name in ("cuda.yaml", "gpus.yaml"):
        (alone / name).write_text((matrix_dir / name).read_text())
    matrix = load.load_matrix(env={"DLENV_MATRIX": str(alone), "DLENV_MATRIX_ONLY": "1"})
    assert set(matrix.frameworks) == {"acme-torch"}  # no shipped framework subject
    assert matrix.find_gpu("A100") is not None


def test_an_invalid_overlay_names_the_overlay_file(shipped_mini: Path, tmp_path: Path) -> None:
    overlay = tmp_path / "overlay"
    write_yaml(overlay / "acme.yaml", in_house(cuda="12.2"))
    with pytest.raises(MatrixProblems) as caught:
        load.load_matrix(overlay)
    assert str(caught.value) == (
        f"{overlay}/acme.yaml:builds[0] (release 1.0.0, build cu124).cuda: CUDA 12.2 is not in cuda.yaml"
        " (fix: add a 12.2.x toolkit row or correct the version)"
    )


def test_an_overlay_is_checked_against_the_shipped_rows(shipped_mini: Path, tmp_path: Path) -> None:
    doc = correction()
    doc["gpus"][1]["aliases"] = ["RTX 4090"]  # names a shipped product of compute capability 8.9: same, fine
    doc["gpus"][0]["aliases"] = ["Tesla T4", "A100"]  # names a shipped 8.0 product from a 7.5 row
    write_yaml(tmp_path / "overlay" / "gpus.yaml", doc)
    with pytest.raises(MatrixProblems) as caught:
        load.load_matrix(tmp_path / "overlay")
    assert str(caught.value).startswith(
        f"{tmp_path}/overlay/gpus.yaml:gpus[0] (gpu T4).aliases[1]: 'A100' also names matrices/gpus.yaml:gpus[0]"
    )


def test_a_compiled_overlay_is_cached_by_content(
    shipped_mini: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    overlay = tmp_path / "overlay"
    write_yaml(overlay / "acme.yaml", in_house())
    load.load_matrix(overlay)
    cached = list((tmp_path / "cache" / "dlenv").glob("overlay-*.json"))
    assert len(cached) == 1
    load.clear_cache()

    def no_validation(*args: object, **kwargs: object) -> None:
        raise AssertionError("a cached overlay is not validated again")

    monkeypatch.setattr(load, "validate_overlay", no_validation)
    assert "acme-torch" in load.load_matrix(overlay).frameworks
    load.clear_cache()
    edit_yaml(overlay / "acme.yaml", lambda doc: doc.update(matrix_version="2026.11.21"))
    with pytest.raises(AssertionError, match="not validated again"):
        load.load_matrix(overlay)


def test_a_missing_compiled_matrix_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(load, "COMPILED_PATH", tmp_path / "missing.json")
    with pytest.raises(DlenvError, match=r"run scripts/compile_matrix\.py"):
        load.load_matrix(env={})


def test_write_compiled_is_atomic_and_readable(matrix_dir: Path, tmp_path: Path) -> None:
    target = tmp_path / "out" / "matrix.json"
    previous = os.umask(0o022)  # a new file gets the umask's mode (dlenv.files), as open() would give it
    try:
        write_compiled(compile_directory(matrix_dir), target)
    finally:
        os.umask(previous)
    assert oct(target.stat().st_mode & 0o777) == "0o644"
    assert [path.name for path in target.parent.iterdir()] == ["matrix.json"]


def test_two_overlay_files_may_not_define_the_same_row(shipped_mini: Path, tmp_path: Path) -> None:
    overlay = tmp_path / "overlay"
    write_yaml(overlay / "a.yaml", in_house())
    write_yaml(overlay / "b.yaml", in_house())
    with pytest.raises(MatrixProblems) as caught:
        load.load_matrix(overlay)
    assert str(caught.value).startswith(
        f"{overlay}/b.yaml:releases[0] (release 1.0.0): duplicate row: same key as {overlay}/a.yaml:releases[0]"
    )
    assert len(caught.value.problems) == 2  # the release and the build


def test_an_overlay_with_a_broken_file_names_it(shipped_mini: Path, tmp_path: Path) -> None:
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    (overlay / "gpus.yaml").write_text("subject: gpus\ngpus: [\n", encoding="utf-8")
    with pytest.raises(MatrixProblems, match=r"overlay/gpus\.yaml:3:1: YAML syntax error"):
        load.load_matrix(overlay)


def test_the_compiled_file_is_read_one_subject_at_a_time(shipped_mini: Path) -> None:
    """The envelope line and the subjects used are all a run reads (format 2); each subject is the JSON of its
    document, byte for byte where the envelope says."""
    compiled = load.load_compiled(shipped_mini)
    texts = compiled["subjects"]
    assert isinstance(texts, load.SubjectTexts) and texts._texts == {}
    assert json.loads(texts["pytorch"])["subject"] == "pytorch"
    assert set(texts._texts) == {"pytorch"}
    assert set(texts) == set(compiled["versions"]) and len(texts) == len(compiled["versions"])


def test_a_truncated_compiled_file_is_an_error_not_a_wrong_answer(shipped_mini: Path) -> None:
    data = shipped_mini.read_bytes()
    envelope_end = data.index(b"\n") + 1
    for cut in (envelope_end // 2, envelope_end + (len(data) - envelope_end) // 2):
        shipped_mini.write_bytes(data[:cut])
        load.clear_cache()
        with pytest.raises(DlenvError, match="damaged"):
            load.compiled_documents(load.load_compiled(shipped_mini))


def test_a_format_1_compiled_file_still_reads(shipped_mini: Path, tmp_path: Path) -> None:
    """`dlenv matrix diff` against `git show` of a commit before format 2."""
    compiled = load.load_compiled(shipped_mini)
    older = tmp_path / "old.json"
    older.write_text(json.dumps({**compiled, "format": 1, "subjects": dict(compiled["subjects"])}), encoding="utf-8")
    assert load.read_documents_at(older) == load.read_documents_at(shipped_mini)


def images_overlay() -> dict[str, Any]:
    """Replaces the shipped nvidia/cuda row with one of its own require_cuda value, adds one on the shipped value."""
    source = ["https://git.acme.example/images/nvidia-cuda"]
    row = {"repository": "nvidia/cuda", "flavour": "cudnn-runtime", "cuda": "12.4.1", "source": source}
    return {
        **HEADER,
        "subject": "images",
        "require_cuda": [{"id": "cuda12.4-acme", "value": "cuda>=12.4", "source": source}],
        "images": [
            {**row, "tag": "12.4.1-cudnn-runtime-ubuntu22.04", "require_cuda": "cuda12.4-acme", "supported": False},
            {**row, "tag": "12.4.1-cudnn-runtime-ubuntu24.04", "require_cuda": "cuda12.4-r470"},
        ],
    }


def test_overlay_images_name_shipped_or_own_require_cuda_values(shipped_mini: Path, tmp_path: Path) -> None:
    write_yaml(tmp_path / "overlay" / "images.yaml", images_overlay())
    matrix = load.load_matrix(tmp_path / "overlay")
    replaced = matrix.image("nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04")
    added = matrix.image("nvidia/cuda:12.4.1-cudnn-runtime-ubuntu24.04")
    assert replaced is not None and replaced.require_cuda == "cuda>=12.4" and replaced.supported is False
    assert added is not None and added.require_cuda == "cuda>=12.4 brand=tesla,driver>=470,driver<471"
    assert added.supported is None  # not stated: never read as supported
    # With the replacing row alone, no row uses the shipped entry any more: not the overlay's fault, so no problem.
    write_yaml(tmp_path / "overlay2" / "images.yaml", {**images_overlay(), "images": images_overlay()["images"][:1]})
    assert load.load_matrix(tmp_path / "overlay2").image(added.reference) is None


def test_an_unused_overlay_require_cuda_entry_is_reported(shipped_mini: Path, tmp_path: Path) -> None:
    doc = images_overlay()
    doc["images"][0]["require_cuda"] = "cuda12.4-r470"
    write_yaml(tmp_path / "overlay" / "images.yaml", doc)
    with pytest.raises(MatrixProblems) as caught:
        load.load_matrix(tmp_path / "overlay")
    assert str(caught.value) == (
        f"{tmp_path}/overlay/images.yaml:require_cuda[0] (require_cuda cuda12.4-acme).id: no image row refers to"
        " this entry (fix: remove it, or refer to it from an image row)"
    )


def test_overlay_notes_add_to_each_kind(shipped_mini: Path, tmp_path: Path) -> None:
    shipped = load.load_matrix(env={}).cuda.notes
    assert shipped.scope == ("A frozen mini-matrix for unit tests; not the real data.",) and not shipped.left_out
    doc = {
        **HEADER,
        "subject": "cuda",
        "notes": {"scope": ["In-house: driver floors of our fleet."], "left_out": ["CUDA 10.x."]},
        "majors": [],
        "toolkits": [],
        "forward_compat": [],
    }
    write_yaml(tmp_path / "overlay" / "cuda.yaml", doc)
    notes = load.load_matrix(tmp_path / "overlay").cuda.notes
    assert notes.scope == (*shipped.scope, "In-house: driver floors of our fleet.")
    assert notes.left_out == ("CUDA 10.x.",) and notes.method == () and notes.disagreements == ()
    assert [heading for heading, _ in notes.by_kind()] == ["Scope", "Left out"]
    assert notes.sentences() == (*notes.scope, "CUDA 10.x.")
