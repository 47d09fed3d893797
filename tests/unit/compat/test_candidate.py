"""Install lines of a candidate: default index, PyTorch's index, extra indexes, and find-links wheel pages."""

from __future__ import annotations

from typing import Any

from dlenv.compat.candidate import Candidate, pip_source_option
from dlenv.matrix.load import load_matrix
from dlenv.matrix.model import FrameworkBuild, FrameworkRelease

JAX_WHEEL_PAGE = "https://storage.googleapis.com/jax-releases/jax_cuda_releases.html"


def candidate(subject: str, package: str, version: str, **build: Any) -> Candidate:
    """A candidate of a made-up row, installed the way the shipped matrix's family block of `subject` says."""
    release = FrameworkRelease.from_dict({"version": version, "python": ["3.11"], "source": ["index:x/1"]})
    row = {"release": version, "packages": [package], "platforms": ["linux-x86_64"], "source": ["index:x/1"]}
    family = load_matrix().frameworks[subject].family
    return Candidate(subject, package, release, FrameworkBuild.from_dict({**row, **build}), family=family)


def test_a_build_on_the_default_index_installs_plainly() -> None:
    cupy = candidate("cupy", "cupy-cuda12x", "13.3.0", build="cuda12x", accelerator="cuda", default_on=["linux-x86_64"])
    assert cupy.install_line("linux-x86_64") == "pip install 'cupy-cuda12x==13.3.0'"


def test_old_jaxlib_cuda_wheels_come_from_a_find_links_page_by_local_tag() -> None:
    jaxlib = candidate("jax", "jaxlib", "0.4.20", build="cuda11.cudnn86", accelerator="cuda", index_url=JAX_WHEEL_PAGE)
    assert jaxlib.label == "jaxlib==0.4.20+cuda11.cudnn86"
    assert jaxlib.install_line("linux-x86_64") == (
        f"pip install 'jaxlib==0.4.20+cuda11.cudnn86' --find-links {JAX_WHEEL_PAGE}"
    )


def test_a_simple_api_index_is_an_extra_index() -> None:
    rapids = candidate(
        "rapids", "cudf-cu12", "24.2.0", build="cu12", accelerator="cuda", index_url="https://x.test/simple"
    )
    assert (
        rapids.install_line("linux-x86_64") == "pip install 'cudf-cu12==24.2.0' --extra-index-url https://x.test/simple"
    )
    assert pip_source_option("https://x.test/simple/") == "--extra-index-url"
    assert pip_source_option(JAX_WHEEL_PAGE) == "--find-links"
