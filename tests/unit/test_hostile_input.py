"""Issue 14, item by item: each hostile input or broken host that once ended in exit 3, a wrong answer, a clobbered
file or an injected line, run through the `dlenv` entry point or the function at its cause."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from dlenv.compat.images import from_dockerfile
from dlenv.errors import InputError
from dlenv.host.model import Driver, Gpu, HostFacts, Platform, ProbeProblem
from dlenv.host.serialize import MAX_GPUS, host_to_dict
from dlenv.matrix.load import load_matrix
from dlenv.output import write_output
from dlenv.provision.header import safe_line
from dlenv.render.host_text import _driver_line
from dlenv.text import printable
from dlenv.versions import parse_cuda, parse_driver
from tests.unit.hostile import assert_contract, run_dlenv

FLAGS = ["--driver", "535.104.05", "--gpu", "A100", "--python", "3.11"]


def _host(**changes: object) -> dict[str, object]:
    data = host_to_dict(
        HostFacts(
            platform=Platform("linux", "x86_64", "3.11.7"),
            driver=Driver("535.104.05", "12.2"),
            gpus=(Gpu(0, "NVIDIA A100-SXM4-80GB", compute_capability="8.0"),),
        )
    )
    data.update(changes)
    return data


def _write(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


# --- 1. exit 3 ---------------------------------------------------------------------------------------------------


def test_non_utf8_host_file_is_exit_2_naming_the_line(tmp_path: Path) -> None:
    (tmp_path / "host.json").write_bytes(b'{"schema_version": 1,\n "x": "caf\xe9"}')
    outcome = run_dlenv(["doctor", "--host", "host.json"], cwd=tmp_path)
    assert_contract(outcome, names=("host.json:line 2",))
    assert outcome.code == 2 and "not UTF-8" in outcome.stderr


def test_deeply_nested_host_json_is_exit_2(tmp_path: Path) -> None:
    (tmp_path / "host.json").write_text("[" * 100_000 + "]" * 100_000)
    outcome = run_dlenv(["doctor", "--host", "host.json"], cwd=tmp_path)
    assert outcome.code == 2 and "nested too deeply" in outcome.stderr


@pytest.mark.parametrize("value", ["9" * 5000 + ".1", "1." + "9" * 4400])
def test_versions_over_4300_digits_are_not_versions(tmp_path: Path, value: str) -> None:
    assert parse_driver(value) is None and parse_cuda(value) is None
    outcome = run_dlenv(["check", "torch", "--driver", value, "--python", "3.11"], cwd=tmp_path)
    assert outcome.code == 2 and "--driver" in outcome.stderr and len(outcome.stderr) < 300
    _write(tmp_path / "host.json", _host(driver={"version": value}))
    assert run_dlenv(["doctor", "--host", "host.json"], cwd=tmp_path).code == 2


def test_host_values_are_validated_by_meaning_and_blamed_on_the_field(tmp_path: Path) -> None:
    host = _host()
    host["platform"]["python_version"] = "3.x"  # type: ignore[index]
    _write(tmp_path / "host.json", host)
    outcome = run_dlenv(["check", "torch", "--host", "host.json"], cwd=tmp_path)
    assert_contract(outcome, names=("host.json:platform.python_version",))
    assert outcome.code == 2


def test_framework_versions_in_a_host_file_are_blamed_on_the_file_not_the_site(tmp_path: Path) -> None:
    framework = {"name": "torch", "version": "2.1.2+cu121", "origin": "pip", "location": "/site", "family": "pytorch"}
    _write(tmp_path / "host.json", _host(frameworks=[framework]))
    outcome = run_dlenv(["doctor", "--host", "host.json"], cwd=tmp_path)
    assert outcome.code == 2 and "host.json:frameworks[0].version" in outcome.stderr
    assert "installed (" not in outcome.stderr


@pytest.mark.parametrize("destination", ["adir", ""])
def test_write_errors_are_exit_2(tmp_path: Path, destination: str) -> None:
    (tmp_path / "adir").mkdir()
    outcome = run_dlenv(["probe", *FLAGS, "-o", destination], cwd=tmp_path)
    assert_contract(outcome)
    assert outcome.code == 2


def test_a_name_over_255_bytes_is_exit_2(tmp_path: Path) -> None:
    outcome = run_dlenv(["probe", *FLAGS, "-o", "n" * 300], cwd=tmp_path)
    assert outcome.code == 2 and "too long" in outcome.stderr


def test_no_space_left_is_one_line_and_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def full(descriptor: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    (tmp_path / "old.lock").write_text("keep\n")
    with pytest.raises(InputError, match="No space left on device"):
        write_output("new\n", str(tmp_path / "old.lock"), force=True)
    assert (tmp_path / "old.lock").read_text() == "keep\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.lock"]


def test_overlay_with_a_list_as_a_mapping_key_is_exit_2(tmp_path: Path) -> None:
    (tmp_path / "matrix").mkdir()
    (tmp_path / "matrix" / "gpus.yaml").write_text("subject: gpus\ngpus:\n  - {name: X, ? [1]: 2}\n")
    outcome = run_dlenv(["check", "torch", *FLAGS, "--matrix", "matrix"], cwd=tmp_path)
    assert_contract(outcome, names=("gpus.yaml:3",))
    assert outcome.code == 2 and "mapping key" in outcome.stderr


def test_an_overlay_architecture_whose_list_is_a_number_is_exit_2(tmp_path: Path) -> None:
    # found by the fuzz campaign: the invariant checks read architectures that failed the schema (exit 3 before)
    (tmp_path / "matrix").mkdir()
    (tmp_path / "matrix" / "gpus.yaml").write_text(
        'schema_version: 1\nmatrix_version: "2026.12.02"\nsubject: gpus\n'
        "architectures:\n  - {name: Ampere, compute_capabilities: 0, source: [https://example.org]}\ngpus: []\n"
    )
    outcome = run_dlenv(["check", "torch", *FLAGS, "--matrix", "matrix"], cwd=tmp_path)
    assert outcome.code == 2 and len(outcome.stderr.strip().splitlines()) == 1, outcome


def test_an_overlay_row_whose_key_is_a_list_is_exit_2(tmp_path: Path) -> None:
    # found by the fuzz campaign: the row key (a CUDA major) reached the layering's dict while unhashable
    (tmp_path / "matrix").mkdir()
    (tmp_path / "matrix" / "cuda.yaml").write_text(
        'schema_version: 1\nmatrix_version: "2026.12.02"\nsubject: cuda\n'
        "majors:\n  - {major: [], source: [https://example.org]}\ntoolkits: []\nforward_compat: []\n"
    )
    outcome = run_dlenv(["check", "torch", *FLAGS, "--matrix", "matrix"], cwd=tmp_path)
    assert outcome.code == 2 and "cuda.yaml:majors[0]" in outcome.stderr, outcome


def test_non_utf8_overlay_is_exit_2(tmp_path: Path) -> None:
    (tmp_path / "matrix").mkdir()
    (tmp_path / "matrix" / "gpus.yaml").write_bytes(b"subject: gpus\nnotes: [caf\xe9]\n")
    outcome = run_dlenv(["check", "torch", *FLAGS, "--matrix", "matrix"], cwd=tmp_path)
    assert outcome.code == 2 and "gpus.yaml:2: not UTF-8" in outcome.stderr


# --- 2. wrong answers ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", [True, 1.0, "1"])
def test_schema_version_must_be_the_integer(tmp_path: Path, version: object) -> None:
    _write(tmp_path / "host.json", _host(schema_version=version))
    outcome = run_dlenv(["doctor", "--host", "host.json"], cwd=tmp_path)
    assert outcome.code == 2 and "schema_version" in outcome.stderr


def test_a_bom_keeps_the_dockerfiles_first_line(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_bytes(b"\xef\xbb\xbfFROM nvidia/cuda:12.4.1-base-ubuntu22.04\n")
    assert from_dockerfile(path, load_matrix()).image == "nvidia/cuda:12.4.1-base-ubuntu22.04"


def test_heredoc_bodies_are_not_instructions(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text(
        "FROM ubuntu:22.04\nRUN <<EOF\nFROM nvidia/cuda:13.0.0-base-ubuntu22.04\nEOF\n"
        "COPY <<-'END' /etc/x\n\tENV NVIDIA_REQUIRE_CUDA=cuda>=99\n\tEND\nENV A=1\n"
    )
    requirement = from_dockerfile(path, load_matrix())
    assert requirement.image == "ubuntu:22.04" and requirement.require is None


def test_non_utf8_dockerfile_and_image_env_are_exit_2(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_bytes(b"FROM ubuntu:22.04 # caf\xe9\n")
    (tmp_path / "image.env").write_bytes(b"CUDA_VERSION=12.4\xff\n")
    for flag, name in (("--dockerfile", "Dockerfile"), ("--image-env", "image.env")):
        outcome = run_dlenv(["check", flag, name, *FLAGS], cwd=tmp_path)
        assert_contract(outcome, names=(f"{name}:line 1",))
        assert outcome.code == 2


def _golden_lock() -> str:
    return (Path(__file__).parents[1] / "golden" / "cpu-only" / "requirements.lock").read_text()


def test_lock_check_refuses_a_malformed_hash_an_added_index_and_a_removed_pin() -> None:
    from dlenv.provision.lock import requirements_body_problems

    text = _golden_lock()
    expected = ("--index-url", "http://127.0.0.1:PORT/whl/cpu")
    assert requirements_body_problems(text, expected) == []
    bad_hash = text.replace("--hash=sha256:9f0517f9", "--hash=sha256:zz", 1)
    assert any("sha256" in problem for problem in requirements_body_problems(bad_hash, expected))
    added = text.replace("filelock==", "--extra-index-url http://evil.invalid/simple\nfilelock==", 1)
    assert any("index options" in problem for problem in requirements_body_problems(added, expected))
    no_hash = text.replace(
        " \\\n    --hash=sha256:9f0517f95efb18ffbe976ced192fe2d00407d2746539d44d5d6cab9182843463", ""
    )
    assert any("no sha256" in problem for problem in requirements_body_problems(no_hash, expected))


# --- 3. clobbering -------------------------------------------------------------------------------------------------


def test_force_never_replaces_a_device_and_writes_through_a_symlink(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a regular file"):
        write_output("x\n", "/dev/null", force=True)
    assert Path("/dev/null").is_char_device()
    (tmp_path / "real.lock").write_text("old\n")
    (tmp_path / "link.lock").symlink_to("real.lock")
    write_output("new\n", str(tmp_path / "link.lock"), force=True)
    assert (tmp_path / "link.lock").is_symlink() and (tmp_path / "real.lock").read_text() == "new\n"


def test_a_dangling_symlink_is_refused_even_with_force(tmp_path: Path) -> None:
    (tmp_path / "out.lock").symlink_to("elsewhere.lock")
    for force in (False, True):
        with pytest.raises(InputError, match="does not exist"):
            write_output("x\n", str(tmp_path / "out.lock"), force=force)
    assert not (tmp_path / "elsewhere.lock").exists() and (tmp_path / "out.lock").is_symlink()


def test_the_text_is_written_unnamed_until_the_rename(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # kill -9 cannot be caught: what protects from stray files is that none has a name while the text is written
    seen: list[list[str]] = []
    real_fsync = os.fsync

    def look(descriptor: int) -> None:
        seen.append(sorted(p.name for p in tmp_path.iterdir()))
        real_fsync(descriptor)

    monkeypatch.setattr(os, "fsync", look)
    write_output("x\n", str(tmp_path / "out.txt"))
    assert seen == [[]] and (tmp_path / "out.txt").read_text() == "x\n"


# --- 4. injection ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("separator", ["\u0085", "\u2028", "\u2029", "\x0b", "\u200e", "\ufeff", "\n"])
def test_safe_line_refuses_every_line_break_and_format_character(separator: str) -> None:
    with pytest.raises(InputError, match=r"U\+"):
        safe_line(f"target: 8.0{separator}--extra-index-url http://evil.invalid/simple", "header")


def test_a_host_files_compute_capability_is_digits_and_a_dot(tmp_path: Path) -> None:
    _write(tmp_path / "host.json", _host(gpus=[{"index": 0, "compute_capability": "8.0\u2028LD_PRELOAD: x"}]))
    outcome = run_dlenv(["lock", "torch", "--host", "host.json", "-o", "x.lock"], cwd=tmp_path)
    assert outcome.code == 2 and "gpus[0].compute_capability" in outcome.stderr
    assert not (tmp_path / "x.lock").exists()


# --- 5. scale --------------------------------------------------------------------------------------------------------


def test_a_host_file_holds_at_most_a_real_nodes_gpus(tmp_path: Path) -> None:
    gpus = [{"index": i, "compute_capability": "8.0"} for i in range(10_000)]
    _write(tmp_path / "host.json", _host(gpus=gpus))
    outcome = run_dlenv(["doctor", "--host", "host.json"], cwd=tmp_path)
    assert_contract(outcome, names=("host.json:gpus",))
    assert outcome.code == 2 and f"at most {MAX_GPUS}" in outcome.stderr
    mig = [{"index": i} for i in range(8)]
    _write(tmp_path / "host.json", _host(gpus=[{"index": 0, "mig_devices": mig}]))
    assert run_dlenv(["doctor", "--host", "host.json"], cwd=tmp_path).code == 2


# --- 7. messages -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("argv", [["check", "--bogus"], ["check", "torch", "--format", "xml"], ["matrix", "nope"]])
def test_usage_errors_are_one_line_with_a_fix(tmp_path: Path, argv: list[str]) -> None:
    outcome = run_dlenv(argv, cwd=tmp_path)
    assert_contract(outcome)
    assert outcome.code == 2 and "(fix: see `dlenv" in outcome.stderr and "Usage:" not in outcome.stderr


def test_unknown_field_names_are_printed_escaped(tmp_path: Path) -> None:
    _write(tmp_path / "host.json", _host(**{"evil\x1b[2J\nname": 1}))
    outcome = run_dlenv(["doctor", "--host", "host.json"], cwd=tmp_path)
    assert outcome.code == 2 and "\x1b" not in outcome.stderr and outcome.stderr.count("\n") == 1
    assert "\\x1b[2J\\nname" in outcome.stderr
    assert printable("a\u2028b") == "a\\u2028b"


# --- 8. doctor on a broken driver --------------------------------------------------------------------------------


def test_a_hung_driver_is_not_shown_as_no_driver() -> None:
    host = HostFacts(
        platform=Platform("linux", "x86_64"), problems=(ProbeProblem("nvml_hung", "no answer in 5 s", "nvml"),)
    )
    assert "none found" not in _driver_line(host) and "nvml_hung" in _driver_line(host)
    assert _driver_line(HostFacts(platform=Platform("linux", "x86_64"))) == "none found"


def test_a_mismatch_names_both_versions() -> None:
    from dlenv.doctor.probe_findings import probe_findings

    host = HostFacts(
        platform=Platform("linux", "x86_64"),
        driver=Driver(kernel_module_version="535.104.05", library_version="550.54.15", source="procfs"),
        problems=(ProbeProblem("nvml_version_mismatch", "RM has detected an NVML/RM version mismatch", "nvml"),),
    )
    [finding] = probe_findings(host)
    assert "535.104.05" in finding.message and "550.54.15" in finding.message
