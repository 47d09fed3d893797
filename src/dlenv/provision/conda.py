"""`dlenv env`: a conda environment.yml or a pixi.toml for the stack.

conda facts come only from the matrix: a build whose row has a `conda` field is installed from the channels and
packages that field names. Every other framework is installed by pip inside the environment with its exact pip pin
(and its index), and a comment says so — dlenv writes no conda package name or build string it cannot cite.
`cuda-version` (conda-forge's metapackage that constrains every CUDA package of the environment, and the driver only
to `__cuda >= MAJOR`: github.com/conda-forge/cuda-version-feedstock recipe/meta.yaml) is pinned to the stack's
CUDA; pixi.toml also declares `[system-requirements] cuda`, the driver's CUDA the environment needs (with minor
version compatibility, MAJOR.0: the same floor as NVIDIA_REQUIRE_CUDA in `dlenv build`).
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from dlenv.compat.candidate import is_find_links, pip_source_option
from dlenv.errors import InputError, ProblemsError
from dlenv.provision.stack import check_name, check_url, cuda_floor, sole_index
from dlenv.records import record

if TYPE_CHECKING:
    from dlenv.matrix.model import Matrix
    from dlenv.provision.header import Header
    from dlenv.provision.stack import Pin, Stack

_CONDA_SPEC = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(?:[=<>!~][A-Za-z0-9.*_+=<>!,|]*)?$")
_CHANNEL = re.compile(r"^[a-z0-9][a-z0-9._-]*(?:/[a-z0-9._-]+)?$")
DEFAULT_CHANNEL = "conda-forge"
_PIXI_PLATFORMS = {
    "linux-x86_64": "linux-64",
    "linux-aarch64": "linux-aarch64",
    "macos-arm64": "osx-arm64",
    "macos-x86_64": "osx-64",
    "windows-x86_64": "win-64",
}


@record
class CondaEnvironment:
    stack: Stack
    channels: tuple[str, ...]
    conda: tuple[str, ...]
    """Match specs: python, cuda-version, then the matrix's conda packages."""
    pip: tuple[Pin, ...]
    """Pins with no conda facts in the matrix, installed by pip."""
    notes: tuple[str, ...]
    driver_cuda: str | None = None
    """The CUDA version the driver must support (minor version compatibility counted): pixi's __cuda."""


def _spec(text: str, where: str) -> str:
    if not _CONDA_SPEC.match(text):
        raise InputError(f"{text!r} is not a conda match spec dlenv writes", where=where, fix="correct the matrix")
    return text


def conda_environment(stack: Stack, matrix: Matrix) -> CondaEnvironment:
    channels: list[str] = []
    conda = [f"python={stack.python}"]
    if stack.cuda_text:
        conda.append(f"cuda-version={stack.cuda_text}")
    pip: list[Pin] = []
    notes: list[str] = []
    for pin in stack.pins:
        spec = pin.candidate.build.conda
        if spec is None:
            pip.append(pin)
            notes.append(f"{pin.requirement}: the matrix records no conda package for this build; installed by pip.")
            continue
        where = f"matrix row {pin.candidate.label}"
        for channel in spec.channels:
            if not _CHANNEL.match(channel):
                raise InputError(f"{channel!r} is not a conda channel name", where=where, fix="correct the matrix")
            if channel not in channels:
                channels.append(channel)
        conda += [_spec(package, where) for package in spec.packages]
    if DEFAULT_CHANNEL not in channels:
        channels.append(DEFAULT_CHANNEL)
    if pip:
        conda.append("pip")
    floor = cuda_floor(stack, matrix)
    driver_cuda = floor.split(",")[0].removeprefix("cuda>=") if floor else None
    _check_host_cuda(stack, driver_cuda)
    return CondaEnvironment(stack, tuple(channels), tuple(conda), tuple(pip), tuple(notes), driver_cuda)


def _cuda_tuple(text: str) -> tuple[int, int]:
    major, _, minor = text.partition(".")
    return int(major), int(minor.split(".")[0] or 0)


def _check_host_cuda(stack: Stack, driver_cuda: str | None) -> None:
    """Never pin a CUDA the host's __cuda (its driver's CUDA, or CONDA_OVERRIDE_CUDA) cannot satisfy.

    conda's solver sees the driver as the virtual package __cuda; cuda-version=M.m needs __cuda >= M, pixi's
    system requirement the floor itself. Above the driver only NVIDIA's cuda-compat package helps, which a conda
    environment cannot deploy on the host, so such a stack is refused here and `dlenv build` is named instead.
    """
    driver = stack.host.driver
    host_cuda = driver.max_cuda if driver else None
    if driver_cuda is None or not host_cuda or not re.match(r"^[0-9]+(\.[0-9]+)*$", host_cuda):
        return
    if _cuda_tuple(driver_cuda) > _cuda_tuple(host_cuda):
        raise ProblemsError(
            f"the stack needs a driver of CUDA {driver_cuda}; the host's __cuda is {host_cuda}, and the forward "
            "compatibility package a conda environment would need cannot be installed by it "
            "(use `dlenv build --allow-forward-compat`, whose image installs cuda-compat)"
        )


def _pip_index_options(pins: tuple[Pin, ...], stack: Stack) -> list[str]:
    urls = sorted({check_url(pin.index_url, "index") for pin in pins if pin.index_url})
    if sole_index(urls, stack.pins):
        return [f"--index-url {urls[0]}"]
    return [f"{pip_source_option(url)} {url}" for url in urls]


def render_environment_yml(environment: CondaEnvironment, header: Header, name: str) -> str:
    check_name(name, "environment name")
    lines = [header.render()]
    lines += [f"# {note}\n" for note in environment.notes]
    if environment.pip:
        lines.append("# For the whole pip closure with hashes, use `dlenv lock` and `pip install --require-hashes`.\n")
    lines.append(f"name: {name}\nchannels:\n")
    lines += [f"  - {channel}\n" for channel in environment.channels]
    lines.append("dependencies:\n")
    lines += [f"  - {json.dumps(spec) if any(c in spec for c in '<>!,|*') else spec}\n" for spec in environment.conda]
    if environment.pip:
        lines.append("  - pip:\n")
        lines += [f"      - {option}\n" for option in _pip_index_options(environment.pip, environment.stack)]
        lines += [f"      - {pin.requirement}\n" for pin in environment.pip]
    return "".join(lines)


def _toml(value: str) -> str:
    return json.dumps(value)


def render_pixi(environment: CondaEnvironment, header: Header, name: str) -> str:
    stack = environment.stack
    check_name(name, "workspace name")
    platform = _PIXI_PLATFORMS.get(stack.platform_key)
    if platform is None:
        raise InputError(f"pixi has no platform for {stack.platform_key}", where="--os/--arch", fix="use linux-x86_64")
    lines = [header.render()]
    lines += [f"# {note}\n" for note in environment.notes]
    lines.append("\n[workspace]\n")
    lines.append(f"name = {_toml(name)}\n")
    lines.append(f"channels = [{', '.join(_toml(c) for c in environment.channels)}]\n")
    lines.append(f"platforms = [{_toml(platform)}]\n")
    requirements = []
    if environment.driver_cuda:
        requirements.append(f"cuda = {_toml(environment.driver_cuda)}")
    if stack.glibc:
        requirements.append(f'libc = {{ family = "glibc", version = {_toml(stack.glibc)} }}')
    if requirements:
        lines.append("\n[system-requirements]\n")
        lines += [f"{line}\n" for line in requirements]
    lines.append("\n[dependencies]\n")
    for spec in environment.conda:
        if spec == "pip":
            continue
        match = re.match(r"^([A-Za-z0-9._-]+)(.*)$", spec)
        assert match is not None
        package, version = match.groups()
        build = None
        if version.startswith("=") and not version.startswith("=="):
            version, _, build = version[1:].partition("=")
            version = version if version.endswith("*") else f"{version}.*"
        if build:
            lines.append(f"{package} = {{ version = {_toml(version)}, build = {_toml(build)} }}\n")
        else:
            lines.append(f"{package} = {_toml(version or '*')}\n")
    if environment.pip:
        lines.append("\n[pypi-dependencies]\n")
        for pin in environment.pip:
            fields = [f"version = {_toml('==' + pin.version)}"]
            if pin.extras:
                fields.append(f"extras = [{', '.join(_toml(e) for e in pin.extras)}]")
            if pin.index_url and not is_find_links(pin.index_url):
                fields.append(f"index = {_toml(check_url(pin.index_url, 'index'))}")
            lines.append(f"{pin.package} = {{ {', '.join(fields)} }}\n")
        pages = sorted(
            {check_url(p.index_url, "index") for p in environment.pip if p.index_url and is_find_links(p.index_url)}
        )
        if pages:
            lines.append("\n[pypi-options]\n")
            lines.append(f"find-links = [{', '.join('{ url = ' + _toml(url) + ' }' for url in pages)}]\n")
    return "".join(lines)


def generate_env(stack: Stack, matrix: Matrix, file_format: str, command: list[str], name: str = "dlenv") -> str:
    """The text of an environment file: 'conda' (environment.yml) or 'pixi' (pixi.toml)."""
    from dlenv.provision.header import make_header

    header = make_header(stack, "env", file_format, command)
    environment = conda_environment(stack, matrix)
    render = render_pixi if file_format == "pixi" else render_environment_yml
    return render(environment, header, name)
