"""`dlenv build`: a Dockerfile (or an Apptainer definition) for the stack, from the lock `dlenv lock` wrote.

The base image comes from the matrix's images table:

* a slim Python image (`python:X.Y-slim-…`) when the stack needs no CUDA, or when every CUDA build in it installs
  the CUDA user-space libraries it needs as wheels (PyTorch's Linux CUDA wheels; TensorFlow with `[and-cuda]`):
  the driver comes from the host through the NVIDIA container toolkit, so a CUDA base image would only duplicate
  the libraries;
* otherwise an `nvidia/cuda` runtime image of the stack's CUDA major whose CUDA is at least the stack's, at most the
  top of every build's supported CUDA range, at most what the host's driver supports, and whose distribution ships
  the target's Python (Ubuntu 22.04: 3.10, 24.04: 3.12); the newest such image wins.

The image is multi-stage: a builder installs the lock with `--require-hashes` into /opt/venv; the runtime stage
copies the venv, adds a non-root user and sets NVIDIA_REQUIRE_CUDA to what the stack needs; a check stage runs
`dlenv check --installed` over the runtime stage, and the final stage copies the check's output, so an image
whose frameworks do not fit fails its own build.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dlenv.errors import InputError, ProblemsError
from dlenv.provision.stack import check_url, cuda_floor
from dlenv.versions import parse_cuda

if TYPE_CHECKING:
    from dlenv.matrix.model import Image, Matrix
    from dlenv.provision.header import Header
    from dlenv.provision.stack import Stack

CUDA_REPOSITORY = "nvidia/cuda"
PYTHON_REPOSITORY = "python"
OS_PYTHON = {"ubuntu20.04": "3.8", "ubuntu22.04": "3.10", "ubuntu24.04": "3.12"}
"""The python3 each distribution's own packages install (Ubuntu focal, jammy, noble)."""
USER_ID = 10001
LOCK_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,100}$")
_REFERENCE = re.compile(r"^[a-z0-9][a-z0-9._/-]*:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}(?:@sha256:[0-9a-f]{64})?$")


@dataclass(frozen=True)
class BaseImage:
    image: Image
    reason: str

    @property
    def reference(self) -> str:
        text = self.image.reference + (f"@{self.image.digest}" if self.image.digest else "")
        if not _REFERENCE.match(text):
            raise InputError(f"image {text!r} is not a plain reference", where="images matrix", fix="correct it")
        return text

    @property
    def python_from_os(self) -> bool:
        return self.image.repository == CUDA_REPOSITORY


@dataclass(frozen=True)
class ContainerPlan:
    stack: Stack
    base: BaseImage
    require_cuda: str | None
    lock_file: str
    source: str | None


def _minor(text: str | None) -> tuple[int, int] | None:
    parsed = parse_cuda(text) if text else None
    return (parsed.major, parsed.minor or 0) if parsed else None


def choose_base(stack: Stack, matrix: Matrix) -> BaseImage:
    images = [image for image in matrix.images if stack.platform_key in image.platforms or not image.platforms]
    if stack.system != "linux":
        raise InputError("container images are Linux images", where="--os", fix="target --os linux")
    if stack.cuda is None or stack.bundles_cuda:
        slim = sorted(
            (i for i in images if i.repository == PYTHON_REPOSITORY and i.python == stack.python),
            key=lambda i: i.tag,
            reverse=True,
        )
        if not slim:
            raise ProblemsError(f"the images matrix has no python image for Python {stack.python}")
        why = (
            "the stack needs no CUDA"
            if stack.cuda is None
            else "every CUDA build in the stack installs its CUDA libraries as wheels; the driver comes from the host"
        )
        return BaseImage(slim[0], f"{slim[0].reference}: {why}")
    # The image's CUDA libraries serve only the builds that do not bring their own.
    system_cuda = [pin for pin in stack.pins if not pin.bundles_cuda]
    need = max((pin.cuda.major, pin.cuda.minor or 0) for pin in system_cuda if pin.cuda is not None)
    tops = [_minor(p.candidate.build.cuda_range.max) for p in system_cuda if p.candidate.build.cuda_range]
    driver = stack.host.driver
    host_max = _minor(driver.max_cuda) if driver and driver.max_cuda else None
    fitting = []
    for image in images:
        have = _minor(image.cuda)
        if image.repository != CUDA_REPOSITORY or image.flavour != "runtime" or have is None:
            continue
        if have[0] != need[0] or have < need or any(top is not None and have > top for top in tops):
            continue
        if host_max is not None and have > host_max:
            continue
        if OS_PYTHON.get(image.os or "") != stack.python:
            continue
        fitting.append((have, image.cuda or "", image.os or "", image))
    if not fitting:
        limits = [f"CUDA {need[0]}.x at least {need[0]}.{need[1]}"]
        limits += [f"at most {t[0]}.{t[1]}" for t in tops if t is not None]
        if host_max is not None:
            limits.append(f"at most the driver's {host_max[0]}.{host_max[1]}")
        pythons = sorted(set(OS_PYTHON.values()))
        raise ProblemsError(
            f"no nvidia/cuda runtime image in the matrix has {', '.join(limits)} and Python {stack.python} from its"
            f" distribution (images ship Python {', '.join(pythons)}: target one with --python)"
        )
    fitting.sort(key=lambda entry: (entry[0], entry[1], entry[2]), reverse=True)
    image = fitting[0][3]
    return BaseImage(
        image,
        f"{image.reference}: the stack needs CUDA libraries its wheels do not bring; newest runtime image of CUDA "
        f"{need[0]}.x >= {need[0]}.{need[1]}"
        + (f" the driver supports (<= {host_max[0]}.{host_max[1]})" if host_max else "")
        + f" with Python {stack.python}",
    )


def plan_container(stack: Stack, matrix: Matrix, lock_file: str, source: str | None) -> ContainerPlan:
    if not LOCK_NAME.match(lock_file):
        raise InputError(f"{lock_file!r} is not a plain file name", where="--lock", fix="e.g. requirements.lock")
    if source is not None:
        check_url(source, "--source")
    return ContainerPlan(stack, choose_base(stack, matrix), cuda_floor(stack, matrix), lock_file, source)


def _labels(plan: ContainerPlan, header: Header) -> list[tuple[str, str]]:
    labels = []
    if plan.source:
        labels.append(("org.opencontainers.image.source", plan.source))
    labels.append(("org.opencontainers.image.base.name", plan.base.reference))
    labels.append(("dev.dlenv.version", header.version))
    labels.append(("dev.dlenv.matrix-version", header.matrix_version or "unversioned"))
    labels.append(("dev.dlenv.inputs-sha256", header.inputs_sha256))
    return labels


def _env(plan: ContainerPlan) -> list[tuple[str, str]]:
    env = [("PATH", "/opt/venv/bin:$PATH"), ("PYTHONDONTWRITEBYTECODE", "1"), ("PYTHONUNBUFFERED", "1")]
    if plan.require_cuda:
        env += [
            ("NVIDIA_REQUIRE_CUDA", plan.require_cuda),
            ("NVIDIA_VISIBLE_DEVICES", "all"),
            ("NVIDIA_DRIVER_CAPABILITIES", "compute,utility"),
        ]
    return env


def _q(value: str) -> str:
    """A double-quoted Dockerfile/shell word; every value is validated before, this only keeps spaces together."""
    return json.dumps(value)


APT_PYTHON = "python3"
APT_VENV = "python3-venv"


def render_dockerfile(plan: ContainerPlan, header: Header) -> str:
    from dlenv import __version__

    base = plan.base.reference
    lock = plan.lock_file
    out = [header.render(), f"# base image: {plan.base.reason}\n"]
    out.append("# build: docker build -t IMAGE . (the lock file must be in the build context)\n\n")
    out.append(f"FROM {base} AS builder\n")
    if plan.base.python_from_os:
        out.append("# Ubuntu's own python3; apt versions move within a release, so they are not pinned.\n")
        out.append("# hadolint ignore=DL3008\n")
        out.append(
            "RUN apt-get update \\\n"
            f"    && apt-get install -y --no-install-recommends {APT_PYTHON} {APT_VENV} \\\n"
            "    && rm -rf /var/lib/apt/lists/*\n"
        )
    python = "python3" if plan.base.python_from_os else "python"
    out.append(f"COPY {lock} /tmp/{lock}\n")
    out.append(
        f"RUN {python} -m venv /opt/venv \\\n"
        f"    && /opt/venv/bin/pip install --no-cache-dir --require-hashes --no-deps --only-binary=:all: "
        f"-r /tmp/{lock} \\\n"
        f"    && /opt/venv/bin/pip install --no-cache-dir --target /opt/dlenv-tool dlenv=={__version__}\n\n"
    )
    out.append(f"FROM {base} AS runtime\n")
    labels = _labels(plan, header)
    out.append("LABEL " + " \\\n      ".join(f"{key}={_q(value)}" for key, value in labels) + "\n")
    if plan.base.python_from_os:
        out.append("# hadolint ignore=DL3008\n")
        out.append(
            "RUN apt-get update \\\n"
            f"    && apt-get install -y --no-install-recommends {APT_PYTHON} \\\n"
            "    && rm -rf /var/lib/apt/lists/*\n"
        )
    out.append(f"RUN useradd --no-log-init --create-home --uid {USER_ID} --user-group dlenv\n")
    out.append("COPY --from=builder /opt/venv /opt/venv\n")
    out.append("ENV " + " \\\n    ".join(f"{key}={_q(value)}" for key, value in _env(plan)) + "\n")
    out.append(f"USER {USER_ID}:{USER_ID}\nWORKDIR /home/dlenv\n\n")
    out.append("# The image checks itself: dlenv (kept out of the final image) reads the installed frameworks.\n")
    out.append("FROM runtime AS check\n")
    out.append("COPY --from=builder /opt/dlenv-tool /opt/dlenv-tool\n")
    out.append("ENV PYTHONPATH=/opt/dlenv-tool\n")
    out.append(
        "RUN python -m dlenv check --installed \\\n"
        "    && python -m dlenv check --installed --format json -o /tmp/dlenv-check.json\n\n"
    )
    out.append("FROM runtime\n")
    out.append("COPY --from=check /tmp/dlenv-check.json /opt/dlenv-check.json\n")
    out.append(f"USER {USER_ID}:{USER_ID}\n")
    out.append('CMD ["python"]\n')
    return "".join(out)


def render_apptainer(plan: ContainerPlan, header: Header) -> str:
    from dlenv import __version__

    base = plan.base.reference
    lock = plan.lock_file
    python = "python3" if plan.base.python_from_os else "python"
    apt = (
        f"    apt-get update\n    apt-get install -y --no-install-recommends {APT_PYTHON} {APT_VENV}\n"
        "    rm -rf /var/lib/apt/lists/*\n"
        if plan.base.python_from_os
        else ""
    )
    out = [header.render(), f"# base image: {plan.base.reason}\n"]
    out.append("# build: apptainer build image.sif THIS_FILE (the lock file beside it); %test runs dlenv check.\n")
    out.append("# Apptainer runs as the calling user: no user is created.\n\n")
    out.append(f"Bootstrap: docker\nFrom: {base}\nStage: builder\n\n%files\n    {lock} /tmp/{lock}\n\n%post\n")
    out.append("    set -eu\n" + apt)
    out.append(f"    {python} -m venv /opt/venv\n")
    out.append(
        f"    /opt/venv/bin/pip install --no-cache-dir --require-hashes --no-deps --only-binary=:all: -r /tmp/{lock}\n"
    )
    out.append(f"    /opt/venv/bin/pip install --no-cache-dir --target /opt/dlenv-tool dlenv=={__version__}\n\n")
    out.append(f"Bootstrap: docker\nFrom: {base}\nStage: runtime\n\n")
    out.append("%files from builder\n    /opt/venv /opt/venv\n    /opt/dlenv-tool /opt/dlenv-tool\n\n")
    if plan.base.python_from_os:
        out.append("%post\n    set -eu\n    apt-get update\n")
        out.append(f"    apt-get install -y --no-install-recommends {APT_PYTHON}\n    rm -rf /var/lib/apt/lists/*\n\n")
    out.append("%environment\n")
    out += [f"    export {key}={_q(value)}\n" for key, value in _env(plan)]
    out.append("\n%labels\n")
    out += [f"    {key} {value}\n" for key, value in _labels(plan, header)]
    out.append("\n%test\n    PYTHONPATH=/opt/dlenv-tool python -m dlenv check --installed\n")
    out.append('\n%runscript\n    exec python "$@"\n')
    return "".join(out)


def generate_container(
    stack: Stack, matrix: Matrix, file_format: str, command: list[str], lock_file: str, source: str | None
) -> str:
    """The text of a container recipe: 'docker' (Dockerfile) or 'apptainer' (definition file)."""
    from dlenv.provision.header import make_header

    header = make_header(stack, "build", file_format, command)
    plan = plan_container(stack, matrix, lock_file, source)
    return render_apptainer(plan, header) if file_format == "apptainer" else render_dockerfile(plan, header)
