"""One requirement as read, with what decides the build it installs: the indexes it comes from, a direct URL's wheel
tags, the CUDA an environment pins."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import InvalidWheelFilename, parse_wheel_filename

from dlenv.errors import InputError
from dlenv.records import field, record, replace

if TYPE_CHECKING:
    from pathlib import Path

    from packaging.tags import Tag


@record
class RequirementInput:
    text: str
    """As the user wrote it."""
    origin: str
    requirement: Requirement
    """What the engine judges: for a direct wheel URL, `name==version` read from the wheel's file name."""
    url: str | None = None
    """A direct reference (wheel, sdist, VCS or local path), as written."""
    wheel_tags: frozenset[Tag] | None = None
    """The tags of a direct wheel URL's file name."""
    index_url: str | None = None
    """The index that replaces the default one for this line (--index-url, a uv source index), if any."""
    extra_index_urls: tuple[str, ...] = ()
    """Indexes searched beside the primary one (--extra-index-url, --find-links)."""
    index_choices: tuple[tuple[str, str], ...] = ()
    """(index URL, marker) pairs of a per-platform uv source: the first whose marker holds for the target applies."""
    cuda: str | None = None
    """A PEP 440 specifier on the CUDA version of the build (conda's cuda-version / pytorch-cuda), if one is pinned."""
    accelerator: str | None = None
    """'cuda' or 'cpu' where a conda build string names one."""
    editable: bool = False
    conda: bool = False
    """A conda package (environment.yml, pixi): conda installs it, so pip's resolver cannot speak for it."""
    notes: tuple[str, ...] = field(default=(), compare=False)
    """How the line was read (resolved by uv, narrowed by a constraint), for --verbose."""

    @property
    def name(self) -> str:
        return self.requirement.name

    @property
    def exact_version(self) -> str | None:
        """The version of a single `==V` pin (with its local tag), else None."""
        specifiers = list(self.requirement.specifier)
        if len(specifiers) == 1 and specifiers[0].operator in ("==", "===") and "*" not in specifiers[0].version:
            return specifiers[0].version
        return None

    @property
    def is_range(self) -> bool:
        """Unpinned or a range: what gets installed is the resolver's choice, not the line's."""
        return self.url is None and self.exact_version is None

    def with_note(self, note: str) -> RequirementInput:
        return replace(self, notes=(*self.notes, note))


def first_line(error: Exception) -> str:
    return str(error).splitlines()[0] if str(error) else type(error).__name__


def requirement_error(text: str, error: Exception, where: str, path: Path | None = None) -> InputError:
    return InputError(
        f"not a valid requirement {text!r}: {first_line(error)}",
        path=path,
        where=where,
        fix="write it as PEP 508, e.g. torch==2.4.1+cu121 or 'torch>=2.3,<2.6'",
    )


def wheel_file_name(url: str) -> str | None:
    """The file name of a wheel URL (percent-decoded: %2B is the '+' of a local tag), else None."""
    path = unquote(urlsplit(url).path)
    name = path.rsplit("/", 1)[-1]
    return name if name.endswith(".whl") else None


def from_requirement(requirement: Requirement, text: str, origin: str) -> RequirementInput:
    """A RequirementInput whose direct wheel URL, if any, is judged as the pin its file name states."""
    url = requirement.url
    if url is None:
        return RequirementInput(text, origin, requirement)
    file_name = wheel_file_name(url)
    if file_name is None:
        return RequirementInput(text, origin, requirement, url=url)
    try:
        name, version, _build, tags = parse_wheel_filename(file_name)
    except InvalidWheelFilename as error:
        raise InputError(
            f"not a valid wheel file name {file_name!r}: {first_line(error)}",
            where=origin,
            fix="point at a wheel named name-version-python-abi-platform.whl",
        ) from None
    extras = f"[{','.join(sorted(requirement.extras))}]" if requirement.extras else ""
    marker = f"; {requirement.marker}" if requirement.marker else ""
    pinned = Requirement(f"{name}{extras}=={version}{marker}")
    return RequirementInput(text, origin, pinned, url=url, wheel_tags=frozenset(tags))


def parse_requirement(text: str, origin: str) -> RequirementInput:
    stripped = text.strip()
    try:
        requirement = Requirement(stripped)
    except InvalidRequirement as error:
        raise requirement_error(stripped, error, where=origin) from None
    return from_requirement(requirement, stripped, origin)


@record
class SkippedLine:
    """A line read but not judged, and why (a marker false for the target, a local project with no name)."""

    origin: str
    text: str
    why: str


@record
class Source:
    """What one input file asks the installer for, before the target is known."""

    requirements: tuple[RequirementInput, ...]
    constraints: tuple[RequirementInput, ...] = ()
    skipped: tuple[SkippedLine, ...] = ()
    index_url: str | None = None
    extra_index_urls: tuple[str, ...] = ()

    def merged(self, other: Source) -> Source:
        return Source(
            self.requirements + other.requirements,
            self.constraints + other.constraints,
            self.skipped + other.skipped,
            other.index_url or self.index_url,
            tuple(dict.fromkeys(self.extra_index_urls + other.extra_index_urls)),
        )

    def inputs(self) -> list[RequirementInput]:
        """The requirements with the file's indexes and constraints applied: what pip would be asked to install."""
        from dlenv.compat.sources.target import apply_constraints

        found = []
        for requirement in self.requirements:
            indexed = requirement
            if requirement.index_url is None and self.index_url is not None:
                indexed = replace(requirement, index_url=self.index_url)
            extra = tuple(dict.fromkeys(indexed.extra_index_urls + self.extra_index_urls))
            found.append(replace(indexed, extra_index_urls=extra))
        return apply_constraints(found, self.constraints)
