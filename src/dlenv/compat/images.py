"""Can this host start a container image? NVIDIA_REQUIRE_CUDA as the NVIDIA container toolkit evaluates it.

Grammar: space-separated alternatives (any one suffices), each a comma-separated list of constraints (all must
hold); constraint keys are cuda, driver, arch and brand. An image that only sets CUDA_VERSION is treated as
`cuda>=MAJOR.MINOR`; NVIDIA_DISABLE_REQUIRE skips the check.
"""

from __future__ import annotations

import re
import shlex
from typing import TYPE_CHECKING

from dlenv.compat.brands import SEGMENT_BRANDS
from dlenv.errors import InputError
from dlenv.host.model import Finding, Severity, has_errors
from dlenv.records import record
from dlenv.versions import parse_cuda, parse_driver

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from dlenv.host.model import HostFacts
    from dlenv.matrix.model import Matrix

_CONSTRAINT = re.compile(r"^(cuda|driver|arch|brand)(>=|<=|==|!=|=|>|<)([A-Za-z0-9._-]+)$")
_FROM = re.compile(r"^FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?\s*$", re.IGNORECASE)
_ARG = re.compile(r"^ARG\s+([A-Za-z_][A-Za-z0-9_]*)(?:=(\S*))?\s*$", re.IGNORECASE)
_ENV = re.compile(r"^ENV\s+(.+)$", re.IGNORECASE)
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)")
_CUDA_TAG = re.compile(r"^(\d{1,6}\.\d{1,6})(?:\.\d{1,6})?-")
# BuildKit heredocs (`RUN <<EOF`, `COPY <<-"EOF" /file`): the lines up to the delimiter are the body, not instructions.
_HEREDOC_INSTRUCTION = re.compile(r"^(?:RUN|COPY|ADD)\s", re.IGNORECASE)
_HEREDOC = re.compile(r"<<(-?)([\"']?)([A-Za-z_][A-Za-z0-9_]*)\2")


@record
class ImageRequirement:
    source: str
    """Where it came from: 'Dockerfile FROM nvidia/cuda:12.4.1-base-ubuntu22.04', an env file, ..."""
    image: str | None
    require: str | None
    disabled: bool = False


@record
class ImageResult:
    requirement: ImageRequirement
    findings: tuple[Finding, ...]

    @property
    def compatible(self) -> bool:
        return not has_errors(self.findings)


def _compare(left: tuple[int, ...], operator: str, right: tuple[int, ...]) -> bool:
    # Versions compare on the parts both name: driver<471 holds for 470.82.01.
    width = min(len(left), len(right)) if operator in ("<", "<=", "=", "==", "!=") else len(right)
    a, b = left[:width] + (0,) * (width - len(left[:width])), right[:width]
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b, "=": a == b, "==": a == b, "!=": a != b}[operator]


def _holds(constraint: str, host: HostFacts) -> bool | None:
    """True, False, or None when the host facts do not say."""
    match = _CONSTRAINT.match(constraint)
    if match is None:
        return None
    key, operator, value = match.groups()
    driver = host.driver
    if key == "cuda":
        have = parse_cuda(driver.max_cuda) if driver and driver.max_cuda else None
        want = parse_cuda(value)
        if have is None or want is None:
            return None
        return _compare((have.major, have.minor or 0), operator, (want.major, want.minor or 0))
    if key == "driver":
        have_driver = parse_driver(driver.version) if driver and driver.version else None
        want_driver = parse_driver(value)
        return None if have_driver is None or want_driver is None else _compare(have_driver, operator, want_driver)
    if key == "brand":
        brands = {gpu.brand for gpu in host.gpus if gpu.brand}
        return None if not brands else (value.lower() in brands) == (operator in ("=", "=="))
    capabilities = [parse_driver(gpu.compute_capability) for gpu in host.gpus if gpu.compute_capability]
    want_arch = parse_driver(value)
    if not capabilities or want_arch is None:
        return None
    return all(cc is not None and _compare(cc, operator, want_arch) for cc in capabilities)


def _brand_constraint(constraint: str) -> str | None:
    match = _CONSTRAINT.match(constraint)
    return match.group(3).lower() if match and match.group(1) == "brand" and match.group(2) in ("=", "==") else None


def _all_hold(results: list[bool | None]) -> bool | None:
    """Three-valued AND of one alternative's constraints: False if one fails (or there are none), None if one is
    unknown."""
    if not results or any(result is False for result in results):
        return False
    return True if all(result is True for result in results) else None


def _by_segment(require: str, host: HostFacts, brands: Sequence[frozenset[str]]) -> bool | None:
    """Decide the brand branches for GPUs whose brand is not probed but whose segment is known: a group of
    alternatives alike but for their brand holds when it names every brand the GPUs can report, and cannot hold
    when it names none of them."""
    groups: dict[tuple[str, ...], set[str]] = {}
    outcome: bool | None = False
    for alternative in require.split():
        constraints = [c for c in alternative.split(",") if c]
        brand = [b for c in constraints if (b := _brand_constraint(c))]
        if len(brand) == 1:
            groups.setdefault(tuple(c for c in constraints if _brand_constraint(c) is None), set()).add(brand[0])
            continue
        verdict = _all_hold([_holds(c, host) for c in constraints])
        if verdict is True:
            return True
        if verdict is None:
            outcome = None
    for rest, named in groups.items():
        verdict = _all_hold([_holds(c, host) for c in rest]) if rest else True  # a bare brand= branch
        if verdict is False or all(not (possible & named) for possible in brands):
            continue
        if verdict is True and all(possible <= named for possible in brands):
            return True
        outcome = None
    return outcome


def evaluate_require(
    require: str, host: HostFacts, segment_brands: Sequence[frozenset[str] | None] = ()
) -> bool | None:
    """True, False or None (the host facts do not decide). `segment_brands`: per GPU, the brands its product
    segment allows, for GPUs whose brand was not probed (described hosts)."""
    outcome: bool | None = False
    for alternative in require.split():
        verdict = _all_hold([_holds(constraint, host) for constraint in alternative.split(",") if constraint])
        if verdict is True:
            return True
        if verdict is None:
            outcome = None
    known = [brands for brands in segment_brands if brands is not None]
    if outcome is None and host.gpus and len(known) == len(host.gpus) and not any(gpu.brand for gpu in host.gpus):
        return _by_segment(require, host, known)
    return outcome


def segment_brands(host: HostFacts, matrix: Matrix) -> tuple[frozenset[str] | None, ...]:
    """Per GPU of the host, the NVML brands its product's segment allows (None: unknown product or segment)."""
    found = []
    for gpu in host.gpus:
        product = matrix.find_gpu(gpu.name) if gpu.name else None
        found.append(SEGMENT_BRANDS.get(product.segment) if product is not None else None)
    return tuple(found)


def evaluate_image(
    requirement: ImageRequirement, host: HostFacts, brands: Sequence[frozenset[str] | None] = ()
) -> ImageResult:
    name = requirement.image or requirement.source
    if requirement.disabled:
        return ImageResult(
            requirement,
            (
                Finding(
                    "image_require_disabled",
                    Severity.INFO,
                    f"{name} sets NVIDIA_DISABLE_REQUIRE: the toolkit skips the check.",
                    None,
                    name,
                ),
            ),
        )
    if not requirement.require:
        return ImageResult(
            requirement,
            (
                Finding(
                    "image_requirement_unknown",
                    Severity.INFO,
                    f"{name} states no CUDA requirement (no NVIDIA_REQUIRE_CUDA or CUDA_VERSION is known for it).",
                    "add the image to a matrix overlay with its require_cuda",
                    name,
                ),
            ),
        )
    verdict = evaluate_require(requirement.require, host, brands)
    if verdict is True:
        return ImageResult(requirement, ())
    first = requirement.require.split()[0]
    if verdict is None:
        return ImageResult(
            requirement,
            (
                Finding(
                    "image_requirement_unknown",
                    Severity.WARNING,
                    f"Whether this host can start {name} is unknown: the host facts lack the driver or GPU details its "
                    f"requirement ({first} …) needs.",
                    "describe the host with --driver and --gpu, or probe it",
                    name,
                ),
            ),
        )
    driver = host.driver.version if host.driver else "none"
    max_cuda = host.driver.max_cuda if host.driver and host.driver.max_cuda else "?"
    return ImageResult(
        requirement,
        (
            Finding(
                "image_requirement_unsatisfied",
                Severity.ERROR,
                f"The NVIDIA container toolkit will refuse to start {name}: 'unsatisfied condition: {first}' "
                f"(driver {driver}, CUDA ≤ {max_cuda}; no forward-compatibility branch of the requirement matches "
                "this host).",
                "upgrade the host driver, or use an image built for an older CUDA",
                name,
            ),
        ),
    )


def _substitute(text: str, variables: dict[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(3)
        return variables.get(name, match.group(2) or "")

    return _VARIABLE.sub(replace, text)


def _logical_lines(text: str) -> list[str]:
    """Instructions with continuations joined; comments, blank lines and heredoc bodies left out."""
    lines, current = [], ""
    pending: list[tuple[bool, str]] = []  # heredocs the last instruction opened: (strip leading tabs, delimiter)
    for physical in text.split("\n"):  # Docker splits at \n only; splitlines() would also split at U+2028 and friends
        raw = physical.removesuffix("\r")
        if pending:
            strip_tabs, delimiter = pending[0]
            if (raw.lstrip("\t") if strip_tabs else raw) == delimiter:
                pending.pop(0)
            continue
        stripped = raw.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        line = (current + stripped).strip()
        lines.append(line)
        current = ""
        if _HEREDOC_INSTRUCTION.match(line):
            pending = [(dash == "-", name) for dash, _, name in _HEREDOC.findall(line)]
    if current:
        lines.append(current.strip())
    return lines


def _read_text(path: Path, fix: str) -> str:
    """A text file as UTF-8 without its byte-order mark; InputError naming the file and line otherwise."""
    try:
        raw = path.read_bytes()
    except (OSError, ValueError) as error:  # ValueError: a NUL byte in the path
        raise InputError(f"cannot read: {getattr(error, 'strerror', None) or error}", path=path, fix=fix) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise InputError(
            f"not UTF-8: byte 0x{raw[error.start]:02x}", path=path, where=f"line {line}", fix="save the file as UTF-8"
        ) from None
    return text.removeprefix("\ufeff")


def _env_assignments(body: str) -> dict[str, str]:
    try:
        words = shlex.split(body)
    except ValueError:
        return {}
    if len(words) >= 2 and "=" not in words[0]:  # legacy form: ENV KEY value with spaces
        return {words[0]: " ".join(words[1:])}
    return dict(word.split("=", 1) for word in words if "=" in word)


def image_requirement_from_matrix(image: str, matrix: Matrix, source: str) -> ImageRequirement:
    known = matrix.image(image)
    if known is not None and known.require_cuda:
        return ImageRequirement(source, image, known.require_cuda)
    if known is not None and known.cuda:
        return ImageRequirement(source, image, f"cuda>={'.'.join(known.cuda.split('.')[:2])}")
    repository, _, tag = image.partition(":")
    match = _CUDA_TAG.match(tag.split("@")[0])
    if repository.endswith("nvidia/cuda") and match:
        return ImageRequirement(source, image, f"cuda>={match.group(1)}")
    return ImageRequirement(source, image, None)


def from_dockerfile(path: Path, matrix: Matrix) -> ImageRequirement:
    """The final stage's base image and the NVIDIA_REQUIRE_CUDA its environment holds: ENV set in the stage, or in
    the stages it is built FROM (a stage inherits its parent's environment), over the base image's own."""
    text = _read_text(path, "pass an existing Dockerfile")
    variables: dict[str, str] = {}
    stages: dict[str, tuple[str, dict[str, str]]] = {}
    image: str | None = None
    environment: dict[str, str] = {}
    for line in _logical_lines(text):
        if (arg := _ARG.match(line)) and arg.group(2) is not None:
            variables.setdefault(arg.group(1), _substitute(arg.group(2), variables))
        elif frm := _FROM.match(line):
            reference = _substitute(frm.group(1), variables)
            image, inherited = stages.get(reference.lower(), (reference, {}))
            environment = dict(inherited)
            if frm.group(2):
                stages[frm.group(2).lower()] = (image, environment)
        elif (env := _ENV.match(line)) and image is not None:
            environment.update(_env_assignments(_substitute(env.group(1), variables)))
    if image is None:
        raise InputError("no FROM instruction", path=path, fix="pass a Dockerfile with a base image")
    source = f"{path} (FROM {image})"
    if environment.get("NVIDIA_DISABLE_REQUIRE", "").lower() in ("1", "true"):
        return ImageRequirement(source, image, None, disabled=True)
    if "NVIDIA_REQUIRE_CUDA" in environment:
        # set in the file, it replaces the base image's, an empty value included (then nothing is required)
        return ImageRequirement(source, image, environment["NVIDIA_REQUIRE_CUDA"] or None)
    return image_requirement_from_matrix(image, matrix, source)


def from_image_env(path: Path) -> ImageRequirement:
    """An image's environment (KEY=VALUE lines, as `docker inspect` or `env` print them)."""
    lines = _read_text(path, "pass an existing file").split("\n")
    environment = dict(line.strip().split("=", 1) for line in lines if "=" in line and not line.startswith("#"))
    source = str(path)
    if environment.get("NVIDIA_DISABLE_REQUIRE", "").lower() in ("1", "true"):
        return ImageRequirement(source, None, None, disabled=True)
    require = environment.get("NVIDIA_REQUIRE_CUDA")
    if not require and environment.get("CUDA_VERSION"):
        require = f"cuda>={'.'.join(environment['CUDA_VERSION'].split('.')[:2])}"
    if not require:
        raise InputError(
            "neither NVIDIA_REQUIRE_CUDA nor CUDA_VERSION is set",
            path=path,
            fix="pass the image's environment, e.g. `docker inspect -f '{{range .Config.Env}}{{println .}}"
            "{{end}}' IMAGE`",
        )
    return ImageRequirement(source, None, require)
