"""The target's dependency closure, read from pip's report with the target's environment markers.

pip resolves with `--python-version`/`--platform` but evaluates every dependency's environment marker for the
interpreter it runs on (pypa/pip#11198; pip's report says so in its "environment" field). A lock for Python 3.12
made from Python 3.11 would then miss `setuptools; python_version >= "3.12"` and keep 3.11-only backports. pip still
chooses every version; this module only re-reads each chosen package's Requires-Dist for the target: what the target
needs but pip skipped goes back to pip as a requirement, and what only the running interpreter needed is left out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from packaging.markers import InvalidMarker, UndefinedComparison, UndefinedEnvironmentName
from packaging.requirements import InvalidRequirement, Requirement

from dlenv.errors import ProblemsError
from dlenv.records import record
from dlenv.versions import canonical_name

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from dlenv.provision.stack import Stack

_SYSTEMS = {
    "linux": ("linux", "Linux", "posix"),
    "macos": ("darwin", "Darwin", "posix"),
    "windows": ("win32", "Windows", "nt"),
}
"""dlenv's OS name -> sys.platform, platform.system(), os.name."""


def marker_environment(stack: Stack) -> dict[str, str]:
    """PEP 508 marker values of the target interpreter (patch level unknown: X.Y.0)."""
    sys_platform, platform_system, os_name = _SYSTEMS.get(stack.system, (stack.system, stack.system, "posix"))
    machine = {"aarch64": "arm64" if stack.system == "macos" else "aarch64"}.get(stack.arch, stack.arch)
    if stack.system == "windows" and machine == "x86_64":
        machine = "AMD64"
    full = f"{stack.python}.0"
    return {
        "implementation_name": "cpython",
        "implementation_version": full,
        "os_name": os_name,
        "platform_machine": machine,
        "platform_python_implementation": "CPython",
        "platform_release": "",
        "platform_system": platform_system,
        "platform_version": "",
        "python_full_version": full,
        "python_version": stack.python,
        "sys_platform": sys_platform,
    }


@record
class TargetClosure:
    needed: frozenset[str]
    """Canonical names of the reported packages the target installs."""
    missing: tuple[str, ...]
    """Requirements (markers dropped) the target needs that the report does not satisfy."""


def _active(requirement: Requirement, environment: Mapping[str, str], extras: Iterable[str]) -> bool:
    if requirement.marker is None:
        return True
    try:
        return any(requirement.marker.evaluate({**environment, "extra": extra}) for extra in ("", *extras))
    except (InvalidMarker, UndefinedComparison, UndefinedEnvironmentName) as error:
        raise ProblemsError(f"cannot evaluate the marker of {requirement} for the target: {error}") from None


def target_closure(
    report: Mapping[str, Any], roots: Iterable[tuple[str, tuple[str, ...]]], environment: Mapping[str, str]
) -> TargetClosure:
    """Walk Requires-Dist from `roots` ((name, extras) of the stack's pins) with the target's marker values."""
    items = {canonical_name(str(i.get("metadata", {}).get("name", ""))): i for i in report.get("install", [])}
    needed: set[str] = set()
    missing: dict[str, None] = {}
    seen: set[tuple[str, tuple[str, ...]]] = set()
    queue = [(canonical_name(name), tuple(sorted(extras))) for name, extras in roots]
    while queue:
        name, extras = queue.pop()
        if (name, extras) in seen:
            continue
        seen.add((name, extras))
        item = items.get(name)
        if item is None:
            continue  # a root pip did not report is pip's own error, raised before this
        needed.add(name)
        for text in item.get("metadata", {}).get("requires_dist", []) or []:
            try:
                requirement = Requirement(str(text))
            except InvalidRequirement as error:
                raise ProblemsError(
                    f"{name} declares a dependency pip reports but dlenv cannot read: {error}"
                ) from None
            if not _active(requirement, environment, extras):
                continue
            dependency = canonical_name(requirement.name)
            chosen = items.get(dependency)
            version = str(chosen.get("metadata", {}).get("version", "")) if chosen else None
            if version is None or not requirement.specifier.contains(version, prereleases=True):
                requirement.marker = None
                missing[str(requirement)] = None
                continue
            queue.append((dependency, tuple(sorted(requirement.extras))))
    return TargetClosure(frozenset(needed), tuple(missing))
