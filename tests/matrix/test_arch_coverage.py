"""Every shipped CUDA build says which GPUs it has kernels for, or why not — and then is never a bare "compatible"."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from dlenv.compat.check import check_requirement, rule_context
from dlenv.compat.requirements import parse_requirement
from dlenv.host.model import Driver, Gpu, HostFacts, Platform
from dlenv.matrix.model import Matrix
from tests.matrix.conftest import MATRICES

FRAMEWORK_FILES = ("pytorch", "tensorflow", "jax", "cupy", "rapids")


def _cuda_builds(subject: str) -> list[dict[str, object]]:
    path = MATRICES / f"{subject}.yaml"
    document = yaml.load(Path(path).read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return [build for build in document["builds"] if build["accelerator"] == "cuda"]


@pytest.mark.parametrize("subject", FRAMEWORK_FILES)
def test_every_cuda_build_has_an_arch_list_or_says_why_not(subject: str) -> None:
    unexplained = [
        f"{build['release']}+{build['build']}"
        for build in _cuda_builds(subject)
        if not build.get("sass") and not build.get("ptx") and not build.get("arch_left_out")
    ]
    assert not unexplained, f"{subject}: CUDA builds with neither sass/ptx nor arch_left_out: {unexplained}"


@pytest.mark.parametrize("subject", FRAMEWORK_FILES)
def test_a_build_without_an_arch_list_is_never_plainly_ok(subject: str, matrix: Matrix) -> None:
    # On each architecture's GPUs, with a driver new enough for every build, the verdict of a build whose arch list
    # is not recorded carries a warning or an error: unverified never reads as "ok".
    capabilities = sorted({cc for a in matrix.gpus.architectures for cc in a.compute_capabilities[:1]})
    unknown = [b for b in _cuda_builds(subject) if not b.get("sass") and not b.get("ptx")]
    for build in unknown:
        package = next(iter(build["packages"]))  # type: ignore[call-overload]
        for cc in capabilities:
            host = HostFacts(
                platform=Platform(system="linux", arch="x86_64", python_version=None, glibc="2.39"),
                origin="flags",
                driver=Driver(version="595.45.04", max_cuda="13.2", source="flag"),
                gpus=(Gpu(index=0, compute_capability=cc, source="flag"),),
            )
            ctx = rule_context(host, matrix)
            requirement = parse_requirement(f"{package}=={build['release']}", "test")
            result = check_requirement(ctx, requirement)
            if result.evaluation is None or result.evaluation.candidate.build.build != build["build"]:
                continue  # the plain pin means another build on this platform
            assert result.status != "ok", (package, build["release"], build["build"], cc)
