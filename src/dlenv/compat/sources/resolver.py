"""What the installer picks for ranges and unpinned names, on the target: uv's `pip compile` run for the target's
Python and platform, with the user's pip index settings and the input's own indexes.

uv is the anchor because it resolves for another Python and platform faithfully (`--python-version`,
`--python-platform` apply to Requires-Python and to every marker); it is found as the binary of the `uv` package,
else on PATH. `--index-strategy unsafe-best-match` is pip's rule for several indexes (the best version anywhere,
so +cu118 from an extra index beats the default index's untagged release)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from typing import TYPE_CHECKING

from packaging.requirements import InvalidRequirement, Requirement

from dlenv.records import record
from dlenv.versions import canonical_name

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from dlenv.compat.sources.model import RequirementInput
    from dlenv.host.model import HostFacts
    from dlenv.index.config import IndexConfig

RESOLVE_TIMEOUT_S = 180
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==(\S+)")


def find_uv() -> str | None:
    """The uv binary of the installed `uv` package, else uv on PATH, else None."""
    try:
        from uv import find_uv_bin
    except ImportError:
        return shutil.which("uv")
    try:
        return str(find_uv_bin())
    except FileNotFoundError:
        return shutil.which("uv")


def uv_platform(host: HostFacts) -> str | None:
    """uv's --python-platform for the target; None where uv names none."""
    system, arch = host.platform.system, host.platform.arch
    if system == "linux" and arch in ("x86_64", "aarch64"):
        glibc = host.platform.glibc
        minor = int(glibc.split(".")[1]) if glibc and glibc.count(".") >= 1 and glibc.split(".")[1].isdigit() else 28
        return f"{arch}-manylinux_2_{max(17, min(minor, 40))}"
    if system == "windows" and arch == "x86_64":
        return "x86_64-pc-windows-msvc"
    if system == "macos":
        return "aarch64-apple-darwin" if arch in ("aarch64", "arm64") else "x86_64-apple-darwin"
    return None


@record
class Resolution:
    """uv's answer: the pins it chose (canonical name -> version), or why there is none."""

    resolver: str
    pins: Mapping[str, str]
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def requirement_line(requirement: RequirementInput) -> str:
    """The line as uv should read it: the pin or range, or `name @ url` for a direct reference."""
    if requirement.url is not None:
        extras = f"[{','.join(sorted(requirement.requirement.extras))}]" if requirement.requirement.extras else ""
        return f"{requirement.name}{extras} @ {requirement.url}"
    plain = Requirement(str(requirement.requirement))
    plain.marker = None  # already evaluated for the target
    return str(plain)


def resolve_for_target(
    requirements: Sequence[RequirementInput],
    host: HostFacts,
    index: IndexConfig,
    *,
    uv: str | None = None,
    environ: Mapping[str, str] | None = None,
    timeout: float = RESOLVE_TIMEOUT_S,
) -> Resolution:
    binary = uv or find_uv()
    if binary is None:
        return Resolution("uv", {}, "uv is not installed (pip install uv)")
    python = host.platform.python_version
    platform = uv_platform(host)
    if not python or platform is None:
        return Resolution("uv", {}, "the target's Python or platform is not known (pass --python, --os, --arch)")
    indexes = [r.index_url for r in requirements if r.index_url] + [u for r in requirements for u in r.extra_index_urls]
    extra = list(dict.fromkeys([*index.extra_index_urls, *indexes]))
    command = [
        binary,
        "pip",
        "compile",
        "-",
        "--no-config",
        "--no-header",
        "--no-annotate",
        "--quiet",
        "--python-version",
        ".".join(python.split(".")[:2]),
        "--python-platform",
        platform,
        "--index-url",
        index.index_url,
        "--index-strategy",
        "unsafe-best-match",
    ]
    for url in extra:
        command += ["--extra-index-url", url]
    lines = "\n".join(requirement_line(r) for r in requirements) + "\n"
    env = dict(os.environ if environ is None else environ)
    env.pop("UV_INDEX_URL", None)
    env.pop("UV_EXTRA_INDEX_URL", None)
    version = _uv_version(binary)
    try:
        done = subprocess.run(
            command, input=lines, capture_output=True, text=True, timeout=timeout, env=env, check=False
        )
    except subprocess.TimeoutExpired:
        return Resolution(version, {}, f"uv did not answer within {timeout:.0f} s")
    except OSError as error:
        return Resolution(version, {}, f"uv could not be run: {error}")
    if done.returncode != 0:
        return Resolution(version, {}, _problem(done.stderr))
    return Resolution(version, parse_pins(done.stdout))


def parse_pins(text: str) -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in text.splitlines():
        match = _PIN.match(line.strip())
        if match:
            pins[canonical_name(match.group(1))] = match.group(2)
    return pins


def _problem(stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    useful = [line for line in lines if not line.startswith(("Using ", "Resolved "))]
    text = " ".join(useful[:4]) if useful else "uv failed"
    return text if len(text) <= 400 else text[:397] + "..."


def _uv_version(binary: str) -> str:
    try:
        done = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "uv"
    return " ".join(done.stdout.split()[:2]) or "uv"


def apply_resolution(
    requirements: Sequence[RequirementInput], resolution: Resolution, judged: set[str]
) -> list[RequirementInput]:
    """Ranges and unpinned names replaced by the pin uv chose, and the packages in `judged` (canonical names the
    matrix can judge) that the input pulls in without naming them, added."""
    from dlenv.compat.sources.model import RequirementInput as Input
    from dlenv.records import replace

    found = []
    named = set()
    for requirement in requirements:
        name: str = canonical_name(requirement.name)
        named.add(name)
        pin = resolution.pins.get(name)
        if pin is None or not requirement.is_range:
            found.append(requirement)
            continue
        resolved = Requirement(str(requirement.requirement))
        try:
            resolved.specifier = Requirement(f"x=={pin}").specifier
        except InvalidRequirement:
            found.append(requirement)
            continue
        resolved.marker = None
        found.append(
            replace(requirement, requirement=resolved).with_note(f"resolved by {resolution.resolver} to {pin}")
        )
    for name, pin in sorted(resolution.pins.items()):
        if name in judged and name not in named:
            pulled = Input(f"{name}=={pin}", f"resolved by {resolution.resolver}", Requirement(f"{name}=={pin}"))
            found.append(pulled.with_note("not named by the input: another requirement pulls it in"))
    return found
