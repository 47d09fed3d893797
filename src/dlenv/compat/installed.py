"""Installed frameworks as the engine judges them. Each pip framework's pin is checked against the matrix; a
framework whose build the matrix does not record (an unknown local tag, a release newer than the matrix, an in-house
build, a conda package) becomes a candidate made from its installed metadata — its version, build tag, the CUDA its
build files or its CUDA runtime requirement name, the GPU targets its build files list — so the same rules judge
it, and a warning says that what only the matrix records was not checked."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from dlenv.compat.candidate import Candidate
from dlenv.errors import InputError
from dlenv.host.model import Finding, Severity
from dlenv.index.wheels import cuda_stack, linux_x86_64_environment
from dlenv.matrix.model import FrameworkBuild, FrameworkFamily, FrameworkRelease
from dlenv.records import record, replace
from dlenv.versions import CudaVersion, parse_compute_capability, parse_cuda

if TYPE_CHECKING:
    from collections.abc import Mapping

    from dlenv.compat.candidate import RuleContext
    from dlenv.compat.check import CheckReport, RequirementResult
    from dlenv.compat.sources.model import RequirementInput
    from dlenv.host.model import Framework, HostFacts
    from dlenv.matrix.model import Matrix

_TAG_SEPARATOR = re.compile(r"[._-]")


def _leading_tag(local_version: str | None) -> str | None:
    """The first segment of a build tag: cu121 of cu121.acme, cuda12 of cuda12.cudnn89."""
    return _TAG_SEPARATOR.split(local_version, maxsplit=1)[0].lower() if local_version else None


def _marker_environment(host: HostFacts) -> dict[str, str]:
    """Where the framework's requirement markers are evaluated: the host's interpreter when its Python is known."""
    from dlenv.compat.sources.target import marker_environment

    return {**(marker_environment(host) or linux_x86_64_environment()), "extra": ""}


def installed_cuda(framework: Framework, environment: Mapping[str, str] | None = None) -> CudaVersion | None:
    """The CUDA an installed build was made with: what its build files say (torch's version.py, TensorFlow's
    build_info, a conda build string), else its build tag (cu121, cuda12x), else the CUDA runtime or toolkit its
    requirements pin (nvidia-cuda-runtime-cu12==12.1.105, cuda-toolkit==13.0.2: index.wheels.cuda_stack)."""
    for text in (framework.cuda, _leading_tag(framework.local_version)):
        if text and (cuda := parse_cuda(text)) is not None:
            return cuda
    pinned = cuda_stack(framework.cuda_requirements, environment).cuda
    return parse_cuda(pinned) if pinned else None


def _accelerator(framework: Framework, cuda: CudaVersion | None) -> str | None:
    """cuda, cpu, rocm or xpu where the metadata says which; None where it does not."""
    tag = _leading_tag(framework.local_version)
    if cuda is not None or tag == "cuda":  # TensorFlow's build_info says is_cuda_build (probe: local tag 'cuda')
        return "cuda"
    if tag is not None and (accelerator := next((a for a in ("cpu", "rocm", "xpu") if tag.startswith(a)), None)):
        return accelerator
    return None


def _targets(framework: Framework) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(sass, ptx) from the targets a build file lists. TensorFlow's cuda_compute_capabilities follows
    third_party/gpus/cuda_configure.bzl: 'sm_xy' is SASS only, 'compute_xy' both PTX and SASS (matrices/tensorflow.yaml
    notes, confirmed on the wheels' fatbinaries)."""
    sass: list[str] = []
    ptx: list[str] = []
    for target in framework.compute_capabilities:
        capability = parse_compute_capability(target)
        if capability is None:
            continue
        capability += target[-1] if target[-1] in "af" else ""
        sass.append(capability)
        if target.startswith("compute"):
            ptx.append(capability)
    return tuple(sass), tuple(ptx)


@record
class InstalledCandidate(Candidate):
    """A candidate made from an installed framework's metadata, not from a matrix row."""

    tagged: bool = True
    """Whether the installed version carries a build tag (else the label is the plain pin)."""
    conda_build: str | None = None
    """The conda build string, for a conda package (shown instead of a pip local tag)."""

    @property
    def label(self) -> str:
        if self.conda_build is not None:
            return f"{self.package} {self.release.version} (conda build {self.conda_build})"
        return super().label if self.tagged else self.requirement


def installed_candidate(
    framework: Framework, matrix: Matrix, environment: Mapping[str, str] | None = None
) -> InstalledCandidate | None:
    """The installed build as a candidate, from its metadata. None for a framework the matrix does not know whose
    metadata does not say what build it is either (nothing to judge it by)."""
    cuda = installed_cuda(framework, environment)
    accelerator = _accelerator(framework, cuda)
    known = matrix.framework_for_package(framework.name) if framework.origin == "pip" else None
    if accelerator is None and known is None:
        return None
    stack = cuda_stack(framework.cuda_requirements, environment)
    sass, ptx = _targets(framework)
    conda = framework.origin == "conda"
    build = FrameworkBuild(
        release=framework.version,
        build=framework.local_version or "installed",
        packages=(framework.name,),
        accelerator=accelerator or "unknown",
        # as parse_cuda reads it back: '12.1', or '12' where only the major is known (cuda12x)
        cuda=(f"{cuda.major}.{cuda.minor}" if cuda.minor is not None else str(cuda.major)) if cuda else None,
        cuda_range=None,
        cudnn=framework.cudnn or stack.cudnn,
        nccl=stack.nccl,
        rocm=None,
        sass=sass,
        ptx=ptx,
        arch_by_platform={},
        python=None,
        platforms=(),
        glibc=None,
        default_on=(),
        index_url=None,
        min_driver=None,
        min_compute_capability=None,
        extras={},
        conda=None,
        notes=None,
        disagreement=None,
        source=(framework.location,),
    )
    release = FrameworkRelease(framework.version, None, (), {}, False, None, None, ())
    subject = known.subject if known is not None else framework.family
    family = known if known is not None else matrix.framework(framework.family)
    return InstalledCandidate(
        subject,
        framework.name,
        release,
        build,
        family=family.family if family is not None else FrameworkFamily(),
        tagged=framework.local_version is not None,
        conda_build=framework.local_version if conda and framework.local_version else None,
    )


def _unverified(candidate: InstalledCandidate) -> Finding:
    build = candidate.build
    label = candidate.label
    if build.accelerator == "unknown":
        what = (
            f"{label} is a build the matrix does not record, and its metadata does not say whether it is a CPU or a "
            "CUDA build, so it was not checked against the driver or the GPUs"
        )
    elif build.accelerator == "cuda" and candidate.cuda is None:
        what = (
            f"{label} is a CUDA build the matrix does not record, and its metadata names no CUDA version, so it was "
            "not checked against the driver"
        )
    else:
        made = f"a CUDA {candidate.cuda} build" if candidate.cuda else f"a {build.accelerator.upper()} build"
        what = (
            f"{label} is a build the matrix does not record; it was judged from its installed metadata ({made}), "
            "without what the matrix records for a build (the project's own driver floor and minimum compute "
            "capability, its library pins)"
        )
    return Finding(
        "installed_build_unverified",
        Severity.WARNING,
        f"unverified: {what}.",
        "install a build the matrix records, or add this one with a matrix overlay (docs/matrix.md)",
        candidate.package,
    )


def _installed_requirement(framework: Framework) -> RequirementInput:
    """The pin an installed framework that from_installed does not list (a conda package) is reported under."""
    from dlenv.compat.requirements import parse_requirement

    origin = f"installed ({framework.location})"
    try:
        return parse_requirement(f"{framework.name}=={framework.version}", origin)
    except InputError:
        return parse_requirement(framework.name, origin)  # a version that is no PEP 440 version: the name alone


def _from_metadata(
    ctx: RuleContext, candidate: InstalledCandidate, requirement: RequirementInput, engine: RequirementResult | None
) -> RequirementResult:
    """The candidate's verdict; where it fails, the matrix builds the engine found working for the pin are the
    alternatives (the repair doctor names)."""
    from dlenv.compat.check import RequirementResult
    from dlenv.compat.evaluate import evaluate

    evaluation = evaluate(ctx, candidate)
    findings = (*evaluation.findings, _unverified(candidate))
    alternatives = engine.alternatives if engine is not None and not evaluation.compatible else ()
    return RequirementResult(requirement, candidate.subject, evaluation, findings, alternatives)


def _lacks_build(matrix: Matrix, result: RequirementResult) -> bool:
    """The engine found no matrix build for an installed pin: a package the matrix does not know, or a release or
    build of one it does. A companion without its framework's pairing (companion_unknown) stays the engine's."""
    return result.evaluation is None and (
        result.subject is None or matrix.framework_for_package(result.requirement.name) is not None
    )


def check_installed(host: HostFacts, matrix: Matrix) -> CheckReport:
    """Every installed framework judged by the engine: the matrix's build where it records the installed one, a
    candidate from the installed metadata where it does not; co-installation across all of them."""
    # the engine's modules load on use: doctor's host findings read installed_cuda without them
    from dlenv.compat.check import check, rule_context
    from dlenv.compat.coinstall import coinstall_findings
    from dlenv.compat.requirements import from_installed

    # each framework with its own pin (none for a conda package), so results pair with frameworks one to one
    pins = [
        (framework, from_installed(replace(host, frameworks=(framework,)), matrix)) for framework in host.frameworks
    ]
    report = check(host, matrix, [pin for _framework, found in pins for pin in found])
    engine = iter(report.results)
    # a context of its own: a candidate from metadata must not share the evaluation cached for a matrix build
    ctx = rule_context(host, matrix)
    environment = _marker_environment(host)
    results: list[RequirementResult] = []
    for framework, found in pins:
        result = next(engine) if found else None
        if result is not None and not _lacks_build(matrix, result):
            results.append(result)
            continue
        candidate = installed_candidate(framework, matrix, environment)
        if candidate is not None:
            requirement = result.requirement if result is not None else _installed_requirement(framework)
            results.append(_from_metadata(ctx, candidate, requirement, result))
        elif result is not None:
            results.append(result)
    chosen = [result.evaluation.candidate for result in results if result.evaluation is not None]
    return replace(report, results=tuple(results), conflicts=tuple(coinstall_findings(chosen)))
