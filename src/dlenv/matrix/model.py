"""Immutable records of the compatibility matrix and the queries the rest of dlenv asks of it.

Records are built from documents that are already valid (checked at compile time, or when an overlay is loaded), so
construction only copies fields; it never re-checks them. Field names follow the JSON Schemas in matrices/schema/.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from dlenv.records import field, record
from dlenv.versions import canonical_name, parse_compute_capability, parse_version, sortable_version

if TYPE_CHECKING:
    import datetime

    from packaging.version import Version

if TYPE_CHECKING:
    from dlenv.matrix.families import FamilyIndex

_LEADING_VENDOR = re.compile(r"^(?:nvidia\s+)?(?:geforce\s+)?", re.IGNORECASE)
_WHITESPACE = re.compile(r"\s+")


def normalize_gpu_name(name: str) -> str:
    """'NVIDIA GeForce RTX 4090' / 'rtx  4090' -> 'rtx4090': case, spaces and the vendor/brand prefixes ignored."""
    return _WHITESPACE.sub("", _LEADING_VENDOR.sub("", name.strip())).lower()


def version_key(text: str) -> str:
    """The identity of a version: '2.4', '2.4.0' and '2.4.0.0' are one release; unparsable text stays as written."""
    parsed = parse_version(text)
    if parsed is None:
        return text
    release = list(parsed.release)
    while len(release) > 1 and release[-1] == 0:
        release.pop()
    return repr((parsed.epoch, tuple(release), parsed.pre, parsed.post, parsed.dev, parsed.local))


def _tuple(data: Mapping[str, Any], key: str) -> tuple[str, ...]:
    return tuple(data.get(key, ()))


@record
class MatrixNotes:
    """What a matrix file says about its data as a whole, by kind (the `notes` map of every schema)."""

    scope: tuple[str, ...] = ()
    """What the file covers: which releases, tags or products it lists and how its rows are cut."""
    method: tuple[str, ...] = ()
    """Where the values of each field come from and how they were read."""
    left_out: tuple[str, ...] = ()
    """Facts searched for and not found, or left out on purpose, and why."""
    disagreements: tuple[str, ...] = ()
    """Where sources disagree: what each says and which one the rows keep."""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> MatrixNotes:
        data = data or {}
        return cls(
            _tuple(data, "scope"), _tuple(data, "method"), _tuple(data, "left_out"), _tuple(data, "disagreements")
        )

    def by_kind(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """(heading, sentences) for each kind that has any, in schema order: 'Scope', 'Method', 'Left out', ..."""
        kinds = (
            ("Scope", self.scope),
            ("Method", self.method),
            ("Left out", self.left_out),
            ("Disagreements", self.disagreements),
        )
        return tuple((heading, notes) for heading, notes in kinds if notes)

    def sentences(self) -> tuple[str, ...]:
        """Every note, kind after kind."""
        return tuple(note for _, notes in self.by_kind() for note in notes)


@record
class DriverFloor:
    """A minimum driver version per OS; None where the source states none."""

    linux: str | None = None
    windows: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> DriverFloor | None:
        return cls(data.get("linux"), data.get("windows")) if data else None


@record
class CudaMajor:
    major: int
    minor_compat_min_driver: DriverFloor | None
    minor_compat_limits: tuple[str, ...]
    notes: str | None
    disagreement: str | None
    source: tuple[str, ...]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CudaMajor:
        return cls(
            major=data["major"],
            minor_compat_min_driver=DriverFloor.from_dict(data.get("minor_compat_min_driver")),
            minor_compat_limits=_tuple(data, "minor_compat_limits"),
            notes=data.get("notes"),
            disagreement=data.get("disagreement"),
            source=_tuple(data, "source"),
        )


@record
class CudaToolkit:
    version: str
    released: str | None
    min_driver: DriverFloor
    sass: tuple[str, ...]
    notes: str | None
    disagreement: str | None
    source: tuple[str, ...]

    @property
    def major(self) -> int:
        return int(self.version.split(".")[0])

    @property
    def major_minor(self) -> str:
        """'12.4.1' -> '12.4'."""
        return ".".join(self.version.split(".")[:2])

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CudaToolkit:
        return cls(
            version=data["version"],
            released=data.get("released"),
            min_driver=DriverFloor.from_dict(data["min_driver"]) or DriverFloor(),
            sass=_tuple(data, "sass"),
            notes=data.get("notes"),
            disagreement=data.get("disagreement"),
            source=_tuple(data, "source"),
        )


@record
class ForwardCompat:
    cuda: str
    driver_branches: tuple[str, ...]
    segments: tuple[str, ...]
    notes: str | None
    source: tuple[str, ...]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ForwardCompat:
        return cls(
            cuda=data["cuda"],
            driver_branches=_tuple(data, "driver_branches"),
            segments=_tuple(data, "segments"),
            notes=data.get("notes"),
            source=_tuple(data, "source"),
        )


@record
class Architecture:
    name: str
    compute_capabilities: tuple[str, ...]
    last_driver_branch: str | None
    notes: str | None
    source: tuple[str, ...]
    first_driver_branch: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Architecture:
        return cls(
            name=data["name"],
            compute_capabilities=_tuple(data, "compute_capabilities"),
            last_driver_branch=data.get("last_driver_branch"),
            first_driver_branch=data.get("first_driver_branch"),
            notes=data.get("notes"),
            source=_tuple(data, "source"),
        )


@record
class GpuProduct:
    name: str
    aliases: tuple[str, ...]
    compute_capability: str
    architecture: str
    segment: str
    notes: str | None
    source: tuple[str, ...]
    first_driver_branch: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GpuProduct:
        return cls(
            name=data["name"],
            aliases=_tuple(data, "aliases"),
            compute_capability=data["compute_capability"],
            architecture=data["architecture"],
            segment=data["segment"],
            first_driver_branch=data.get("first_driver_branch"),
            notes=data.get("notes"),
            source=_tuple(data, "source"),
        )


@record
class FrameworkRelease:
    version: str
    released: str | None
    python: tuple[str, ...]
    companions: Mapping[str, str]
    yanked: bool
    notes: str | None
    disagreement: str | None
    source: tuple[str, ...]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FrameworkRelease:
        return cls(
            version=data["version"],
            released=data.get("released"),
            python=_tuple(data, "python"),
            companions=dict(data.get("companions", {})),
            yanked=bool(data.get("yanked", False)),
            notes=data.get("notes"),
            disagreement=data.get("disagreement"),
            source=_tuple(data, "source"),
        )


@record
class CudaRange:
    min: str
    max: str | None


@record
class CondaSpec:
    channels: tuple[str, ...]
    packages: tuple[str, ...]


@record
class FrameworkBuild:
    release: str
    build: str
    packages: tuple[str, ...]
    accelerator: str
    cuda: str | None
    cuda_range: CudaRange | None
    cudnn: str | None
    nccl: str | None
    rocm: str | None
    sass: tuple[str, ...]
    ptx: tuple[str, ...]
    arch_by_platform: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]]
    """platform -> (sass, ptx) where that platform's wheels carry other targets."""
    python: tuple[str, ...] | None
    """Overrides the release's Python list when set."""
    platforms: tuple[str, ...]
    glibc: str | None
    default_on: tuple[str, ...]
    index_url: str | None
    min_driver: DriverFloor | None
    min_compute_capability: str | None
    extras: Mapping[str, tuple[str, ...]]
    conda: CondaSpec | None
    notes: str | None
    disagreement: str | None
    source: tuple[str, ...]
    arch_platforms: tuple[str, ...] = ()
    """The platforms whose wheels sass/ptx were sourced for; empty: every platform of the build."""

    def targets_on(self, platform: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(sass, ptx) of this build's wheels for `platform`; empty where no source gives that platform's."""
        if platform in self.arch_by_platform:
            return self.arch_by_platform[platform]
        if self.arch_platforms and platform not in self.arch_platforms:
            return (), ()
        return self.sass, self.ptx

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FrameworkBuild:
        cuda_range = data.get("cuda_range")
        conda = data.get("conda")
        python = data.get("python")
        return cls(
            release=data["release"],
            build=data["build"],
            packages=_tuple(data, "packages"),
            accelerator=data["accelerator"],
            cuda=data.get("cuda"),
            cuda_range=CudaRange(cuda_range["min"], cuda_range.get("max")) if cuda_range else None,
            cudnn=data.get("cudnn"),
            nccl=data.get("nccl"),
            rocm=data.get("rocm"),
            sass=_tuple(data, "sass"),
            ptx=_tuple(data, "ptx"),
            arch_by_platform={
                platform: (tuple(arch["sass"]), tuple(arch["ptx"]))
                for platform, arch in data.get("arch_by_platform", {}).items()
            },
            python=tuple(python) if python else None,
            platforms=_tuple(data, "platforms"),
            glibc=data.get("glibc"),
            default_on=_tuple(data, "default_on"),
            index_url=data.get("index_url"),
            min_driver=DriverFloor.from_dict(data.get("min_driver")),
            min_compute_capability=data.get("min_compute_capability"),
            extras={name: tuple(pins) for name, pins in data.get("extras", {}).items()},
            conda=CondaSpec(tuple(conda["channels"]), tuple(conda["packages"])) if conda else None,
            notes=data.get("notes"),
            disagreement=data.get("disagreement"),
            source=_tuple(data, "source"),
            arch_platforms=_tuple(data, "arch_platforms"),
        )


@record
class ImageFramework:
    name: str
    version: str


@record
class Image:
    repository: str
    tag: str
    flavour: str
    cuda: str | None
    cudnn: str | None
    os: str | None
    python: str | None
    framework: ImageFramework | None
    platforms: tuple[str, ...]
    require_cuda: str | None
    """The NVIDIA_REQUIRE_CUDA value itself (the row names it by id; see from_dict)."""
    digest: str | None
    notes: str | None
    source: tuple[str, ...]
    supported: bool | None = None
    """False: the publisher lists the tag as unsupported; None: nothing recorded (never read as supported)."""

    @property
    def reference(self) -> str:
        return f"{self.repository}:{self.tag}"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], require_cuda_values: Mapping[str, str] | None = None) -> Image:
        """`require_cuda_values` is the document's require_cuda table as id -> value; the row's id is looked up in
        it (validation has checked that every id resolves)."""
        framework = data.get("framework")
        require_cuda_id = data.get("require_cuda")
        return cls(
            repository=data["repository"],
            tag=data["tag"],
            flavour=data["flavour"],
            cuda=data.get("cuda"),
            cudnn=data.get("cudnn"),
            os=data.get("os"),
            python=data.get("python"),
            framework=ImageFramework(framework["name"], framework["version"]) if framework else None,
            platforms=_tuple(data, "platforms"),
            require_cuda=(require_cuda_values or {})[require_cuda_id] if require_cuda_id is not None else None,
            digest=data.get("digest"),
            notes=data.get("notes"),
            source=_tuple(data, "source"),
            supported=data.get("supported"),
        )


def require_cuda_table(document: Mapping[str, Any]) -> dict[str, str]:
    """An images document's require_cuda entries as id -> NVIDIA_REQUIRE_CUDA value."""
    return {entry["id"]: entry["value"] for entry in document.get("require_cuda", ())}


def _date(text: str) -> datetime.date:
    import datetime  # the refresh policy's dates only: a check never reads them

    return datetime.date.fromisoformat(text)


@record
class CudaMatrix:
    matrix_version: str | None
    majors: tuple[CudaMajor, ...]
    toolkits: tuple[CudaToolkit, ...]
    forward_compat: tuple[ForwardCompat, ...]
    notes: MatrixNotes = MatrixNotes()

    @classmethod
    def from_document(cls, doc: Mapping[str, Any] | None) -> CudaMatrix:
        doc = doc or {}
        return cls(
            matrix_version=doc.get("matrix_version"),
            majors=tuple(CudaMajor.from_dict(row) for row in doc.get("majors", ())),
            toolkits=tuple(CudaToolkit.from_dict(row) for row in doc.get("toolkits", ())),
            forward_compat=tuple(ForwardCompat.from_dict(row) for row in doc.get("forward_compat", ())),
            notes=MatrixNotes.from_dict(doc.get("notes")),
        )


@record
class GpuMatrix:
    matrix_version: str | None
    architectures: tuple[Architecture, ...]
    gpus: tuple[GpuProduct, ...]
    notes: MatrixNotes = MatrixNotes()

    @classmethod
    def from_document(cls, doc: Mapping[str, Any] | None) -> GpuMatrix:
        doc = doc or {}
        return cls(
            matrix_version=doc.get("matrix_version"),
            architectures=tuple(Architecture.from_dict(row) for row in doc.get("architectures", ())),
            gpus=tuple(GpuProduct.from_dict(row) for row in doc.get("gpus", ())),
            notes=MatrixNotes.from_dict(doc.get("notes")),
        )


@record
class RefreshScope:
    """Which index releases a framework file must cover. Pre-releases and fully yanked releases never are."""

    min_version: str | None = None
    """Releases at or above this version."""
    extra_series: tuple[str, ...] = ()
    """Plus every release of these series below min_version ('1.15': 1.15.x)."""
    since: datetime.date | None = None
    """Only releases first uploaded on or after this date."""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> RefreshScope:
        data = data or {}
        since = data.get("since")
        return cls(
            min_version=data.get("min_version"),
            extra_series=_tuple(data, "extra_series"),
            since=_date(since) if isinstance(since, str) else since,
        )

    def covers(self, version: Version, released: datetime.date | None) -> bool:
        """Whether the matrix must list index release `version`, first uploaded on `released`."""
        if version.is_prerelease or version.is_devrelease:
            return False
        if self.since is not None and (released is None or released < self.since):
            return False
        from packaging.version import Version

        if self.min_version is not None and version < Version(self.min_version):
            series = ".".join(str(part) for part in version.release[:2])
            return series in self.extra_series
        return True


@record
class RefreshPolicy:
    """How the matrix refresh reads a framework from the package index (`family.refresh`; dlenv.matrix.refresh)."""

    release_projects: tuple[str, ...]
    """Index projects whose versions are the framework's releases; the first is the one companions pin."""
    python_projects: tuple[str, ...] = ()
    """Projects whose wheel tags give a release's Python list (empty: the lists are curated, never touched)."""
    build_projects: tuple[str, ...] = ()
    """Projects read for per-build facts only."""
    companions: tuple[str, ...] = ()
    """Projects pinning PRIMARY==X in Requires-Dist (torchvision: torch==X)."""
    default_build: str | None = None
    """The package whose default Linux x86_64 wheel pins its CUDA runtime: new releases get that build row."""
    series: bool = False
    """The matrix lists YY.MM release series: index versions 24.8.0 and 24.8.3 are release 24.08."""
    released_projects: tuple[str, ...] = ()
    """Projects whose first upload dates a release (default: release_projects)."""
    scope: RefreshScope = RefreshScope()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> RefreshPolicy | None:
        if not data:
            return None
        return cls(
            release_projects=_tuple(data, "release_projects"),
            python_projects=_tuple(data, "python_projects"),
            build_projects=_tuple(data, "build_projects"),
            companions=_tuple(data, "companions"),
            default_build=data.get("default_build"),
            series=bool(data.get("series", False)),
            released_projects=_tuple(data, "released_projects"),
            scope=RefreshScope.from_dict(data.get("scope")),
        )

    @property
    def primary(self) -> str:
        return self.release_projects[0]

    @property
    def dated_by(self) -> tuple[str, ...]:
        return self.released_projects or self.release_projects

    @property
    def build_package(self) -> str:
        """The package whose default Linux build row the refresh keeps up to date."""
        return self.default_build or self.primary


@record
class CudaLibraries:
    """Where a CUDA build's user-space libraries come from on a pip install."""

    source: str
    """'package': the plain package installs them; 'extra': the extra `extra` does."""
    extra: str | None = None


@record
class FrameworkFamily:
    """What holds for every build of a framework and decides how builds are judged and installed.

    The probe's part of the block (distributions, conda names, build files) is read by dlenv.matrix.families.
    """

    runtime_compiler: str = "none"
    """'build_cuda': GPU kernels are compiled at run time by the PTX compiler of the build's CUDA (XLA)."""
    build_selection: str = "package"
    """'local_tag': pip tells the builds apart by a local version tag named like the build (+cu121)."""
    local_tag_builds: str | None = None
    """An anchored pattern of the builds a local tag selects although the family selects by package."""
    cuda_libraries: CudaLibraries | None = None
    """None: no source says; the system is assumed to provide them."""
    index_serves_dependencies: bool = False
    """The builds' own index serves every dependency, so it can be pip's only index."""
    source: tuple[str, ...] = ()
    refresh: RefreshPolicy | None = None
    """How the matrix refresh reads the framework from the package index; None: it is not refreshed."""

    def selects_by_local_tag(self, build: str) -> bool:
        """Is `build` named by a PEP 440 local version tag, so a pin spells it ==VERSION+BUILD?"""
        if self.build_selection == "local_tag":
            return True
        return self.local_tag_builds is not None and re.match(self.local_tag_builds, build) is not None

    @property
    def cuda_from_package(self) -> bool:
        """Does the plain package install the CUDA libraries its builds need (nvidia-* pins or bundled)?"""
        return self.cuda_libraries is not None and self.cuda_libraries.source == "package"

    @property
    def cuda_extra(self) -> str | None:
        """The extra that installs the CUDA libraries, where that is how the family brings them."""
        libraries = self.cuda_libraries
        return libraries.extra if libraries is not None and libraries.source == "extra" else None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> FrameworkFamily:
        if not data:
            return cls()
        selection = data.get("build_selection") or {}
        libraries = data.get("cuda_libraries")
        return cls(
            runtime_compiler=data.get("runtime_compiler", "none"),
            build_selection=selection.get("by", "package"),
            local_tag_builds=selection.get("local_tag_builds"),
            cuda_libraries=CudaLibraries(libraries["from"], libraries.get("extra")) if libraries else None,
            index_serves_dependencies=bool(data.get("index_serves_dependencies", False)),
            source=_tuple(data, "source"),
            refresh=RefreshPolicy.from_dict(data.get("refresh")),
        )


@record
class Framework:
    """One framework family (a `subject`): its releases and every build of each release."""

    subject: str
    matrix_version: str | None
    releases: tuple[FrameworkRelease, ...]
    builds: tuple[FrameworkBuild, ...]
    notes: MatrixNotes = MatrixNotes()
    family: FrameworkFamily = FrameworkFamily()
    # Lookup tables, filled on first use; the dict is mutated, never reassigned, so the record stays frozen.
    _index: dict[str, Any] = field(default_factory=dict, compare=False, repr=False, hash=False)

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> Framework:
        return cls(
            subject=doc["subject"],
            matrix_version=doc.get("matrix_version"),
            releases=tuple(FrameworkRelease.from_dict(row) for row in doc.get("releases", ())),
            builds=tuple(FrameworkBuild.from_dict(row) for row in doc.get("builds", ())),
            notes=MatrixNotes.from_dict(doc.get("notes")),
            family=FrameworkFamily.from_dict(doc.get("family")),
        )

    def release(self, version: str) -> FrameworkRelease | None:
        """The release `version` ('2.4' finds '2.4.0'); None when the matrix does not list it."""
        table: dict[str, FrameworkRelease] = self._table(
            "releases", lambda: {version_key(r.version): r for r in self.releases}
        )
        return table.get(version_key(version))

    def builds_of(self, version: str) -> tuple[FrameworkBuild, ...]:
        """Every build of release `version`, in matrix order."""
        wanted = version_key(version)
        table: dict[str, tuple[FrameworkBuild, ...]] = self._table("builds", self._group_builds)
        return table.get(wanted, ())

    def build(self, version: str, build: str) -> FrameworkBuild | None:
        return next((candidate for candidate in self.builds_of(version) if candidate.build == build), None)

    @property
    def packages(self) -> frozenset[str]:
        """Normalised distribution names that install some build of this framework."""
        return frozenset(
            self._table("packages", lambda: frozenset(canonical_name(p) for b in self.builds for p in b.packages))
        )

    def newest_release(self, *, include_prereleases: bool = False) -> FrameworkRelease | None:
        candidates = [
            r for r in self.releases if not r.yanked and (include_prereleases or not _is_prerelease(r.version))
        ]
        return max(candidates, key=lambda r: sortable_version(r.version), default=None)

    def _group_builds(self) -> dict[str, tuple[FrameworkBuild, ...]]:
        grouped: dict[str, list[FrameworkBuild]] = {}
        for candidate in self.builds:
            grouped.setdefault(version_key(candidate.release), []).append(candidate)
        return {key: tuple(value) for key, value in grouped.items()}

    def _table(self, name: str, build: Any) -> Any:
        if name not in self._index:
            self._index[name] = build()
        return self._index[name]


def _is_prerelease(text: str) -> bool:
    parsed = parse_version(text)
    return parsed is not None and parsed.is_prerelease


class FrameworkTable(Mapping[str, Framework]):
    """subject -> Framework, each built from its document on first access (most commands touch one or two)."""

    __slots__ = ("_built", "_load", "_subjects")

    def __init__(self, subjects: Iterable[str], load: Callable[[str], Mapping[str, Any] | None]) -> None:
        self._subjects = tuple(subjects)
        self._load = load
        self._built: dict[str, Framework] = {}

    def __getitem__(self, subject: str) -> Framework:
        built = self._built.get(subject)
        if built is None:
            document = self._load(subject) if subject in self._subjects else None
            if document is None:
                raise KeyError(subject)
            built = self._built[subject] = Framework.from_document(document)
        return built

    def __iter__(self) -> Iterator[str]:
        return iter(self._subjects)

    def __len__(self) -> int:
        return len(self._subjects)

    def __repr__(self) -> str:
        return f"FrameworkTable({list(self._subjects)})"


@record(eq=False)  # compared and hashed by identity: usable as a cache key
class Matrix:
    """The whole matrix: shipped data with any overlay already layered on top.

    Each subject is parsed (when compiled as JSON text) and turned into records on first access: a command that
    needs the GPUs and one framework builds only those.
    """

    matrix_version: str | None
    origins: Mapping[str, str] = field(default_factory=dict)
    """subject -> where its rows came from ('shipped', or the overlay files that changed it)."""
    versions: Mapping[str, str] = field(default_factory=dict)
    """subject -> the matrix_version of its data."""
    packages: Mapping[str, str] | None = field(default=None, repr=False)
    """Normalised distribution name -> framework subject (precomputed by the compiler; else built when asked)."""
    family_table: Mapping[str, Mapping[str, Any]] | None = field(default=None, repr=False)
    """subject -> the family index entry (precomputed by the compiler; else built from the documents when asked)."""
    _documents: Mapping[str, Mapping[str, Any] | str] = field(default_factory=dict, repr=False)
    _index: dict[str, Any] = field(default_factory=dict, compare=False, repr=False, hash=False)

    @property
    def subjects(self) -> tuple[str, ...]:
        return tuple(sorted(self._documents))

    @property
    def cuda(self) -> CudaMatrix:
        built: CudaMatrix = self._table("cuda", lambda: CudaMatrix.from_document(self.document("cuda")))
        return built

    @property
    def gpus(self) -> GpuMatrix:
        built: GpuMatrix = self._table("gpus", lambda: GpuMatrix.from_document(self.document("gpus")))
        return built

    @property
    def frameworks(self) -> Mapping[str, Framework]:
        """subject -> Framework for pytorch, tensorflow, jax, cupy, rapids and in-house subjects."""
        from dlenv.matrix.schemas import FIXED_SUBJECTS

        subjects = [subject for subject in self.subjects if subject not in FIXED_SUBJECTS]
        built: FrameworkTable = self._table("frameworks", lambda: FrameworkTable(subjects, self.document))
        return built

    @property
    def images(self) -> tuple[Image, ...]:
        def build() -> tuple[Image, ...]:
            document = self.document("images") or {}
            values = require_cuda_table(document)
            return tuple(Image.from_dict(row, values) for row in document.get("images", ()))

        built: tuple[Image, ...] = self._table("images", build)
        return built

    @property
    def distribution_pythons(self) -> Mapping[str, tuple[str, ...]]:
        """An image os (ubuntu22.04) -> the Python minors its distribution's own archive installs."""

        def build() -> dict[str, tuple[str, ...]]:
            rows = (self.document("images") or {}).get("distributions", ())
            return {str(row["os"]): tuple(row["python"]) for row in rows}

        table: Mapping[str, tuple[str, ...]] = self._table("distribution_pythons", build)
        return table

    @property
    def families(self) -> FamilyIndex:
        """Which distributions and conda packages are which framework (the family blocks), without the records."""
        from dlenv.matrix.families import FamilyIndex, family_table

        def build() -> FamilyIndex:
            table = self.family_table
            if table is None:
                table = family_table({subject: self.document(subject) or {} for subject in self.frameworks})
            return FamilyIndex(table)

        built: FamilyIndex = self._table("families", build)
        return built

    def document(self, subject: str) -> Mapping[str, Any] | None:
        """The raw document of `subject` (the YAML file's structure), parsed on first use."""
        raw = self._documents.get(subject)
        if isinstance(raw, str):
            import json

            parsed: Mapping[str, Any] = self._table(f"document:{subject}", lambda: json.loads(raw))
            return parsed
        return raw

    def framework(self, subject: str) -> Framework | None:
        return self.frameworks.get(subject)

    def find_gpu(self, name: str) -> GpuProduct | None:
        """A product by name or alias, ignoring case, spaces and a leading 'NVIDIA ' / 'GeForce '."""
        table: dict[str, GpuProduct] = self._table("gpu-names", self._gpu_table)
        return table.get(normalize_gpu_name(name))

    def gpus_named(self, name: str) -> tuple[GpuProduct, ...]:
        """Every product a name or alias can mean (an alias such as 'H100' is shared by several)."""
        table: dict[str, tuple[GpuProduct, ...]] = self._table("gpu-all-names", self._all_names_table)
        return table.get(normalize_gpu_name(name), ())

    def product_first_driver_branch(self, name: str) -> int | None:
        """The first driver branch whose supported-GPU list names the product `name` means, where that is later
        than its architecture's; for a name several products share, the earliest (None if one needs none)."""
        branches = [p.first_driver_branch for p in self.gpus_named(name)]
        if not branches or None in branches:
            return None
        return min(int(branch) for branch in branches if branch)

    def architecture_of(self, compute_capability: str) -> Architecture | None:
        """The architecture that lists `compute_capability` ('9.0a' is looked up as '9.0')."""
        wanted = parse_compute_capability(compute_capability)
        return next((a for a in self.gpus.architectures if wanted in a.compute_capabilities), None)

    def architecture(self, name: str) -> Architecture | None:
        return next((a for a in self.gpus.architectures if a.name.lower() == name.strip().lower()), None)

    def toolkit(self, version: str) -> CudaToolkit | None:
        """The toolkit row `version` ('12.4.1'); for 'MAJOR.MINOR' the newest patch release of that minor."""
        wanted = version.strip()
        exact = next((t for t in self.cuda.toolkits if t.version == wanted), None)
        if exact is not None or wanted.count(".") != 1:
            return exact
        same_minor = [t for t in self.cuda.toolkits if t.major_minor == wanted]
        return max(same_minor, key=lambda t: sortable_version(t.version), default=None)

    def cuda_major(self, major: int) -> CudaMajor | None:
        return next((m for m in self.cuda.majors if m.major == major), None)

    def framework_for_package(self, dist_name: str) -> Framework | None:
        """The framework whose builds install distribution `dist_name` (PEP 503 normalised)."""
        index: Mapping[str, str] | None = self.packages
        if index is None:
            index = self._table("packages", self.package_index)
        subject = index.get(canonical_name(dist_name))
        return self.frameworks.get(subject) if subject is not None else None

    def companion_owner(self, name: str) -> str | None:
        """The framework subject whose releases record `name` as a companion (torchvision -> pytorch), if any."""

        def build() -> dict[str, str]:
            owners: dict[str, str] = {}
            for subject, framework in self.frameworks.items():
                for release in framework.releases:
                    for companion in release.companions:
                        owners.setdefault(canonical_name(companion), subject)
            return owners

        owners: dict[str, str] = self._table("companion_owners", build)
        return owners.get(canonical_name(name))

    def package_index(self) -> dict[str, str]:
        """Normalised distribution name -> framework subject (validation keeps each name to one subject)."""
        index: dict[str, str] = {}
        for subject, framework in self.frameworks.items():
            for package in sorted(framework.packages):
                index.setdefault(package, subject)
        return index

    def image(self, reference: str) -> Image | None:
        return next((i for i in self.images if i.reference == reference.strip()), None)

    def _gpu_table(self) -> dict[str, GpuProduct]:
        table: dict[str, GpuProduct] = {}
        for product in self.gpus.gpus:
            for name in (product.name, *product.aliases):
                table.setdefault(normalize_gpu_name(name), product)  # the first product listed wins
        return table

    def _all_names_table(self) -> dict[str, tuple[GpuProduct, ...]]:
        table: dict[str, list[GpuProduct]] = {}
        for product in self.gpus.gpus:
            for name in dict.fromkeys(normalize_gpu_name(n) for n in (product.name, *product.aliases)):
                table.setdefault(name, []).append(product)
        return {name: tuple(products) for name, products in table.items()}

    def _table(self, name: str, build: Any) -> Any:
        if name not in self._index:
            self._index[name] = build()
        return self._index[name]

    @classmethod
    def from_documents(
        cls,
        documents: Mapping[str, Mapping[str, Any] | str],
        origins: Mapping[str, str] | None = None,
        versions: Mapping[str, str] | None = None,
        packages: Mapping[str, str] | None = None,
        families: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> Matrix:
        """subject -> document (the YAML files' structure, or its JSON text) -> Matrix; nothing is built yet.

        `versions` (subject -> matrix_version) must be given when documents are JSON text; `packages` spares
        framework_for_package() building every framework, `families` (the family index) parsing their documents.
        """
        if versions is None:
            versions = {
                subject: str(doc["matrix_version"])
                for subject, doc in documents.items()
                if not isinstance(doc, str) and doc.get("matrix_version")
            }
        return cls(
            matrix_version=max(versions.values(), default=None),
            origins=dict(origins or {}),
            versions=dict(versions),
            packages=packages,
            family_table=families,
            # A plain dict is copied; a lazy mapping (the compiled file's SubjectTexts) is kept, to stay lazy.
            _documents=dict(documents) if isinstance(documents, dict) else documents,
        )
