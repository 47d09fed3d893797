"""A small Dockerfile parser for the tests: stages, and each stage's instructions with continuations joined."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_FROM = re.compile(r"^(\S+)(?:\s+AS\s+(\S+))?$", re.IGNORECASE)
KEYWORDS = {
    "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "HEALTHCHECK", "LABEL", "ONBUILD",
    "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR",
}  # fmt: skip


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)


def logical_lines(text: str) -> list[str]:
    lines: list[str] = []
    pending = ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue  # comment lines inside a continuation are dropped by Docker
        if stripped.endswith("\\"):
            pending += stripped[:-1].rstrip() + " "
            continue
        lines.append(pending + stripped)
        pending = ""
    assert not pending, "the file ends inside a continuation"
    return lines


def parse_dockerfile(text: str) -> list[Stage]:
    stages: list[Stage] = []
    for line in logical_lines(text):
        keyword, _, arguments = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            match = _FROM.match(arguments.strip())
            assert match, f"malformed FROM: {line!r}"
            stages.append(Stage(match.group(1), match.group(2)))
            continue
        assert keyword in KEYWORDS, f"unknown instruction {keyword!r} in {line!r}"
        assert stages, f"{keyword} before the first FROM"
        stages[-1].instructions.append((keyword, arguments.strip()))
    return stages
