"""A build whose arch list is not recorded is still bounded by the compiler it was built with (cuda.yaml's sass of
that CUDA release): a GPU older than every target has no kernel image; a newer architecture can only JIT PTX."""

from __future__ import annotations

import yaml

from dlenv.compat.check import check
from dlenv.compat.requirements import from_arguments
from dlenv.host.model import Gpu
from dlenv.matrix.model import Matrix
from dlenv.records import replace
from tests.unit.compat.engine import MINI, host

# nvcc targets per CUDA release (as in the real cuda.yaml, from NVIDIA's CUDA 12.4 and 12.8 release notes).
CUDA_12_4 = ["5.0", "5.2", "5.3", "6.0", "6.1", "6.2", "7.0", "7.2", "7.5", "8.0", "8.6", "8.7", "8.9", "9.0"]
CUDA_12_8 = [*CUDA_12_4, "10.0", "10.1", "12.0"]


def matrix_without_arch_lists() -> Matrix:
    documents = {}
    for path in sorted(MINI.glob("*.yaml")):
        document = yaml.safe_load(path.read_text())
        documents[document["subject"]] = document
    for toolkit in documents["cuda"]["toolkits"]:
        toolkit["sass"] = {"12.4": CUDA_12_4, "12.8": CUDA_12_8}.get(toolkit["version"][:4], toolkit.get("sass", []))
    for build in documents["pytorch"]["builds"]:
        build.pop("sass", None)
        build.pop("ptx", None)
    return Matrix.from_documents(documents)


def codes(requirement: str, gpu: tuple[str, str], driver: str = "580.65.06") -> dict[str, str]:
    (result,) = check(
        host(driver, gpus=(gpu,), python="3.12"), matrix_without_arch_lists(), from_arguments([requirement])
    ).results
    return {finding.code: finding.severity.value for finding in result.findings}


def test_a_gpu_older_than_every_compiler_target_has_no_kernel_image() -> None:
    assert codes("torch==2.8.0+cu128", ("Tesla K80", "3.7")).get("gpu_arch_unsupported") == "error"


def test_a_newer_architecture_can_only_jit_ptx() -> None:
    assert codes("torch==2.6.0+cu124", ("RTX 5090", "12.0")).get("gpu_arch_newer_than_cuda") == "warning"


def test_within_the_compiler_range_the_gpu_is_not_checked_and_says_so() -> None:
    # unverified is never a bare "compatible": a warning, which --strict fails
    found = codes("torch==2.6.0+cu124", ("A100", "8.0"))
    assert found.get("gpu_arch_unknown") == "warning" and "gpu_arch_unsupported" not in found


def test_a_message_says_the_gpus_compute_capability_once() -> None:
    # 'GPU 0 (compute capability 12.0)' names it already: no message may repeat it ('... which predates compute
    # capability 12.0: GPU 0 (compute capability 12.0) ...').
    cases = [
        ("torch==2.6.0+cu124", "12.0", "gpu_arch_newer_than_cuda"),
        ("torch==2.8.0+cu128", "3.7", "gpu_arch_unsupported"),
        ("torch==2.6.0+cu124", "8.0", "gpu_arch_unknown"),
    ]
    for requirement, capability, code in cases:
        for name in (None, "Some GPU"):
            gpu = Gpu(index=0, name=name, compute_capability=capability, source="flag")
            described = replace(host("580.65.06", python="3.12"), gpus=(gpu,))
            (result,) = check(described, matrix_without_arch_lists(), from_arguments([requirement])).results
            (finding,) = [f for f in result.findings if f.code == code]
            assert finding.message.count(f"compute capability {capability}") == 1, finding.message
