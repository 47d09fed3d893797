"""Every command's JSON output validates against its schema in docs/schemas/, for ordinary, failing and empty input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from tests.unit.cli.test_doctor_probe_cli import HEALTHY, dlenv, host_file

SCHEMAS = Path(__file__).parents[3] / "docs" / "schemas"
HOST = ["--driver", "550.54.15", "--gpu", "A100", "--python", "3.11"]


def validator(name: str) -> Draft202012Validator:
    resources = []
    for path in SCHEMAS.glob("*.schema.json"):
        document = json.loads(path.read_text())
        resources += [
            (document["$id"], Resource.from_contents(document)),
            (path.name, Resource.from_contents(document)),
        ]
    registry: Registry = Registry().with_resources(resources)
    schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, registry=registry)


def _output(args: list[str], tmp_path: Path) -> dict[str, object]:
    result = dlenv(*[a.replace("{tmp}", str(tmp_path)) for a in args])
    assert result.returncode in (0, 1), result.stderr
    document = json.loads(result.stdout)
    assert isinstance(document, dict)
    return document


@pytest.mark.parametrize(
    "args",
    [
        ["check", "torch==2.6.0+cu124", "numpy", *HOST],
        ["check", "torch==2.6.0+cu124", "torchvision==0.20.0", "--gpu", "RTX 5090", "--driver", "470.82.01"],
        ["check", "-r", "{tmp}/requirements.txt", *HOST],
        ["check", "--installed", "--python", "3.11"],
        ["check", "--image-env", "{tmp}/image.env", *HOST],
        ["check", "jax>=0.4", "cudf-cu12", "tensorflow[and-cuda]", *HOST],
    ],
    ids=["pins", "failing", "file", "installed-empty", "image", "ranges"],
)
def test_check_json_validates(args: list[str], tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text('torch==2.6.0; sys_platform == "darwin"\nnumpy\n')
    (tmp_path / "image.env").write_text("NVIDIA_REQUIRE_CUDA=cuda>=12.4\n")
    document = _output([*args, "--format", "json"], tmp_path)
    validator("check").validate(document)


def test_check_json_of_an_empty_environment_is_a_document() -> None:
    result = dlenv("check", "--installed", "--python", "3.11", "--format", "json")
    assert result.returncode == 0 and json.loads(result.stdout)["results"] == []


@pytest.mark.parametrize(
    "args",
    [["resolve", "torch", *HOST], ["resolve", "torch", "torchvision", "tensorflow[and-cuda]", *HOST, "--explain"]],
)
def test_resolve_json_validates(args: list[str], tmp_path: Path) -> None:
    validator("resolve").validate(_output([*args, "--format", "json"], tmp_path))


def test_doctor_and_probe_json_validate(tmp_path: Path) -> None:
    host = host_file(tmp_path, HEALTHY)
    validator("doctor").validate(_output(["doctor", "--host", host, "--format", "json"], tmp_path))
    validator("probe").validate(_output(["probe", *HOST, "--format", "json"], tmp_path))
    validator("probe").validate(json.loads(Path(host).read_text()))


def test_a_schema_rejects_what_the_command_does_not_write() -> None:
    # the test can fail: a document with an unknown key or the old schema_version does not validate
    assert not validator("check").is_valid({"schema_version": 1})
