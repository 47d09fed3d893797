"""Signal over noise: packages the matrix does not know are one line (named with --verbose and in JSON); GitHub
annotations stay within what a step shows, errors first; JSON is a document for every input."""

from __future__ import annotations

import io
import json

from dlenv.compat.check import check
from dlenv.compat.outcome import CheckOutcome
from dlenv.compat.requirements import from_arguments
from dlenv.compat.sources.model import SkippedLine
from dlenv.compat.sources.reading import Reading
from dlenv.render.check_report import GITHUB_PER_LEVEL, check_to_github, check_to_json, render_check_text
from dlenv.render.console import make_console
from tests.unit.compat.engine import host, mini_matrix

RTX5090 = host("570.86.15", gpus=(("RTX 5090", "12.0"),), python="3.12")
UNKNOWN = [f"package-{n}" for n in range(30)]


def _report(texts: list[str]):  # type: ignore[no-untyped-def]
    return check(RTX5090, mini_matrix(), from_arguments(texts))


def _text(report, reading=None, verbose=False) -> str:  # type: ignore[no-untyped-def]
    buffer = io.StringIO()
    render_check_text(make_console(buffer), CheckOutcome(report, (), reading), verbose=verbose)
    return buffer.getvalue()


def test_packages_not_in_the_matrix_are_one_line_named_only_with_verbose() -> None:
    report = _report(["torch==2.6.0+cu124", *UNKNOWN])
    plain = _text(report)
    assert "30 package(s) not in the compatibility matrix were not checked (--verbose names them)" in plain
    assert "package-7" not in plain and len(plain.splitlines()) < 12
    assert "package-7" in _text(report, verbose=True)
    names = [entry["package"] for entry in json.loads(check_to_json(CheckOutcome(report)))["not_in_matrix"]]
    assert names == UNKNOWN


def test_verbose_says_which_lines_were_skipped_and_why() -> None:
    reading = Reading((), (SkippedLine("r.txt:3", 'torch; sys_platform == "darwin"', "marker is false"),))
    report = _report(["numpy"])
    assert "1 line(s) skipped (--verbose says which and why)" in _text(report, reading)
    assert "skipped r.txt:3" in _text(report, reading, verbose=True)
    assert json.loads(check_to_json(CheckOutcome(report, (), reading)))["skipped"][0]["why"] == "marker is false"


def test_github_output_puts_errors_first_and_stays_within_a_step() -> None:
    failing = [f"torch==2.6.0+cu124 ; python_version >= '3.{n}'" for n in range(GITHUB_PER_LEVEL + 5)]
    report = _report([*UNKNOWN, *failing])
    lines = check_to_github(CheckOutcome(report)).splitlines()
    errors = [line for line in lines if line.startswith("::error")]
    assert len(errors) == GITHUB_PER_LEVEL
    assert lines[: len(errors)] == errors
    (notice,) = [line for line in lines if line.startswith("::notice")]
    assert notice == lines[-1] and "30 not in the matrix" in notice and "not shown here" in notice
    assert not any("package-1" in line for line in lines)


def test_json_is_a_document_for_an_empty_input() -> None:
    document = json.loads(check_to_json(CheckOutcome(_report([]))))
    assert (document["results"], document["compatible"], document["not_in_matrix"]) == ([], True, [])
