"""The GitHub Action: every input reaches dlenv through the environment, never through the script text."""

from __future__ import annotations

from pathlib import Path

import yaml

ACTION = Path(__file__).parents[2] / "action.yml"


def test_inputs_are_passed_through_the_environment_only() -> None:
    action = yaml.safe_load(ACTION.read_text())
    steps = action["runs"]["steps"]
    for step in steps:
        assert "${{" not in step["run"], step["name"]
    check_step = next(step for step in steps if step["name"] == "dlenv check")
    passed = {value.strip("${} ").removeprefix("inputs.") for value in check_step["env"].values()}
    assert passed == set(action["inputs"])
    assert "--format github" in check_step["run"]
