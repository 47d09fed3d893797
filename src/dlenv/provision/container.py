"""`dlenv build`: a Dockerfile (or an Apptainer definition) for the stack, and the build context it needs.

The base image comes from the matrix's images table:

* a slim Python image (`python:X.Y-slim-…`) when the stack needs no CUDA, or when every CUDA build in it installs
  the CUDA user-space libraries it needs as wheels (PyTorch's Linux CUDA wheels; TensorFlow with `[and-cuda]`):
  the driver comes from the host through the NVIDIA container toolkit, so a CUDA base image would only duplicate
  the libraries;
* otherwise an `nvidia/cuda` image of the stack's CUDA major: `runtime`, `cudnn-runtime` when a build needs cuDNN
  from the system (TensorFlow up to 2.13 has no `[and-cuda]` wheels), `devel`/`cudnn-devel` when the stack compiles
  CUDA extensions (`--devel`). Its CUDA is at least what every build needs (the bottom of its supported range),
  at most the top of every build's range and at most what the host's driver starts; the newest such image wins.
  Its Python is the image's own (the row's `python`) or the distribution's package (the images matrix's
  `distributions`).

Forward compatibility (a CUDA newer than the driver's) is used only when the user asked for it
(`--allow-forward-compat`); the image then installs NVIDIA's `cuda-compat-M-m` package and NVIDIA_REQUIRE_CUDA stays
at what the host's driver starts. Without it NVIDIA_REQUIRE_CUDA is never above the host's CUDA.

The image is multi-stage: a builder installs the lock with `--require-hashes` into /opt/venv, and dlenv itself
into /opt/dlenv-tool from a wheel of the running dlenv that the build context carries, pinned by its sha256 in
`dlenv-check.lock` with the hashed closure of its dependencies; the runtime stage copies the venv, adds a non-root
user and sets NVIDIA_REQUIRE_CUDA; a check stage runs `dlenv check --installed` over the runtime stage, and the
final stage copies the check's output, so an image whose frameworks do not fit fails its own build.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from dlenv.errors import InputError, ProblemsError
from dlenv.provision.stack import check_url, cuda_floor
from dlenv.records import record
from dlenv.versions import parse_cuda

if TYPE_CHECKING:
    from collections.abc import Mapping

    from dlenv.matrix.model import Image, Matrix
    from dlenv.provision.header import Header
    from dlenv.provision.stack import Stack

CUDA_REPOSITORY = "nvidia/cuda"
PYTHON_REPOSITORY = "python"
USER_ID = 10001
LOCK_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,100}$")
TOOL_DIR = "/tmp/dlenv-tool"
"""Where the check stage's wheel and lock are copied (dlenv-check.lock names the wheel by this absolute path)."""
TOOL_LOCK = "dlenv-check.lock"
PIP_CACHE = "--mount=type=cache,target=/root/.cache/pip"
_REFERENCE = re.compile(r"^[a-z0-9][a-z0-9._/-]*:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}(?:@sha256:[0-9a-f]{64})?$")


def _minor(text: str | None) -> tuple[int, int] | None:
    parsed = parse_cuda(text) if text else None
    return (parsed.major, parsed.minor or 0) if parsed else None


@record
class BaseImage:
    image: Image
    reason: str
    python: str
    """The interpreter command, e.g. python3.11."""
    build_packages: tuple[str, ...] = ()
    """Distribution packages the builder installs (the Python and its venv module) when the image lacks them."""
    runtime_packages: tuple[str, ...] = ()
    """Distribution packages the runtime installs: the Python, and cuda-compat-M-m for forward compatibility."""
    compat_dir: str | None = None
    """Where cuda-compat puts its libraries (forward compatibility), for LD_LIBRARY_PATH."""

    @property
    def reference(self) -> str:
        text = self.image.reference + (f"@{self.image.digest}" if self.image.digest else "")
        if not _REFERENCE.match(text):
            raise InputError(f"image {text!r} is not a plain reference", where="images matrix", fix="correct it")
        return text


@record
class ContainerPlan:
    stack: Stack
    base: BaseImage
    require_cuda: str | None
    lock_file: str
    source: str | None
    tool_wheel: str
    """File name of the dlenv wheel in the build context."""


def forward_compat_needed(stack: Stack, matrix: Matrix) -> bool:
    """Does the stack need a CUDA newer than the host's driver starts (minor version compatibility counted)?"""
    floor = cuda_floor(stack, matrix)
    driver = stack.host.driver
    host_max = _minor(driver.max_cuda) if driver and driver.max_cuda else None
    need = _minor(floor.split(",")[0].removeprefix("cuda>=")) if floor else None
    return host_max is not None and need is not None and need > host_max


def _python_packages(
    image: Image, python: str, distributions: Mapping[str, tuple[str, ...]]
) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """(builder, runtime) packages that give the image `python`, () when it has it; None when it cannot."""
    if image.python == python:
        return (), ()
    if python in distributions.get(image.os or "", ()):
        return (f"python{python}", f"python{python}-venv"), (f"python{python}",)
    return None


def _slim(stack: Stack, images: list[Image], why: str) -> BaseImage:
    slim = sorted(
        (i for i in images if i.repository == PYTHON_REPOSITORY and i.python == stack.python),
        key=lambda i: i.tag,
        reverse=True,
    )
    if not slim:
        raise ProblemsError(f"the images matrix has no python image for Python {stack.python}")
    return BaseImage(slim[0], f"{slim[0].reference}: {why}", f"python{stack.python}")


def choose_base(stack: Stack, matrix: Matrix, *, devel: bool = False, allow_forward_compat: bool = False) -> BaseImage:
    images = [image for image in matrix.images if stack.platform_key in image.platforms or not image.platforms]
    if stack.system != "linux":
        raise InputError("container images are Linux images", where="--os", fix="target --os linux")
    forward = forward_compat_needed(stack, matrix)
    if forward and not allow_forward_compat:
        # The engine chooses such a build only with --allow-forward-compat; a stack from elsewhere is refused here.
        raise ProblemsError(
            f"the stack needs CUDA {stack.cuda_text}, above what the host's driver starts; "
            "pass --allow-forward-compat to install NVIDIA's cuda-compat package in the image"
        )
    if stack.cuda is None:
        return _slim(stack, images, "the stack needs no CUDA")
    if stack.bundles_cuda and not devel and not forward:
        why = "every CUDA build in the stack installs its CUDA libraries as wheels; the driver comes from the host"
        return _slim(stack, images, why)
    # The image's CUDA libraries serve the builds that do not bring their own; with --devel or cuda-compat every
    # build's CUDA major counts.
    system_cuda = [pin for pin in stack.pins if not pin.bundles_cuda] or [p for p in stack.pins if p.cuda]
    floors = []
    for pin in system_cuda:
        cuda_range = pin.candidate.build.cuda_range
        low = _minor(cuda_range.min) if cuda_range and cuda_range.min else None
        if low is None and pin.cuda is not None:
            low = (pin.cuda.major, pin.cuda.minor or 0)
        if low is not None:
            floors.append(low)
    need = max(floors)
    tops = [_minor(p.candidate.build.cuda_range.max) for p in system_cuda if p.candidate.build.cuda_range]
    # cuDNN from the system only for builds whose wheels do not bring it (TensorFlow <= 2.13, say).
    own = [pin for pin in stack.pins if not pin.bundles_cuda]
    cudnn = sorted({pin.candidate.build.cudnn.split(".")[0] for pin in own if pin.candidate.build.cudnn})
    if len(cudnn) > 1:
        raise ProblemsError(f"the stack's builds need different cuDNN majors ({', '.join(cudnn)}); no image has both")
    flavour = ("cudnn-" if cudnn else "") + ("devel" if devel else "runtime")
    driver = stack.host.driver
    host_max = _minor(driver.max_cuda) if driver and driver.max_cuda else None
    fitting = []
    for image in images:
        have = _minor(image.cuda)
        if image.repository != CUDA_REPOSITORY or image.flavour != flavour or have is None:
            continue
        if have[0] != need[0] or have < need or any(top is not None and have > top for top in tops):
            continue
        if host_max is not None and have > host_max and not forward:
            continue
        if cudnn and (image.cudnn or "").split(".")[0] != cudnn[0]:
            continue
        packages = _python_packages(image, stack.python, matrix.distribution_pythons)
        if packages is None:
            continue
        # Prefer an image that has the Python (fewer packages), then the newest CUDA.
        fitting.append((have, not packages[0], image.cuda or "", image.os or "", image, packages))
    if not fitting:
        limits = [f"CUDA {need[0]}.x at least {need[0]}.{need[1]}"]
        limits += [f"at most {t[0]}.{t[1]}" for t in tops if t is not None]
        if host_max is not None and not forward:
            limits.append(f"at most the driver's {host_max[0]}.{host_max[1]}")
        if cudnn:
            limits.append(f"cuDNN {cudnn[0]}")
        pythons = sorted({p for versions in matrix.distribution_pythons.values() for p in versions})
        raise ProblemsError(
            f"no nvidia/cuda {flavour} image in the matrix has {', '.join(limits)} and Python {stack.python}"
            f" (their distributions install Python {', '.join(pythons)}: target one with --python)"
        )
    # Newest first; with cuda-compat the oldest that serves, whose compat package the engine's verdict named.
    fitting.sort(key=lambda entry: (entry[0], entry[1], entry[2], entry[3]), reverse=not forward)
    if forward:
        fitting.sort(key=lambda entry: entry[1], reverse=True)  # still prefer an image that has the Python
    have, _, _, _, image, (build_packages, runtime_packages) = fitting[0]
    compat_dir = None
    if forward:
        runtime_packages = (*runtime_packages, f"cuda-compat-{have[0]}-{have[1]}")
        compat_dir = f"/usr/local/cuda-{have[0]}.{have[1]}/compat"
    needs = "CUDA libraries its wheels do not bring" if not stack.bundles_cuda else "a CUDA image"
    if cudnn:
        needs += f" and cuDNN {cudnn[0]} from the system"
    reason = (
        f"{image.reference}: the stack needs {needs}"
        + ("; it compiles CUDA extensions (--devel)" if devel else "")
        + f"; {'oldest' if forward else 'newest'} {flavour} image of CUDA {need[0]}.x >= {need[0]}.{need[1]}"
        + (f" the driver starts (<= {host_max[0]}.{host_max[1]})" if host_max and not forward else "")
        + (f" with cuda-compat-{have[0]}-{have[1]} (--allow-forward-compat)" if forward else "")
        + f"; Python {stack.python} "
        + ("from the distribution's packages" if build_packages else "from the image")
    )
    return BaseImage(image, reason, f"python{stack.python}", build_packages, runtime_packages, compat_dir)


def require_cuda(stack: Stack, matrix: Matrix, forward: bool) -> str | None:
    """NVIDIA_REQUIRE_CUDA: the stack's floor, never above what the host's driver starts."""
    floor = cuda_floor(stack, matrix)
    if floor is None or not forward:
        return floor
    driver = stack.host.driver
    host_max = driver.max_cuda if driver else None
    # cuda-compat in the image runs the newer CUDA: the container toolkit need only find the driver's own CUDA.
    return f"cuda>={'.'.join((host_max or '').split('.')[:2])}" if host_max else floor


def plan_container(
    stack: Stack,
    matrix: Matrix,
    lock_file: str,
    source: str | None,
    tool_wheel: str | None = None,
    *,
    devel: bool = False,
    allow_forward_compat: bool = False,
) -> ContainerPlan:
    from dlenv.provision.selfwheel import wheel_name

    tool_wheel = tool_wheel or wheel_name()
    if not LOCK_NAME.match(lock_file) or lock_file == TOOL_LOCK:
        raise InputError(f"{lock_file!r} is not a plain file name", where="--lock", fix="e.g. requirements.lock")
    if not LOCK_NAME.match(tool_wheel) or not tool_wheel.endswith(".whl"):
        raise InputError(f"{tool_wheel!r} is not a wheel file name", where="dlenv wheel", fix="rebuild dlenv")
    if source is not None:
        check_url(source, "--source")
    base = choose_base(stack, matrix, devel=devel, allow_forward_compat=allow_forward_compat)
    requirement = require_cuda(stack, matrix, base.compat_dir is not None)
    return ContainerPlan(stack, base, requirement, lock_file, source, tool_wheel)


def _labels(plan: ContainerPlan, header: Header) -> list[tuple[str, str]]:
    labels = []
    if plan.source:
        labels.append(("org.opencontainers.image.source", plan.source))
    labels.append(("org.opencontainers.image.description", f"dlenv stack: {header.stack}"))
    labels.append(("org.opencontainers.image.base.name", plan.base.image.reference))
    if plan.base.image.digest:
        labels.append(("org.opencontainers.image.base.digest", plan.base.image.digest))
    labels.append(("dev.dlenv.version", header.version))
    labels.append(("dev.dlenv.matrix-version", header.matrix_version or "unversioned"))
    labels.append(("dev.dlenv.inputs-sha256", header.inputs_sha256))
    return labels


def _env(plan: ContainerPlan) -> list[tuple[str, str]]:
    env = [("PATH", "/opt/venv/bin:$PATH"), ("PYTHONDONTWRITEBYTECODE", "1"), ("PYTHONUNBUFFERED", "1")]
    if plan.base.compat_dir:
        env.append(("LD_LIBRARY_PATH", f"{plan.base.compat_dir}:$LD_LIBRARY_PATH"))
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


def context_files(plan: ContainerPlan) -> tuple[str, ...]:
    """The files the build context holds besides the recipe."""
    return (plan.lock_file, TOOL_LOCK, plan.tool_wheel)


def _apt(packages: tuple[str, ...], indent: str = "", join: str = " \\\n    && ") -> str:
    steps = ["apt-get update", f"apt-get install -y --no-install-recommends {' '.join(packages)}"]
    steps.append("rm -rf /var/lib/apt/lists/*")
    return indent + join.join(steps)


_LOCK_INSTALL = "pip install --require-hashes --no-deps --only-binary=:all:"


def render_dockerfile(plan: ContainerPlan, header: Header) -> str:
    base = plan.base.reference
    lock = plan.lock_file
    python = plan.base.python
    out = ["# syntax=docker/dockerfile:1\n", header.render(), f"# base image: {plan.base.reason}\n"]
    out.append(f"# build context: this file, {', '.join(context_files(plan))} (`dlenv build -o DIR/Dockerfile`)\n")
    out.append("# build: docker build -t IMAGE DIR\n\n")
    out.append(f"FROM {base} AS builder\n")
    if plan.base.build_packages:
        out.append("# The distribution's own Python; apt versions move within a release, so they are not pinned.\n")
        out.append("# hadolint ignore=DL3008\n")
        out.append(f"RUN {_apt(plan.base.build_packages)}\n")
    # Layers from the least to the most often changed: the venv, the stack's lock, dlenv's own wheel.
    out.append(f"RUN {python} -m venv /opt/venv\n")
    out.append(f"COPY {lock} /tmp/{lock}\n")
    out.append(f"RUN {PIP_CACHE} \\\n    /opt/venv/bin/{_LOCK_INSTALL} -r /tmp/{lock}\n")
    out.append(f"COPY {TOOL_LOCK} {plan.tool_wheel} {TOOL_DIR}/\n")
    out.append(
        f"RUN {PIP_CACHE} \\\n    /opt/venv/bin/{_LOCK_INSTALL} --target /opt/dlenv-tool -r {TOOL_DIR}/{TOOL_LOCK}\n\n"
    )
    out.append(f"FROM {base} AS runtime\n")
    if plan.base.runtime_packages:
        out.append("# hadolint ignore=DL3008\n")
        out.append(f"RUN {_apt(plan.base.runtime_packages)}\n")
    out.append(f"RUN useradd --no-log-init --create-home --uid {USER_ID} --user-group dlenv\n")
    out.append("COPY --from=builder /opt/venv /opt/venv\n")
    out.append("ENV " + " \\\n    ".join(f"{key}={_q(value)}" for key, value in _env(plan)) + "\n")
    labels = _labels(plan, header)
    out.append("LABEL " + " \\\n      ".join(f"{key}={_q(value)}" for key, value in labels) + "\n")
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
    base = plan.base.reference
    lock = plan.lock_file
    python = plan.base.python
    out = [header.render(), f"# base image: {plan.base.reason}\n"]
    out.append(f"# build context: this file, {', '.join(context_files(plan))} (`dlenv build -o DIR/FILE`)\n")
    out.append("# build: apptainer build image.sif THIS_FILE (run from DIR); %test runs dlenv check.\n")
    out.append("# Apptainer runs as the calling user: no user is created.\n\n")
    out.append(f"Bootstrap: docker\nFrom: {base}\nStage: builder\n\n%files\n    {lock} /tmp/{lock}\n")
    out.append(f"    {TOOL_LOCK} {TOOL_DIR}/{TOOL_LOCK}\n    {plan.tool_wheel} {TOOL_DIR}/{plan.tool_wheel}\n\n%post\n")
    out.append("    set -eu\n")
    if plan.base.build_packages:
        out.append(_apt(plan.base.build_packages, "    ", "\n    ") + "\n")
    out.append(f"    {python} -m venv /opt/venv\n")
    out.append(f"    /opt/venv/bin/{_LOCK_INSTALL} --no-cache-dir -r /tmp/{lock}\n")
    out.append(
        f"    /opt/venv/bin/{_LOCK_INSTALL} --no-cache-dir --target /opt/dlenv-tool -r {TOOL_DIR}/{TOOL_LOCK}\n\n"
    )
    out.append(f"Bootstrap: docker\nFrom: {base}\nStage: runtime\n\n")
    out.append("%files from builder\n    /opt/venv /opt/venv\n    /opt/dlenv-tool /opt/dlenv-tool\n\n")
    if plan.base.runtime_packages:
        out.append("%post\n    set -eu\n" + _apt(plan.base.runtime_packages, "    ", "\n    ") + "\n\n")
    out.append("%environment\n")
    out += [f"    export {key}={_q(value)}\n" for key, value in _env(plan)]
    out.append("\n%labels\n")
    out += [f"    {key} {value}\n" for key, value in _labels(plan, header)]
    out.append("\n%test\n    PYTHONPATH=/opt/dlenv-tool python -m dlenv check --installed\n")
    out.append('\n%runscript\n    exec python "$@"\n')
    return "".join(out)


def generate_container(
    stack: Stack,
    matrix: Matrix,
    file_format: str,
    command: list[str],
    lock_file: str,
    source: str | None,
    *,
    tool_wheel: str | None = None,
    devel: bool = False,
    allow_forward_compat: bool = False,
) -> str:
    """The text of a container recipe: 'docker' (Dockerfile) or 'apptainer' (definition file)."""
    from dlenv.provision.header import make_header

    header = make_header(stack, "build", file_format, command)
    plan = plan_container(
        stack,
        matrix,
        lock_file,
        source,
        tool_wheel,
        devel=devel,
        allow_forward_compat=allow_forward_compat,
    )
    return render_apptainer(plan, header) if file_format == "apptainer" else render_dockerfile(plan, header)
