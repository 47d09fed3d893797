"""The rules that once sat inline in evaluate.py, now in RULES: a ROCm/XPU build on an NVIDIA host, and PTX-only
coverage under CUDA minor-version compatibility."""

from __future__ import annotations

from typing import Any

import pytest

from dlenv.compat.candidate import Candidate
from dlenv.compat.check import rule_context
from dlenv.compat.evaluate import RULES, evaluate
from dlenv.compat.gpu_rules import ptx_jit_rule
from dlenv.compat.platform_rules import accelerator_rule
from dlenv.matrix.model import FrameworkBuild, FrameworkRelease
from tests.unit.compat.engine import host, mini_matrix

H100 = (("NVIDIA H100 80GB HBM3", "9.0"),)


def candidate(**build: Any) -> Candidate:
    row = {"release": "1.0", "build": "b", "packages": ["torch"], "accelerator": "cuda", "cuda": "12.6", **build}
    return Candidate("pytorch", "torch", FrameworkRelease.from_dict({"version": "1.0"}), FrameworkBuild.from_dict(row))


def codes(driver: str, build: Candidate) -> list[str]:
    ctx = rule_context(host(driver, gpus=H100), mini_matrix())
    return [finding.code for finding in evaluate(ctx, build).findings]


def test_both_rules_are_in_rules() -> None:
    assert accelerator_rule in RULES and ptx_jit_rule in RULES


@pytest.mark.parametrize(
    ("accelerator", "expected"),
    [("rocm", ["accelerator_unsupported"]), ("xpu", ["accelerator_unsupported"]), ("cpu", [])],
)
def test_an_accelerator_other_than_cuda_or_cpu(accelerator: str, expected: list[str]) -> None:
    ctx = rule_context(host("560.28.03", gpus=H100), mini_matrix())
    assert [f.code for f in accelerator_rule(ctx, candidate(accelerator=accelerator, cuda=None))] == expected


def test_ptx_only_coverage_under_minor_version_compatibility_cannot_jit() -> None:
    ptx_only = candidate(sass=["8.0"], ptx=["8.0"])
    # 550.54.15 is below CUDA 12.6's own floor (560.28.03) and above CUDA 12's minor-compatibility floor
    assert codes("550.54.15", ptx_only) == ["minor_version_compat", "gpu_arch_ptx_only", "ptx_jit_unavailable"]


def test_ptx_only_on_a_native_driver_or_sass_under_minor_compatibility_is_no_jit_error() -> None:
    assert codes("560.28.03", candidate(sass=["8.0"], ptx=["8.0"])) == ["gpu_arch_ptx_only"]
    assert codes("550.54.15", candidate(sass=["9.0"])) == ["minor_version_compat"]
