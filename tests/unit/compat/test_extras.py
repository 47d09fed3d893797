"""Builds an extra of the package pulls in: `jax[cuda12]` installs the CUDA plugin build, so resolving `jax` on a
GPU host picks it and says how to install it."""

from __future__ import annotations

from typing import Any

import yaml

from dlenv.compat.check import candidates_for, check
from dlenv.compat.requirements import from_arguments
from dlenv.compat.resolve import resolve
from dlenv.matrix.model import Matrix
from dlenv.provision.stack import build_stack
from tests.unit.compat.engine import MINI, host

SOURCE = ["index:jax/0.6.2"]
PLUGIN = "jax-cuda12-plugin[with-cuda]<=0.6.2,>=0.6.2"


def jax_document() -> dict[str, Any]:
    return {
        "schema_version": 1,
        "matrix_version": "2026.11.25",
        "subject": "jax",
        "releases": [{"version": "0.6.2", "python": ["3.11", "3.12"], "source": SOURCE}],
        "builds": [
            {
                "release": "0.6.2",
                "build": "cpu",
                "packages": ["jax", "jaxlib"],
                "accelerator": "cpu",
                "platforms": ["linux-x86_64"],
                "default_on": ["linux-x86_64"],
                "source": SOURCE,
            },
            {
                "release": "0.6.2",
                "build": "cuda12",
                "packages": ["jax-cuda12-plugin", "jax-cuda12-pjrt"],
                "accelerator": "cuda",
                "cuda_range": {"min": "12.1"},
                "platforms": ["linux-x86_64"],
                "extras": {
                    "cuda": ["jaxlib<=0.6.2,>=0.6.2", PLUGIN],
                    "cuda12": ["jaxlib<=0.6.2,>=0.6.2", PLUGIN],
                    "cuda12-local": ["jaxlib<=0.6.2,>=0.6.2", "jax-cuda12-plugin<=0.6.2,>=0.6.2"],
                    "with-cuda": ["nvidia-cudnn-cu12>=9.8"],
                },
                "source": SOURCE,
            },
        ],
    }


def matrix() -> Matrix:
    documents = {}
    for name in ("cuda.yaml", "gpus.yaml"):
        document = yaml.safe_load((MINI / name).read_text())
        documents[document["subject"]] = document
    documents["jax"] = jax_document()
    return Matrix.from_documents(documents)


def test_the_extra_named_like_the_build_and_bringing_cuda_is_the_one_offered() -> None:
    framework = matrix().framework("jax")
    assert framework is not None
    extras = {c.build.build: c.extra for c in candidates_for(framework, "jax")}
    assert extras == {"cpu": None, "cuda12": "cuda12"}
    (local,) = candidates_for(framework, "jax", {"cuda12-local"})
    assert local.extra == "cuda12-local" and not local.extra_brings_cuda


def test_resolving_jax_on_a_gpu_host_installs_the_cuda_extra() -> None:
    (target,) = resolve(
        host("580.65.06", gpus=(("H100", "9.0"),), python="3.12"), matrix(), from_arguments(["jax"])
    ).targets
    assert target.chosen is not None
    assert target.chosen.candidate.label == "jax[cuda12]==0.6.2"
    assert target.chosen.candidate.install_line("linux-x86_64") == "pip install 'jax[cuda12]==0.6.2'"


def test_a_requirement_naming_the_extra_is_that_build_and_the_plain_pin_is_the_default_one() -> None:
    gpu_host = host("580.65.06", gpus=(("H100", "9.0"),), python="3.12")
    (with_extra,) = check(gpu_host, matrix(), from_arguments(["jax[cuda12]==0.6.2"])).results
    assert with_extra.evaluation is not None and with_extra.evaluation.candidate.build.build == "cuda12"
    (plain,) = check(gpu_host, matrix(), from_arguments(["jax==0.6.2"])).results
    assert plain.evaluation is not None and plain.evaluation.candidate.build.build == "cpu"


def test_the_stack_pins_the_extra_and_knows_the_wheels_bring_cuda() -> None:
    stack = build_stack(host("580.65.06", gpus=(("H100", "9.0"),), python="3.12"), matrix(), ["jax"])
    (pin,) = stack.pins
    assert pin.requirement == "jax[cuda12]==0.6.2" and pin.bundles_cuda


def test_a_gpu_package_is_its_own_build_not_reached_through_extras() -> None:
    framework = matrix().framework("jax")
    assert framework is not None
    plugin = candidates_for(framework, "jax-cuda12-plugin")
    assert [(c.build.build, c.extra) for c in plugin] == [("cuda12", None)]
