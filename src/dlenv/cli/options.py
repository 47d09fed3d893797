"""The options commands share, declared once as data: the host flags, the matrix overlay, -o/--force, --strict.

A command asks for them with `@takes(HOST, OUTPUT, ...)`; its signature then has one parameter per group (`host_spec:
HostSpec`, `output: OutputTarget`, `matrix_dir`, ...). The typer side (`dlenv.cli.typer_command`) expands the
groups into typer options; `dlenv.cli.fast` parses the same declarations without importing typer (doctor and probe
start faster). Nothing here imports typer or rich, so a command module that declares all its options here loads
without them.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from dlenv.records import record

if TYPE_CHECKING:
    from dlenv.compat.knowledge import MatrixGpuKnowledge
    from dlenv.host.describe import HostSpec
    from dlenv.host.model import HostFacts
    from dlenv.matrix.model import Matrix

HOST_PANEL = "Host (instead of probing this machine)"

Command = TypeVar("Command", bound=Callable[..., Any])


@record
class Option:
    """One command-line option. `kind` says what it takes and how click would convert it:
    text (a string), path (a file, never a directory), directory (never a file), flag (a boolean switch),
    switch (--X/--no-X: True, False, or None when neither is given), repeat (a string, repeatable, collected
    into a list), paths (a file, repeatable), choice (one of `choices`), arguments (the positional words)."""

    name: str
    flags: tuple[str, ...]
    help: str
    kind: str = "text"
    choices: tuple[str, ...] = ()
    default: Any = None
    envvar: str | None = None
    panel: str | None = None

    @property
    def takes_value(self) -> bool:
        return self.kind not in ("flag", "switch", "arguments")

    @property
    def repeats(self) -> bool:
        return self.kind in ("repeat", "paths", "arguments")


@record
class Group:
    """Options a command takes together, passed to it as one parameter (`param`) built by `build`."""

    param: str
    options: tuple[Option, ...]
    build: Callable[..., Any]


def host_spec(**flags: Any) -> HostSpec:
    from dlenv.host.describe import HostSpec

    return HostSpec(**flags)


def host_facts(spec: HostSpec, matrix: MatrixSource | None = None) -> HostFacts:
    """The host the options name: the file, the flags (GPU names looked up in the matrix), or this machine probed."""
    from dlenv.host.describe import resolve_host

    source = matrix if matrix is not None else MatrixSource(None)
    return resolve_host(spec, probe=_probe, knowledge=source.knowledge, env=os.environ)


@record
class OutputTarget:
    """-o PATH ('-' or none: stdout) and whether an existing file may be replaced."""

    path: str | None = None
    force: bool = False

    @property
    def is_file(self) -> bool:
        return self.path not in (None, "-")

    def check(self) -> None:
        """Refuse a path that cannot be written before slow work starts; writing checks again."""
        from dlenv.output import check_destination

        check_destination(self.path, self.force)

    def write(self, text: str) -> None:
        from dlenv.output import write_output

        write_output(text, self.path, force=self.force)


class MatrixSource:
    """Loads the matrix once, on first use: commands that never need it never pay for it."""

    def __init__(self, overlay_dir: Path | None) -> None:
        self.overlay_dir = overlay_dir
        self._matrix: Matrix | None = None

    def __call__(self) -> Matrix:
        if self._matrix is None:
            from dlenv.matrix.load import load_matrix

            self._matrix = load_matrix(self.overlay_dir)
        return self._matrix

    def knowledge(self) -> MatrixGpuKnowledge:
        from dlenv.compat.knowledge import MatrixGpuKnowledge

        return MatrixGpuKnowledge(self())


def _probe() -> HostFacts:
    from dlenv.host.probe import probe_host

    return probe_host()


def _single(value: Any) -> Any:
    return value


HOST = Group(
    "host_spec",
    (
        Option(
            "host_file",
            ("--host",),
            "Read the host from a file written by `dlenv probe -o FILE`.",
            "path",
            panel=HOST_PANEL,
        ),
        Option("driver", ("--driver",), "NVIDIA driver version, e.g. 535.104.05.", panel=HOST_PANEL),
        Option(
            "gpus",
            ("--gpu",),
            "A GPU: compute capability (8.0, sm_80) or product name (A100, T4, 'RTX 4090'). Repeatable.",
            "repeat",
            default=(),
            panel=HOST_PANEL,
        ),
        Option("python", ("--python",), "Python version, e.g. 3.11.", panel=HOST_PANEL),
        Option("system", ("--os",), "Operating system: linux, windows or macos.", panel=HOST_PANEL),
        Option("arch", ("--arch",), "CPU architecture: x86_64 or aarch64.", panel=HOST_PANEL),
    ),
    host_spec,
)
MATRIX = Group(
    "matrix_dir",
    (
        Option(
            "matrix_dir",
            ("--matrix",),
            "A directory of matrix YAML files layered over the shipped matrix (in-house packages, corrections).",
            "directory",
            envvar="DLENV_MATRIX",
        ),
    ),
    _single,
)
FORWARD_COMPAT = Group(
    "allow_forward_compat",
    (
        Option(
            "allow_forward_compat",
            ("--allow-forward-compat",),
            "Accept builds that need NVIDIA's cuda-compat package on this host's data-center GPUs (you deploy it); "
            "never chosen over a build the driver runs natively.",
            "flag",
            default=False,
            panel=HOST_PANEL,
        ),
    ),
    _single,
)
STRICT = Group(
    "strict", (Option("strict", ("--strict",), "Fail (exit 1) on warnings too.", "flag", default=False),), _single
)
OUTPUT = Group(
    "output",
    (
        Option("path", ("--output", "-o"), "Write to FILE ('-': stdout); never over a file without --force."),
        Option("force", ("--force",), "Overwrite an existing -o file.", "flag", default=False),
    ),
    OutputTarget,
)


def own(option: Option) -> Group:
    """An option of one command, passed to it as the parameter named after the option."""
    return Group(option.name, (option,), _single)


def format_option(*choices: str, default: str | None = None) -> Group:
    """--format/-f with these choices, the first the default; passed to the command as `output_format` (a str)."""
    return own(Option("output_format", ("--format", "-f"), "Output format.", "choice", choices, default or choices[0]))


def takes(*groups: Group) -> Callable[[Command], Command]:
    """Declare the option groups a command takes; each arrives as the parameter named by its `param`."""

    def mark(function: Command) -> Command:
        function.__dlenv_options__ = groups  # type: ignore[attr-defined]
        return function

    return mark


def groups_of(function: Callable[..., Any]) -> tuple[Group, ...]:
    groups: tuple[Group, ...] = getattr(function, "__dlenv_options__", ())
    return groups


def flag_name(option: Option) -> str:
    """The parameter name the typer side gives an option: unique across groups (`path` of OUTPUT is `output`)."""
    return option.name if option.name != "path" else "output"


def assemble(groups: tuple[Group, ...], values: dict[str, Any]) -> dict[str, Any]:
    """Group parameter -> value, from option values keyed by flag_name (taken out of `values`)."""
    built = {}
    for group in groups:
        parts = {option.name: values.pop(flag_name(option), option.default) for option in group.options}
        if group.param == "host_spec":
            parts["gpus"] = tuple(parts["gpus"] or ())
        built[group.param] = group.build(**parts) if group.build is not _single else next(iter(parts.values()))
    return built
