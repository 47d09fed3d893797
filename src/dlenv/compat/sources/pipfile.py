"""requirements.txt as pip reads it, through pip-requirements-parser (pip's own req_file code, packaged on its own):
continuation lines, comments, per-line --hash, markers, editables, direct URLs and VCS references, and the options
that change what is installed (--index-url, --extra-index-url, --find-links). -r/-c are followed here, in every
spelling pip accepts, relative to the file that names them, with loops refused."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.requirements import InvalidRequirement, Requirement

from dlenv.compat.sources.model import SkippedLine, Source, first_line, from_requirement
from dlenv.errors import InputError

if TYPE_CHECKING:
    from dlenv.compat.sources.model import RequirementInput


def _reuse_line_parser() -> None:
    """pip-requirements-parser builds a new optparse parser for every line (0.4 ms each: a 10,000-line file took
    4 s) because append-type options would accumulate in the parser's shared default lists. One parser whose
    default values get fresh lists serves every line the same (optparse makes new Values each call, sharing only
    the default lists; a deep copy of them cost 0.09 ms a line)."""
    import functools

    import pip_requirements_parser

    if getattr(pip_requirements_parser.build_parser, "dlenv_reused", False):
        return
    build = pip_requirements_parser.build_parser

    @functools.cache
    def build_once() -> Any:
        parser = build()
        defaults = parser.get_default_values

        def fresh_defaults() -> Any:
            values = defaults()
            for name, value in vars(values).items():
                if isinstance(value, list):
                    setattr(values, name, list(value))
            return values

        parser.get_default_values = fresh_defaults
        return parser

    build_once.dlenv_reused = True  # type: ignore[attr-defined]
    pip_requirements_parser.build_parser = build_once


def read_requirements_file(path: Path, *, constraint: bool = False, chain: tuple[Path, ...] = ()) -> Source:
    """Every requirement and constraint `path` and the files it includes ask for."""
    from pip_requirements_parser import InstallationError, RequirementsFile

    _reuse_line_parser()

    resolved = path.resolve()
    if resolved in chain:
        loop = " -> ".join(str(p) for p in (*chain, resolved))
        raise InputError(
            f"requirement files include each other: {loop}",
            path=path,
            fix="remove the -r/-c line that closes the loop",
        )
    if not path.is_file():
        where = f"included from {chain[-1]}" if chain else None
        raise InputError("cannot read: no such file", path=path, where=where, fix="pass an existing file")
    try:
        parsed = RequirementsFile.from_file(str(path), include_nested=False)
    except (InstallationError, OSError, UnicodeDecodeError) as error:
        raise InputError(
            f"cannot read: {first_line(error)}", path=path, fix="pass a readable requirements file"
        ) from None
    if parsed.invalid_lines:
        bad = parsed.invalid_lines[0]
        raise InputError(
            f"not a valid requirement {bad.line.strip()!r}: {_reason(bad.error_message)}",
            path=path,
            where=f"line {bad.line_number}",
            fix="write it as PEP 508, e.g. torch==2.4.1 (pip's options as in `pip install -r`)",
        )
    source = Source(())
    requirements: list[RequirementInput] = []
    constraints: list[RequirementInput] = []
    skipped: list[SkippedLine] = []
    for option in parsed.options:
        values: dict[str, Any] = option.options
        for nested in values.get("requirements", ()):
            source = source.merged(read_requirements_file(_near(path, nested), chain=(*chain, resolved)))
        for nested in values.get("constraints", ()):
            source = source.merged(
                read_requirements_file(_near(path, nested), constraint=True, chain=(*chain, resolved))
            )
        if values.get("index_url"):
            source = source.merged(Source((), index_url=values["index_url"]))
        extra = tuple(values.get("extra_index_urls", ())) + tuple(values.get("find_links", ()))
        if extra:
            source = source.merged(Source((), extra_index_urls=extra))
    for line in parsed.requirements:
        origin = f"{path}:{line.line_number}"
        # as written, less the per-line options (--hash) that do not change what is judged
        text = " ".join(line.line.split()).split(" --hash", 1)[0] if line.line else ""
        read = _requirement(line, text, origin, path)
        if read is None:
            skipped.append(SkippedLine(origin, text, "names no package (a local project or URL without #egg=name)"))
        elif constraint or line.is_constraint:
            constraints.append(read)
        else:
            requirements.append(read)
    here = Source(tuple(requirements), tuple(constraints), tuple(skipped))
    return source.merged(here)


def _near(path: Path, nested: str) -> Path:
    candidate = Path(nested)
    return candidate if candidate.is_absolute() else path.parent / candidate


def _reason(message: str) -> str:
    lines = [part for part in message.replace("|n", "\n").splitlines() if part.strip()]
    return lines[0].removeprefix("Invalid requirement: ").lstrip(": ") if lines else "not a requirement"


@functools.lru_cache(maxsize=4096)
def _parsed(pep508: str) -> Requirement:
    """A requirement parsed once however many lines spell it (a 10,000-line file repeats a few dozen); never
    mutated by dlenv, so one object can serve every line."""
    return Requirement(pep508)


def _requirement(line: Any, text: str, origin: str, path: Path) -> RequirementInput | None:
    """The line as one PEP 508 requirement (name @ url for direct references), or None when it names no package."""
    from dlenv.records import replace

    name = line.name
    if not name:
        return None
    extras = f"[{','.join(sorted(line.extras))}]" if line.extras else ""
    marker = f" ; {line.marker}" if line.marker else ""  # PEP 508 needs the space after a URL
    link = line.link.url if line.link is not None else None
    pep508 = f"{name}{extras} @ {link}{marker}" if link else f"{name}{extras}{line.specifier or ''}{marker}"
    try:
        requirement = _parsed(pep508)
    except InvalidRequirement as error:
        if link is None:
            raise InputError(
                f"not a valid requirement {text!r}: {first_line(error)}",
                path=path,
                where=f"line {origin.rsplit(':', 1)[-1]}",
                fix="write it as PEP 508, e.g. torch==2.4.1",
            ) from None
        # a relative path or VCS reference packaging does not accept as a URL: judged by name only
        requirement = Requirement(f"{name}{extras}{marker}")
        return replace(from_requirement(requirement, text, origin), url=link, editable=bool(line.is_editable))
    return replace(from_requirement(requirement, text, origin), editable=bool(line.is_editable))
