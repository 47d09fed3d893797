"""A candidate: one build of one release of a framework, installed as one package, evaluated on one host."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dlenv.matrix.model import FrameworkFamily
from dlenv.records import field, record
from dlenv.versions import CudaVersion, parse_cuda

if TYPE_CHECKING:
    from collections.abc import Sequence

    from dlenv.compat.cuda_facts import CudaFacts
    from dlenv.host.model import HostFacts
    from dlenv.matrix.model import FrameworkBuild, FrameworkRelease, Matrix


@record
class Candidate:
    subject: str
    package: str
    release: FrameworkRelease
    build: FrameworkBuild
    extra: str | None = None
    """The extra of `package` that installs this build (jax[cuda12] pulls in the CUDA plugin), if that is how."""
    family: FrameworkFamily = field(default=FrameworkFamily(), compare=False)
    """The framework's family block: how pip selects the build and where its CUDA libraries come from."""

    @property
    def requirement(self) -> str:
        return pin(self.package, (self.extra,) if self.extra else (), self.release.version)

    @property
    def local_tag(self) -> bool:
        """Is the build named by a local version tag (torch==2.4.1+cu121), as the family block says?"""
        return self.family.selects_by_local_tag(self.build.build)

    @property
    def label(self) -> str:
        return self.requirement + (f"+{self.build.build}" if self.local_tag else "")

    @property
    def extra_brings_cuda(self) -> bool:
        """Does the extra install the build's CUDA libraries too (jax[cuda12] does, jax[cuda12-local] does not)?"""
        return self.extra is not None and any(
            "[" in requirement for requirement in self.build.extras.get(self.extra, ())
        )

    @property
    def identity(self) -> tuple[str, str, str, str, str | None]:
        """What tells two candidates apart: the same build installed the same way is one candidate."""
        return (self.subject, self.package, self.release.version, self.build.build, self.extra)

    @property
    def cuda(self) -> CudaVersion | None:
        """The CUDA version the build needs at least: its supported range's minimum where it states one (builds
        made to run on any driver of a CUDA major), else the CUDA it was built with."""
        if self.build.accelerator != "cuda":
            return None
        text = self.build.cuda_range.min if self.build.cuda_range else self.build.cuda
        return parse_cuda(text) if text else None

    @property
    def python(self) -> tuple[str, ...]:
        return self.build.python or self.release.python

    def install_line(self, platform_key: str) -> str:
        """The pip command that installs exactly this build on a host of `platform_key` (e.g. linux-x86_64)."""
        requirement = self.requirement
        if platform_key in self.build.default_on or not self.build.index_url:
            return f"pip install '{requirement}'"
        url = self.build.index_url
        if self.local_tag:
            requirement += f"+{self.build.build}"
        if self.family.index_serves_dependencies:
            # The family's own index serves every dependency its packages need, so it can be the only index.
            return f"pip install '{requirement}' --index-url {url}"
        return f"pip install '{requirement}' {pip_source_option(url)} {url}"


def pin(package: str, extras: Sequence[str], version: str) -> str:
    """The exact pin pip reads: package[extra,...]==version."""
    listed = f"[{','.join(extras)}]" if extras else ""
    return f"{package}{listed}=={version}"


def is_find_links(url: str) -> bool:
    """A wheel page for pip's --find-links (JAX's old CUDA wheels), not a Simple API index."""
    return url.split("?", 1)[0].endswith(".html")


def pip_source_option(url: str) -> str:
    """The pip option that adds `url` next to the default index."""
    return "--find-links" if is_find_links(url) else "--extra-index-url"


@record
class RuleContext:
    host: HostFacts
    matrix: Matrix
    cuda: CudaFacts
    notes: list[str] = field(default_factory=list)
    allow_forward_compat: bool = False
    """The user deploys NVIDIA's cuda-compat package where a build needs it (--allow-forward-compat)."""
    evaluations: dict[tuple[str, str, str, str, str | None], Any] = field(default_factory=dict, compare=False)
    """Each candidate is evaluated once per context (a check evaluates the same builds for many lines)."""
    derived: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    """Facts of the host the rules derive once per context, not once per candidate (the kinds of GPU)."""

    @property
    def platform_key(self) -> str:
        return self.host.platform.key

    @property
    def python(self) -> str | None:
        version = self.host.platform.python_version
        return ".".join(version.split(".")[:2]) if version else None
