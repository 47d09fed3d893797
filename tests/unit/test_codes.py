"""The finding-code registry (dlenv.findings) is complete, used, and the tables generated from it are current."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from dlenv.doctor.probe_findings import _SIMPLE
from dlenv.findings import CODES

ROOT = Path(__file__).resolve().parents[2]


def _reported() -> dict[str, set[str]]:
    """code -> the severities src/ reports it with: every Finding(...) with a literal code, and the probe's table
    of simple findings."""
    found: dict[str, set[str]] = {}
    for path in (ROOT / "src" / "dlenv").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args or not isinstance(node.args[0], ast.Constant):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
            if name != "Finding" or not isinstance(node.args[0].value, str):
                continue
            severities = found.setdefault(node.args[0].value, set())
            if len(node.args) > 1 and isinstance(node.args[1], ast.Attribute):
                severities.add(node.args[1].attr.lower())
    for code, severity, *_ in _SIMPLE.values():
        found.setdefault(code, set()).add(severity.value)
    return found


def test_every_reported_code_is_registered_with_its_severities() -> None:
    reported = _reported()
    missing = sorted(set(reported) - set(CODES))
    assert not missing, f"codes reported in src/ but not in dlenv.findings.CODES: {missing}"
    for code, severities in reported.items():
        words = CODES[code].severity
        assert all(severity in words for severity in severities), (code, severities, words)


def test_every_registered_code_is_reported_somewhere() -> None:
    unused = sorted(set(CODES) - set(_reported()))
    assert not unused, f"registered but never reported: {unused}"


def test_the_generated_tables_are_current() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "render_code_tables.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
