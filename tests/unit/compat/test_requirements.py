"""Requirement sources: files with line numbers in their errors, pyproject, environment.yml, installed."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlenv.compat.requirements import (
    from_arguments,
    from_environment_yml,
    from_installed,
    from_pyproject,
    from_requirements_file,
)
from dlenv.errors import InputError
from dlenv.host.model import Framework, HostFacts, Platform


def test_requirements_file_with_includes_options_and_hashes(tmp_path: Path) -> None:
    (tmp_path / "base.txt").write_text("numpy<2\n")
    main = tmp_path / "requirements.txt"
    main.write_text(
        "# comment\n--index-url https://example.invalid/simple\n-r base.txt\n"
        "torch==2.4.1+cu121 --hash=sha256:abc\n\njax[cuda12]>=0.4  # pinned later\n"
    )
    found = from_requirements_file(main)
    assert [r.text for r in found] == ["numpy<2", "torch==2.4.1+cu121", "jax[cuda12]>=0.4"]
    assert found[1].origin == f"{main}:4"
    assert found[1].exact_version == "2.4.1+cu121"
    assert found[2].exact_version is None


def test_bad_requirement_line_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text("torch==2.4.1\ntorch=2.4.1\n")
    with pytest.raises(InputError) as raised:
        from_requirements_file(path)
    assert raised.value.where == "line 2"
    assert str(path) in str(raised.value)


def test_bad_argument() -> None:
    with pytest.raises(InputError, match="argument 1"):
        from_arguments(["torch>>2"])


def test_pyproject(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(
        '[project]\nname = "x"\ndependencies = ["torch>=2.3"]\n'
        '[project.optional-dependencies]\ngpu = ["cupy-cuda12x"]\n'
    )
    assert [r.text for r in from_pyproject(path)] == ["torch>=2.3", "cupy-cuda12x"]
    path.write_text("[project\n")
    with pytest.raises(InputError, match="TOML"):
        from_pyproject(path)


def test_environment_yml(tmp_path: Path) -> None:
    path = tmp_path / "environment.yml"
    path.write_text(
        "name: x\nchannels: [pytorch, nvidia]\ndependencies:\n  - python=3.11\n  - pytorch=2.4.1\n"
        "  - pytorch::torchvision\n  - cudatoolkit=11.8\n  - pip:\n      - jax==0.4.30\n"
    )
    found = from_environment_yml(path)
    assert [(r.text, str(r.requirement)) for r in found] == [
        ("pytorch=2.4.1", "torch==2.4.1.*"),
        ("pytorch::torchvision", "torchvision"),
        ("jax==0.4.30", "jax==0.4.30"),
    ]


def test_installed_pins_keep_torch_build_tags() -> None:
    host = HostFacts(
        platform=Platform("linux", "x86_64"),
        frameworks=(
            Framework("torch", "2.11.0", "pip", "/s", "pytorch", local_version="cu130", cuda="13.0"),
            Framework("cupy-cuda13x", "14.2.0", "pip", "/s", "cupy", local_version="cuda13x"),
            Framework("pytorch", "2.4.1", "conda", "/env", "pytorch"),
        ),
    )
    assert [r.text for r in from_installed(host)] == ["torch==2.11.0+cu130", "cupy-cuda13x==14.2.0"]


def test_installed_pins_carry_a_tag_only_where_the_family_selects_builds_by_one() -> None:
    """jax selects its old CUDA jaxlib wheels by tag (family block local_tag_builds), its plugins by name."""
    host = HostFacts(
        platform=Platform("linux", "x86_64"),
        frameworks=(
            Framework("jaxlib", "0.4.25", "pip", "/s", "jax", local_version="cuda12.cudnn89"),
            Framework("jax-cuda12-plugin", "0.4.30", "pip", "/s", "jax", local_version="cuda12"),
            Framework("acme-torch", "2.5.1", "pip", "/s", "acme-torch", local_version="cu124"),  # not in the matrix
        ),
    )
    assert [r.text for r in from_installed(host)] == [
        "jaxlib==0.4.25+cuda12.cudnn89",
        "jax-cuda12-plugin==0.4.30",
        "acme-torch==2.5.1",
    ]


def test_conda_names_of_the_family_blocks(tmp_path: Path) -> None:
    """A metapackage is judged as the pip build it selects; a family's CUDA pin (pytorch-cuda) sets the CUDA."""
    path = tmp_path / "environment.yml"
    path.write_text("name: x\ndependencies:\n  - pytorch-gpu=2.4.1\n  - pytorch-cuda=12.1\n  - tensorflow-gpu=2.15\n")
    found = from_environment_yml(path)
    assert [(r.text, str(r.requirement), r.cuda) for r in found] == [
        ("pytorch-gpu=2.4.1", "torch==2.4.1.*", "==12.1.*"),
        ("tensorflow-gpu=2.15", "tensorflow==2.15.*", "==12.1.*"),
    ]
