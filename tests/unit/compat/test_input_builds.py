"""The build a line means: an index line serves that index's build, a direct wheel is the build its file name
states (and must install on the target), companions go with their torch, extras stay on the install line."""

from __future__ import annotations

from pathlib import Path

from dlenv.compat.check import check
from dlenv.compat.requirements import from_arguments, from_requirements_file
from dlenv.compat.resolve import resolve
from dlenv.records import replace
from tests.unit.compat.engine import host, mini_matrix

A100 = host("550.54.15", gpus=(("A100", "8.0"),), python="3.11")


def _index(build: str) -> str:
    """The index the matrix names for torch 2.6.0's `build` (no host name is written in the tests)."""
    framework = mini_matrix().framework("pytorch")
    assert framework is not None
    return next(b.index_url for b in framework.builds if b.release == "2.6.0" and b.build == build and b.index_url)


def test_an_index_url_line_selects_the_build_that_index_serves(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text(f"--index-url {_index('cu118')}\ntorch==2.6.0\n")
    (result,) = check(A100, mini_matrix(), from_requirements_file(path)).results
    assert result.evaluation is not None and result.evaluation.candidate.build.build == "cu118"
    path.write_text("torch==2.6.0\n")
    (plain,) = check(A100, mini_matrix(), from_requirements_file(path)).results
    assert plain.evaluation is not None and plain.evaluation.candidate.build.build == "cu124"


def test_an_extra_index_wins_for_a_pin_it_serves_as_pip_prefers_the_local_tag(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text(f"--extra-index-url {_index('cu126')}\ntorch==2.6.0\n")
    (result,) = check(A100, mini_matrix(), from_requirements_file(path)).results
    assert result.evaluation is not None and result.evaluation.candidate.build.build == "cu126"


def test_an_unknown_index_is_taken_as_a_mirror_of_the_default_index() -> None:
    (line,) = from_arguments(["torch==2.6.0"])
    (result,) = check(A100, mini_matrix(), [replace(line, index_url="https://mirror.invalid/simple")]).results
    assert result.evaluation is not None and result.evaluation.candidate.build.build == "cu124"


def test_a_direct_wheel_is_judged_by_its_file_name_not_by_the_newest_release() -> None:
    url = f"{_index('cu118').rsplit('/', 1)[0]}/cu126/torch-2.6.0%2Bcu126-cp311-cp311-linux_x86_64.whl"
    on_470 = host("470.82.01", gpus=(("A100", "8.0"),), python="3.11")
    (result,) = check(on_470, mini_matrix(), from_arguments([f"torch @ {url}"])).results
    assert result.evaluation is not None and result.evaluation.candidate.label == "torch==2.6.0+cu126"
    assert not result.compatible
    on_python_312 = host("560.35.03", gpus=(("A100", "8.0"),), python="3.12")
    (wrong_python,) = check(on_python_312, mini_matrix(), from_arguments([f"torch @ {url}"])).results
    assert "wheel_not_installable" in {f.code for f in wrong_python.findings}


def test_a_vcs_reference_is_unverified_not_green() -> None:
    (result,) = check(
        A100, mini_matrix(), from_arguments(["torch @ git+https://example.invalid/pytorch@v2.6.0"])
    ).results
    assert result.status == "warning" and "built_from_source" in {f.code for f in result.findings}


def test_a_companion_that_does_not_match_its_torch_is_an_error_with_the_pin_to_use() -> None:
    report = check(A100, mini_matrix(), from_arguments(["torch==2.6.0", "torchvision==0.20.0"]))
    torchvision = report.results[1]
    assert torchvision.status == "incompatible"
    (finding,) = torchvision.findings
    assert finding.code == "companion_mismatch" and finding.fix is not None
    assert "pip install 'torchvision==0.21.0'" in finding.fix
    matching = check(A100, mini_matrix(), from_arguments(["torch==2.6.0", "torchvision==0.21.0"]))
    assert matching.results[1].status == "ok"
    other_build = check(A100, mini_matrix(), from_arguments(["torch==2.6.0+cu118", "torchvision==0.21.0+cu124"]))
    assert other_build.results[1].status == "incompatible"


def test_resolve_names_companions_from_their_torch_and_keeps_extras() -> None:
    resolution = resolve(A100, mini_matrix(), from_arguments(["torch==2.6.0", "torchvision", "tensorflow[and-cuda]"]))
    chosen = {t.requirement.name: t.chosen.candidate for t in resolution.targets if t.chosen is not None}
    assert chosen["torchvision"].release.version == "0.21.0"
    assert chosen["torchvision"].build.build == chosen["torch"].build.build
    assert chosen["tensorflow"].install_line(A100.platform.key).startswith("pip install 'tensorflow[and-cuda]==")
    assert resolution.resolved
