"""`dlenv lock`: the whole dependency closure of a stack, pinned with hashes, resolved by pip itself.

pip runs as `pip install --dry-run --ignore-installed --report FILE` for the target's Python version and platform
(`--python-version`, `--platform`, `--implementation cp`, `--only-binary=:all:`), with the index the user's pip
configuration names plus the indexes the stack's builds come from, and with the target's environment markers (see
`PIP_WITH_TARGET_MARKERS`); `closure.py` then checks the closure against those markers. Each file's sha256 comes
from the report (the index's hash), so `pip install --require-hashes -r requirements.lock` installs exactly what
was resolved.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse

from dlenv.errors import InputError, ProblemsError
from dlenv.provision.stack import check_requirement_text
from dlenv.records import record
from dlenv.versions import canonical_name

if TYPE_CHECKING:
    from dlenv.host.model import HostFacts
    from dlenv.index.simple import IndexAccessError
    from dlenv.matrix.model import Matrix
    from dlenv.provision.header import Header
    from dlenv.provision.stack import Stack

_HEX64 = frozenset("0123456789abcdef")
_FILENAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+!-]{0,250}\.(?:whl|tar\.gz|zip)$")
PipRunner = Callable[[list[str], Mapping[str, str]], "subprocess.CompletedProcess[str]"]


@record
class LockedFile:
    name: str
    version: str
    filename: str
    url: str
    sha256: str


@record
class Lock:
    stack: Stack
    files: tuple[LockedFile, ...]
    index_options: tuple[str, ...]
    indexes: tuple[tuple[str, str], ...] = ()
    """package -> the (non-default) index its build was resolved from."""


def _run_pip(command: list[str], env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, env=dict(env), check=False, timeout=1800)


# pip evaluates dependency markers for the interpreter it runs on, whatever --python-version and --platform say
# (pypa/pip#11198): a Windows lock made on Linux would pull in `nvidia-*; platform_system == "Linux"` and fail, a
# Python 3.12 lock made on 3.11 would miss `setuptools; python_version >= "3.12"`. pip reads those values from its
# vendored packaging's default_environment(), so this runs pip's own CLI with that function answering for the target.
PIP_WITH_TARGET_MARKERS = """\
import json, sys
from pip._vendor.packaging import markers
target = json.loads(sys.argv.pop(1))
markers.default_environment = lambda: dict(target)
from pip._internal.cli.main import main
sys.argv[0] = "pip"
sys.exit(main())
"""


def pip_command(stack: Stack, report: Path, requirements: Path, index_options: tuple[str, ...]) -> list[str]:
    from dlenv.provision.closure import marker_environment

    environment = json.dumps(marker_environment(stack), sort_keys=True)
    command = [sys.executable, "-c", PIP_WITH_TARGET_MARKERS, environment, "install", "--dry-run"]
    command += ["--ignore-installed", "--quiet", "--report", str(report), "--only-binary=:all:"]
    command += ["--python-version", stack.python]
    # --target: older pip accepts platform options only with it; nothing is written (--dry-run).
    command += ["--implementation", "cp", "--target", str(report.parent / "target")]
    for tag in stack.platform_tags:
        command += ["--platform", tag]
    command += [*index_options, "-r", str(requirements)]
    return command


def _hash_from_index(name: str, filename: str, index_urls: tuple[str, ...]) -> str | None:
    """The sha256 the index's JSON Simple API gives for `filename` (when pip's report has none)."""
    try:
        from dlenv.index import IndexAccessError, SimpleClient
    except ImportError:  # pragma: no cover - the index package ships with dlenv
        return None
    for index_url in index_urls:
        try:
            page = SimpleClient(index_url, retries=1).project(name)
        except (IndexAccessError, InputError):
            continue
        for file in page.files:
            if file.filename == filename and file.hashes.get("sha256"):
                return str(file.hashes["sha256"])
    return None


def _sha256(item: Mapping[str, Any], url: str, index_urls: tuple[str, ...] = ()) -> str:
    archive = item.get("download_info", {}).get("archive_info", {})
    digest = archive.get("hashes", {}).get("sha256")
    if digest is None and str(archive.get("hash", "")).startswith("sha256="):
        digest = archive["hash"].split("=", 1)[1]
    if digest is None and url.startswith("file://"):
        digest = hashlib.sha256(Path(unquote(urlparse(url).path)).read_bytes()).hexdigest()
    if digest is None and index_urls:
        name = str(item.get("metadata", {}).get("name", ""))
        digest = _hash_from_index(name, unquote(url.rsplit("/", 1)[-1].split("#", 1)[0]), index_urls)
    if digest is None:
        raise ProblemsError(f"the index gave no sha256 for {url}; a hashed lock needs an index that publishes hashes")
    if len(digest) != 64 or not set(digest) <= _HEX64:
        raise ProblemsError(f"the index gave a malformed sha256 for {url}")
    return str(digest)


def parse_report(report: Mapping[str, Any], index_urls: tuple[str, ...] = ()) -> tuple[LockedFile, ...]:
    files = []
    for item in report.get("install", []):
        metadata = item.get("metadata", {})
        name, version = str(metadata.get("name", "")), str(metadata.get("version", ""))
        url = str(item.get("download_info", {}).get("url", ""))
        check_requirement_text(f"{name}=={version}", "pip report")
        filename = unquote(url.rsplit("/", 1)[-1].split("#", 1)[0])
        if not _FILENAME.match(filename):
            raise ProblemsError(f"pip reported a file name dlenv will not write: {filename!r}")
        files.append(LockedFile(name, version, filename, url, _sha256(item, url, index_urls)))
    return tuple(sorted(files, key=lambda f: canonical_name(f.name)))


def pip_failure(output: str) -> str:
    """The line of pip's output that says why it failed: its last ERROR that names a cause, else its last line."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    if any("No module named 'pip'" in line for line in lines):
        return f"{sys.executable} has no pip; dlenv runs the pip of its own environment (python -m ensurepip)"
    errors = [line for line in lines if line.startswith("ERROR")]
    # "Ignored the following versions ..." is context and "ResolutionImpossible: for help visit ..." a link.
    causes = [line for line in errors if not line.startswith("ERROR: Ignored") and "for help visit" not in line]
    return (causes or errors or lines or ["no output"])[-1]


_REQUIRES_PYTHON = re.compile(r"requires a different Python: (\d+\.\d+)\.\d+ not in")


def _index_urls(options: tuple[str, ...], environ: Mapping[str, str]) -> tuple[str, ...]:
    """The indexes a lock's pip run uses: the user's pip configuration, then the stack's own index options."""
    from dlenv.index import find_index_config

    try:
        configured = tuple(find_index_config(environ).all_urls)
    except InputError:  # an unreadable pip configuration: pip itself reports it
        configured = ()
    return (*configured, *(option for option in options if option.startswith("http")))


INDEX_PROBE_TIMEOUT_S = 10.0
"""How long index_fault waits for an index that may not answer at all."""


def index_fault(stack: Stack, options: tuple[str, ...], environ: Mapping[str, str]) -> IndexAccessError | None:
    """Why pip found nothing, when the cause is an index that failed: pip skips an index that answers 403, 429 or
    5xx, or not at all, and then reports only 'No matching distribution found'. Each http(s) index the lock uses
    is asked once for each pinned project's page; the first failure names the URL and what went wrong."""
    from dlenv.index.simple import IndexAccessError, ProjectNotFoundError, SimpleClient

    for url in dict.fromkeys(u for u in _index_urls(options, environ) if u.startswith(("http://", "https://"))):
        for pin in stack.pins:
            try:
                client = SimpleClient(url, retries=0, timeout=INDEX_PROBE_TIMEOUT_S, total_time=INDEX_PROBE_TIMEOUT_S)
                client.project(pin.package)
            except ProjectNotFoundError:
                continue  # this index does not serve the project: not a fault
            except IndexAccessError as error:
                return error
    return None


def _interpreter_hint(reason: str) -> str:
    """Old pip releases check Requires-Python against the interpreter running pip, not --python-version."""
    match = _REQUIRES_PYTHON.search(reason)
    running = f"{sys.version_info.major}.{sys.version_info.minor}"
    if match is None or match.group(1) != running:
        return ""
    return (
        f" (this pip checked the Python running it, {running}, instead of the target's; upgrade it with "
        f"`{sys.executable} -m pip install --upgrade pip`, or run dlenv under the target's Python)"
    )


MAX_PIP_RUNS = 4
"""pip runs per lock: each adds what the target's markers need and the previous run skipped (closure.py)."""


def _pip_report(
    stack: Stack, lines: list[str], options: tuple[str, ...], env: Mapping[str, str], run_pip: PipRunner
) -> Any:
    with tempfile.TemporaryDirectory(prefix="dlenv-lock-") as scratch:
        requirements = Path(scratch) / "requirements.in"
        requirements.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
        report_path = Path(scratch) / "report.json"
        try:
            result = run_pip(pip_command(stack, report_path, requirements, options), env)
        except subprocess.TimeoutExpired:
            raise ProblemsError("pip did not finish resolving the stack within 30 minutes") from None
        if result.returncode != 0 or not report_path.exists():
            reason = pip_failure(result.stderr or result.stdout or "")
            if "No matching distribution" in reason or "Could not find a version" in reason:
                fault = index_fault(stack, options, env)
                if fault is not None:
                    raise fault
            raise ProblemsError(f"pip could not resolve the stack for the target: {reason}{_interpreter_hint(reason)}")
        return json.loads(report_path.read_text(encoding="utf-8"))


def resolve_closure(
    stack: Stack,
    lines: list[str],
    roots: list[tuple[str, tuple[str, ...]]],
    options: tuple[str, ...],
    environ: Mapping[str, str],
    run_pip: PipRunner = _run_pip,
) -> Any:
    """pip's report for `lines`, re-run until it holds everything the target's markers need, cut to that closure."""
    from dlenv.provision.closure import marker_environment, target_closure

    lines = list(lines)
    for _ in range(MAX_PIP_RUNS):
        report = _pip_report(stack, lines, options, environ, run_pip)
        closure = target_closure(report, roots, marker_environment(stack))
        if not closure.missing:
            break
        lines += [requirement for requirement in closure.missing if requirement not in lines]
    else:
        raise ProblemsError(
            f"pip's resolution still lacks {', '.join(closure.missing)}, which the target's markers require"
        )
    return {**report, "install": [i for i in report.get("install", []) if _canonical(i) in closure.needed]}


def lock_stack(
    stack: Stack,
    *,
    env: Mapping[str, str] | None = None,
    run_pip: PipRunner = _run_pip,
    index_rewrite: Callable[[str], str] | None = None,
) -> Lock:
    """Resolve the stack's closure with pip for the target. `index_rewrite` maps the matrix's index URLs (tests)."""
    environ = env if env is not None else os.environ
    options = stack.index_options
    if index_rewrite is not None:
        options = tuple(index_rewrite(o) if o.startswith("http") else o for o in options)
    lines = [pin.requirement for pin in stack.pins]
    roots = [(pin.package, pin.extras) for pin in stack.pins]
    report = resolve_closure(stack, lines, roots, options, environ, run_pip)
    rewrite = index_rewrite or (lambda url: url)
    indexes = tuple((pin.package, rewrite(pin.index_url)) for pin in stack.pins if pin.index_url)
    return Lock(stack, parse_report(report, _index_urls(options, environ)), options, indexes)


def _canonical(item: Mapping[str, Any]) -> str:
    return canonical_name(str(item.get("metadata", {}).get("name", "")))


def render_requirements(lock: Lock, header: Header) -> str:
    lines = [header.render(), "# pip install --require-hashes --no-deps -r THIS_FILE\n"]
    index = lock.index_options
    lines += [f"{index[i]} {index[i + 1]}\n" for i in range(0, len(index), 2)]
    for file in lock.files:
        lines.append(f"{file.name}=={file.version} \\\n    --hash=sha256:{file.sha256}\n")
    return "".join(lines)


def _toml(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def _environment_marker(stack: Stack) -> str:
    from dlenv.provision.closure import marker_environment

    values = marker_environment(stack)
    return f"sys_platform == '{values['sys_platform']}' and platform_machine == '{values['platform_machine']}'"


def render_pylock(lock: Lock, header: Header) -> str:
    """PEP 751 pylock.toml: one package per locked file, with its URL and sha256."""
    stack = lock.stack
    lines = [header.render()]
    lines.append('lock-version = "1.0"\n')
    lines.append(f"environments = [{_toml(_environment_marker(stack))}]\n")
    lines.append(f"requires-python = {_toml('==' + stack.python + '.*')}\n")
    lines.append('created-by = "dlenv"\n')
    indexes = {canonical_name(package): url for package, url in lock.indexes}
    for file in lock.files:
        lines.append("\n[[packages]]\n")
        # PEP 751 wants normalized names (Jinja2 -> jinja2, typing_extensions -> typing-extensions).
        lines.append(f"name = {_toml(canonical_name(file.name))}\nversion = {_toml(file.version)}\n")
        index = indexes.get(canonical_name(file.name))
        if index:
            lines.append(f"index = {_toml(index)}\n")
        lines.append("\n[[packages.wheels]]\n")
        lines.append(f"name = {_toml(file.filename)}\nurl = {_toml(file.url)}\n")
        lines.append(f"hashes = {{ sha256 = {_toml(file.sha256)} }}\n")
    return "".join(lines)


# --- dlenv lock --check ------------------------------------------------------------------------------------------


@record
class LockCheck:
    path: str
    stale: bool
    recorded_hash: str
    current_hash: str | None
    recorded_target: str
    current_target: str | None
    problems: tuple[str, ...]
    """One line per locked framework pin that does not fit the host, or why the stack no longer resolves."""

    @property
    def ok(self) -> bool:
        return not self.stale and not self.problems


def _read_pylock(text: str, path: str) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:
        import tomli as tomllib
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"not valid TOML: {error}", path=path, fix="regenerate it with dlenv lock") from None


def locked_pins(text: str, file_format: str, path: str = "lock file") -> list[str]:
    """name==version of every package in a requirements lock or a pylock.toml."""
    pins = []
    if file_format == "pylock":
        document = _read_pylock(text, path)
        packages = document.get("packages", [])
        if not isinstance(packages, list) or not all(isinstance(p, dict) for p in packages):
            raise InputError("packages is not an array of tables", path=path, fix="regenerate it with dlenv lock")
        pins = [f"{p.get('name')}=={p.get('version')}" for p in packages]
    else:
        for raw in text.splitlines():
            line = raw.strip().removesuffix("\\").strip()
            if line and not line.startswith(("#", "-")):
                pins.append(line)
    return [check_requirement_text(pin, path) for pin in pins]


_PIN_LINE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([A-Za-z0-9.!+_-]+)\s*(\\?)$")
_HASH_LINE = re.compile(r"^--hash=sha256:([0-9a-f]{64})\s*(\\?)$")
_INDEX_LINE = re.compile(r"^(--index-url|--extra-index-url)\s+(\S+)$")


def _index_key(option: str, url: str) -> tuple[str, str]:
    """An index option as `--check` compares it: the option and the URL's path. The host is left out because the
    tests serve the recorded indexes from 127.0.0.1; an added, removed or reordered index line is still caught."""
    return option, urlparse(url).path.rstrip("/")


def requirements_body_problems(text: str, expected_indexes: tuple[str, ...] | None) -> list[str]:
    """What in a requirements lock's body `dlenv lock` would not have written: a pin without a well-formed sha256,
    a line that is neither a pin, a hash nor an index option, and index options other than the stack's."""
    problems: list[str] = []
    indexes: list[tuple[str, str]] = []
    pin: tuple[str, int] | None = None  # the pin whose hashes follow, with its line number
    hashes = 0
    expect_hash = False
    for number, raw in enumerate(text.split("\n"), 1):
        line = raw.strip()
        if expect_hash:
            found = _HASH_LINE.match(line)
            if found:
                hashes += 1
                expect_hash = bool(found.group(2))
                continue
            problems.append(f"line {number}: expected --hash=sha256:<64 hex digits> for {pin[0] if pin else '?'}")
            expect_hash = False
        if pin is not None and hashes == 0:
            problems.append(f"line {pin[1]}: {pin[0]} has no sha256 (pip --require-hashes refuses it)")
        pin, hashes = None, 0
        if not line or line.startswith("#"):
            continue
        if index := _INDEX_LINE.match(line):
            indexes.append(_index_key(index.group(1), index.group(2)))
        elif found := _PIN_LINE.match(line):
            pin, expect_hash = (found.group(1), number), bool(found.group(3))
        else:
            problems.append(f"line {number}: not a pin with hashes nor an index option dlenv writes: {line[:60]!r}")
    if pin is not None and hashes == 0:
        problems.append(f"line {pin[1]}: {pin[0]} has no sha256 (pip --require-hashes refuses it)")
    if expected_indexes is not None:
        wanted = [
            _index_key(expected_indexes[i], expected_indexes[i + 1]) for i in range(0, len(expected_indexes) - 1, 2)
        ]
        if indexes != wanted:
            shown = ", ".join(f"{o} …{p}" for o, p in indexes) or "none"
            problems.append(f"the index options ({shown}) are not the stack's (was the lock edited?)")
    return problems


def pylock_body_problems(text: str, path: str) -> list[str]:
    """Files of a pylock.toml without a well-formed sha256."""
    document = _read_pylock(text, path)
    problems = []
    for package in document.get("packages", []) if isinstance(document.get("packages"), list) else []:
        files = [*(package.get("wheels") or []), *([package["sdist"]] if package.get("sdist") else [])]
        for file in files or [{}]:
            digest = (file.get("hashes") or {}).get("sha256") if isinstance(file, dict) else None
            if not (isinstance(digest, str) and len(digest) == 64 and set(digest) <= _HEX64):
                problems.append(f"package {package.get('name')!r}: a file without a well-formed sha256")
    return problems


def check_lock(path: str, text: str, host: HostFacts, matrix: Matrix) -> LockCheck:
    """Is the lock stale for this host and matrix (inputs hash), and do its framework pins still fit the host?"""
    from dlenv.compat.check import check
    from dlenv.compat.requirements import parse_requirement
    from dlenv.host.model import Severity
    from dlenv.provision.header import (
        BODY_FIELD,
        body_after_header,
        body_hash,
        inputs_hash,
        inputs_of,
        read_header,
        target_summary,
    )
    from dlenv.provision.stack import build_stack

    header = read_header(text, path)
    if header.kind != "lock":
        raise InputError(f"a {header.kind} file, not a lock", path=path, fix="pass a file `dlenv lock` wrote")
    recorded = header.fields["inputs-sha256"]
    problems: list[str] = []
    current_hash = current_target = None
    requirements = header.requirements
    if not requirements:
        raise InputError("the header names no requirements", path=path, fix="regenerate the file with dlenv lock")
    try:
        stack = build_stack(host, matrix, requirements)
    except ProblemsError as error:
        problems.append(str(error))
    except InputError as error:
        if not (error.where or "").startswith("argument"):
            raise  # the host or the matrix, not the file
        raise InputError(error.problem, path=path, where="requirements", fix=error.fix) from None
    else:
        current_hash = inputs_hash(inputs_of(stack, "lock", header.file_format))
        current_target = target_summary(stack)
    body = body_after_header(text)
    if body is not None and body_hash(body) != header.fields[BODY_FIELD]:
        problems.append(
            "the locked lines were edited after dlenv wrote them (body-sha256 differs): a package, hash or index "
            "was added, removed or changed; regenerate the lock"
        )
    if header.file_format == "pylock":
        problems += pylock_body_problems(text, path)
    else:
        problems += requirements_body_problems(text, stack.index_options if current_hash is not None else None)
    # The stack line holds the pins as the matrix names them (RAPIDS 24.10.*); the lock holds what pip chose
    # (24.10.1). Each locked framework must match its stack pin, and the stack pins are checked against the host.
    framework_pins = [
        parse_requirement(check_requirement_text(pin, f"{path}: stack"), f"{path}: {pin}")
        for pin in header.fields["stack"].split()
    ]
    stack_pins = {canonical_name(pin.name): pin.requirement for pin in framework_pins}
    # A framework's other packages (jaxlib beside jax, a CUDA plugin) come with its pin; one of a framework the
    # stack line does not name was added by hand.
    stack_frameworks = {id(f) for pin in framework_pins if (f := matrix.framework_for_package(pin.name)) is not None}
    locked_names = set()
    for text_pin in locked_pins(text, header.file_format, path):
        name, _, version = text_pin.partition("==")
        locked_names.add(canonical_name(name))
        wanted = stack_pins.get(canonical_name(name))
        framework = matrix.framework_for_package(name)
        if wanted is None and framework is not None and id(framework) not in stack_frameworks:
            problems.append(f"{text_pin} is locked but not in the stack line of the header (was the lock edited?)")
        elif wanted is not None and not wanted.specifier.contains(version, prereleases=True):
            problems.append(f"{text_pin} does not match the stack's {wanted} (was the lock edited?)")
    problems += [
        f"{pin.requirement} is in the stack line but not locked (was the lock edited?)"
        for pin in framework_pins
        if canonical_name(pin.name) not in locked_names
    ]
    if framework_pins:
        report = check(host, matrix, framework_pins)
        for result in report.results:
            errors = [f for f in result.findings if f.severity is Severity.ERROR]
            if errors:
                problems.append(
                    f"{result.requirement.text} does not fit the host: {errors[0].code}: {errors[0].message}"
                )
        problems += [f"{f.code}: {f.message}" for f in report.conflicts if f.severity is Severity.ERROR]
    return LockCheck(
        path=path,
        stale=current_hash != recorded,
        recorded_hash=recorded,
        current_hash=current_hash,
        recorded_target=header.fields["target"],
        current_target=current_target,
        problems=tuple(problems),
    )


def render_check(result: LockCheck) -> str:
    lines = []
    if result.stale:
        now = result.current_hash[:12] if result.current_hash else "unresolvable"
        lines.append(f"{result.path}: stale: inputs-sha256 {result.recorded_hash[:12]} was recorded, now {now}")
        if result.current_target and result.current_target != result.recorded_target:
            lines.append(f"  target was: {result.recorded_target}")
            lines.append(f"  target now: {result.current_target}")
    lines += [f"{result.path}: {problem}" for problem in result.problems]
    if result.ok:
        lines.append(f"{result.path}: up to date and fits the host")
    return "".join(f"{line}\n" for line in lines)


def generate_lock(
    stack: Stack,
    file_format: str,
    command: list[str],
    *,
    env: Mapping[str, str] | None = None,
    run_pip: PipRunner = _run_pip,
    index_rewrite: Callable[[str], str] | None = None,
) -> str:
    """The text of a lock: 'requirements' (pip -r with hashes) or 'pylock' (PEP 751)."""
    from dlenv.provision.header import make_header

    header = make_header(stack, "lock", file_format, command)
    locked = lock_stack(stack, env=env, run_pip=run_pip, index_rewrite=index_rewrite)
    text = render_pylock(locked, header) if file_format == "pylock" else render_requirements(locked, header)
    # seal what was locked: `lock --check` then sees any edit below the header (a removed dependency, an index)
    return header.sealing(text.removeprefix(header.render()))
