"""pyproject.toml: [project] dependencies and optional-dependencies, PEP 735 [dependency-groups] (packaging's
dependency_groups where the installed packaging has it, else the dependency-groups package, both the reference
implementation), [tool.uv] sources and indexes (the usual way to take torch from a PyTorch index), and Poetry's
dependencies, groups and sources."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import InvalidVersion, Version

from dlenv.compat.sources.conda import _load_toml
from dlenv.compat.sources.model import RequirementInput, Source, from_requirement, requirement_error
from dlenv.errors import InputError
from dlenv.records import replace
from dlenv.versions import canonical_name

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from pathlib import Path


def _resolver() -> Callable[..., tuple[str, ...]]:
    try:
        from packaging.dependency_groups import resolve_dependency_groups as resolve
    except ImportError:  # packaging before 26.1
        from dependency_groups import resolve  # type: ignore[no-redef, unused-ignore]
    return resolve


def _parse(text: str, where: str, path: Path) -> RequirementInput:
    try:
        requirement = Requirement(text.strip())
    except InvalidRequirement as error:
        raise requirement_error(text.strip(), error, where=where, path=path) from None
    return from_requirement(requirement, text.strip(), f"{path}:{where}")


def read_pyproject(path: Path) -> Source:
    document = _load_toml(path)
    project = document.get("project", {})
    entries = [("project.dependencies", text) for text in project.get("dependencies", [])]
    for group, texts in sorted(project.get("optional-dependencies", {}).items()):
        entries += [(f"project.optional-dependencies.{group}", text) for text in texts]
    groups = document.get("dependency-groups", {})
    if groups:
        resolve = _resolver()
        for group in sorted(groups):
            try:
                texts = resolve(groups, group)
            except (ValueError, TypeError, LookupError) as error:
                raise InputError(
                    f"dependency group {group!r} cannot be read: {error}",
                    path=path,
                    where=f"dependency-groups.{group}",
                    fix="list PEP 508 strings and {include-group = NAME} tables (PEP 735)",
                ) from None
            entries += [(f"dependency-groups.{group}", text) for text in texts]
    found = [_parse(text, where, path) for where, text in entries]
    found += _poetry(document.get("tool", {}).get("poetry", {}), path)
    uv = document.get("tool", {}).get("uv", {})
    return _with_uv_sources(Source(tuple(found)), uv, path)


def _with_uv_sources(source: Source, uv: Mapping[str, Any], path: Path) -> Source:
    """uv's indexes: a source `{ index = NAME }` takes the package from that index only; an index marked default
    replaces the default index; other indexes are searched after it (uv's first-index strategy)."""
    indexes: dict[str, Any] = {str(i.get("name")): i for i in uv.get("index", []) if isinstance(i, dict)}
    default = next((index["url"] for index in indexes.values() if index.get("default") and "url" in index), None)
    default = default or uv.get("index-url")
    extra = [
        index["url"]
        for index in indexes.values()
        if "url" in index and not index.get("default") and not index.get("explicit")
    ]
    extra += list(uv.get("extra-index-url", []))
    sources = {canonical_name(name): value for name, value in uv.get("sources", {}).items()}
    requirements = []
    for requirement in source.requirements:
        entry = sources.get(canonical_name(requirement.name))
        sourced = requirement
        for choice in entry if isinstance(entry, list) else [entry] if entry else []:
            sourced = _uv_source(sourced, choice, indexes, path)
        requirements.append(sourced)
    return Source(tuple(requirements), index_url=default, extra_index_urls=tuple(extra))


def _uv_source(
    requirement: RequirementInput, choice: Mapping[str, Any], indexes: Mapping[str, Any], path: Path
) -> RequirementInput:
    marker = choice.get("marker")
    # a source for one extra or dependency group applies to the lines of that extra or group only
    scope = (
        f"project.optional-dependencies.{choice['extra']}"
        if "extra" in choice
        else f"dependency-groups.{choice['group']}"
        if "group" in choice
        else None
    )
    if scope is not None and not requirement.origin.endswith(f":{scope}"):
        return requirement
    note = f"uv source {dict(choice)}" + (f" (where {marker})" if marker else "")
    if "index" in choice:
        index = indexes.get(choice["index"])
        if index is None or "url" not in index:
            raise InputError(
                f"uv source of {requirement.name} names the index {choice['index']!r}, which no [[tool.uv.index]] "
                "defines",
                path=path,
                where=f"tool.uv.sources.{requirement.name}",
                fix="add a [[tool.uv.index]] with that name and its url",
            )
        if marker:
            # a per-platform source (torch from cu124 on Linux, from cpu elsewhere): chosen for the target later
            choices = (*requirement.index_choices, (index["url"], str(marker)))
            return replace(requirement, index_choices=choices).with_note(note)
        return replace(requirement, index_url=index["url"]).with_note(note)
    url = choice.get("url") or (f"git+{choice['git']}" if "git" in choice else None)
    if url:
        return replace(requirement, url=url).with_note(note)
    if "path" in choice:
        return replace(requirement, url=str(choice["path"])).with_note(note)
    return requirement


def _bounds(text: str, caret: bool) -> list[str]:
    """^1.2.3 -> >=1.2.3,<2; ^0.2 -> >=0.2,<0.3; ~1.2 -> >=1.2,<1.3; ~1 -> >=1,<2 (Poetry's rules)."""
    version = Version(text)
    numbers = list(version.release)
    if caret:
        bump = next((i for i, n in enumerate(numbers) if n != 0), len(numbers) - 1)
    else:
        bump = 0 if len(numbers) == 1 else 1
    upper = [*numbers[:bump], numbers[bump] + 1]
    return [f">={text}", f"<{'.'.join(map(str, upper))}"]


def poetry_constraint(text: str) -> str:
    """Poetry's ^1.2 / ~1.2 / 1.2.3 / * (and PEP 440 operators) as a PEP 440 specifier."""
    parts = []
    for raw in text.split(","):
        term = raw.strip()
        if term in ("", "*"):
            continue
        try:
            if term.startswith("^"):
                parts += _bounds(term[1:].strip(), caret=True)
                continue
            if term.startswith("~") and not term.startswith("~="):
                parts += _bounds(term[1:].strip(), caret=False)
                continue
        except InvalidVersion:
            pass
        parts.append(f"=={term}" if term[0].isdigit() else term.replace(" ", ""))
    return ",".join(parts)


def _poetry(poetry: Mapping[str, Any], path: Path) -> list[RequirementInput]:
    tables = [("tool.poetry.dependencies", poetry.get("dependencies", {}))]
    tables += [
        (f"tool.poetry.group.{name}.dependencies", group.get("dependencies", {}))
        for name, group in sorted(poetry.get("group", {}).items())
        if isinstance(group, dict)
    ]
    tables += [("tool.poetry.dev-dependencies", poetry.get("dev-dependencies", {}))]
    sources: dict[str, Any] = {
        str(s.get("name")): s.get("url") for s in poetry.get("source", []) if isinstance(s, dict)
    }
    found = []
    for where, table in tables:
        for name, value in table.items():
            if name.lower() == "python":
                continue
            for entry in value if isinstance(value, list) else [value]:
                found.append(_poetry_entry(name, entry, f"{where}.{name}", sources, path))
    return found


def _poetry_entry(name: str, value: Any, where: str, sources: Mapping[str, Any], path: Path) -> RequirementInput:
    if isinstance(value, str):
        return _parse(f"{name}{poetry_constraint(value)}", where, path)
    if not isinstance(value, dict):
        raise InputError(f"{name}: not a Poetry dependency", path=path, where=where, fix="write a version or a table")
    extras = f"[{','.join(value['extras'])}]" if value.get("extras") else ""
    markers = []
    if value.get("markers"):
        markers.append(f"({value['markers']})")
    if value.get("python"):
        markers += [f"python_version {term}" for term in _python_terms(str(value["python"]))]
    marker = f"; {' and '.join(markers)}" if markers else ""
    if value.get("url"):
        # a direct URL: a wheel's file name states the build it is
        return _parse(f"{name}{extras} @ {value['url']}{' ' + marker if marker else ''}", where, path)
    url = f"git+{value['git']}" if "git" in value else value.get("path")
    if url:
        read = _parse(f"{name}{extras}{marker}", where, path)
        return replace(read, url=str(url))
    read = _parse(f"{name}{extras}{poetry_constraint(str(value.get('version', '*')))}{marker}", where, path)
    source = value.get("source")
    if source and sources.get(source):
        return replace(read, index_url=sources[source]).with_note(f"Poetry source {source}")
    return read


def _python_terms(text: str) -> Sequence[str]:
    spec = poetry_constraint(text)
    return [f"{term[:2] if term[1] in '=<>' else term[0]} '{term.lstrip('=<>!~')}'" for term in spec.split(",") if term]
