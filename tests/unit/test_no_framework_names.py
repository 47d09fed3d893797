"""Code names no framework: every subject, distribution, conda and build-file name the shipped matrix knows is data
(matrices/*.yaml, the family blocks), never a string the code compares, looks up or matches against.

The scan reads src/ as Python syntax trees and flags a string literal that *is* such a name ("pytorch", "torch",
"and-cuda", "torch/version.py") or a regular expression whose text names one. Prose that mentions a framework
(help texts, examples in error messages, docstrings) holds such names inside longer strings and is not flagged.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from dlenv.matrix.load import load_matrix

SRC = Path(__file__).resolve().parents[2] / "src"

# (file under src/, literal) -> why it may stay. Keep this tiny: a new entry needs a reason no family block can give.
ALLOWED = {
    ("dlenv/host/serialize.py", "torch"): "the example value a host-file error shows for a framework's `name` field",
}
_REGEX_CALLS = {"compile", "match", "search", "fullmatch", "findall", "finditer", "sub", "split"}


def framework_names() -> set[str]:
    """Every name the shipped matrix gives a framework: subjects, packages, companions and the family blocks'."""
    matrix = load_matrix()
    names: set[str] = set()
    for subject, framework in matrix.frameworks.items():
        names.add(subject)
        names |= framework.packages
        names |= {name for release in framework.releases for name in release.companions}
        block = (matrix.document(subject) or {}).get("family", {})
        names |= set(block.get("distributions", ()))
        names |= {row["name"] for row in block.get("conda", ())} | {
            row.get("pip", "") for row in block.get("conda", ())
        }
        names |= {block.get("cuda_libraries", {}).get("extra", "")}
        for row in block.get("build_files", ()):
            names |= {row["path"], row["path"].split("/")[0]}
    names.discard("")
    return names


def violations(source: str, names: set[str]) -> list[tuple[int, str]]:
    """(line, literal) of every string literal in `source` that is a framework name or a pattern naming one."""
    word = re.compile(
        r"(?<![a-z0-9-])(" + "|".join(sorted(map(re.escape, names), key=len, reverse=True)) + r")(?![a-z0-9-])"
    )
    patterns: set[int] = set()
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            function = node.func
            called = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", "")
            if called in _REGEX_CALLS:
                patterns.add(id(node.args[0]))
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
            continue
        if node.value in names or (id(node) in patterns and word.search(node.value)):
            found.append((node.lineno, node.value))
    return found


def test_the_scan_flags_names_and_patterns_but_not_prose() -> None:
    names = {"pytorch", "torch", "and-cuda"}
    flagged = violations(
        'if c.subject == "pytorch": pass\n'
        'EXTRAS = {"x": "and-cuda"}\n'
        'NAME = re.compile(r"^(torch|torchvision)$")\n'
        'HELP = "Requirements, e.g. torch==2.4.1"\n'
        'OTHER = re.compile(r"^nvidia-[a-z]+$")\n'
        'def f():\n    """Reads torch/version.py."""\n',
        names,
    )
    assert [value for _, value in flagged] == ["pytorch", "and-cuda", "^(torch|torchvision)$"]


def test_src_names_no_framework_outside_the_allowlist() -> None:
    names = framework_names()
    assert {"pytorch", "torch", "tensorflow-gpu", "jaxlib", "cupy-cuda12x", "cudf-cu12", "and-cuda"} <= names
    found = []
    for path in sorted(SRC.rglob("*.py")):
        relative = path.relative_to(SRC).as_posix()
        for line, value in violations(path.read_text(encoding="utf-8"), names):
            if (relative, value) not in ALLOWED:
                found.append(f"src/{relative}:{line}: {value!r}")
    assert found == [], "framework names in code; put them in the family block of matrices/*.yaml:\n" + "\n".join(found)


def test_every_allowlist_entry_is_still_needed() -> None:
    names = framework_names()
    for relative, value in ALLOWED:
        assert value in {v for _, v in violations((SRC / relative).read_text(encoding="utf-8"), names)}, relative
