"""`dlenv matrix show|validate|stats|diff`: look into the compatibility matrix and check matrix files."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from dlenv.cli.typer_app import APP_SETTINGS

if TYPE_CHECKING:
    from dlenv.matrix.validate import ValidationReport

app = typer.Typer(
    help="Inspect, validate and compare the compatibility matrix (shipped data plus any --matrix overlay).",
    **APP_SETTINGS,
)


class MatrixFormat(str, Enum):
    text = "text"
    json = "json"


FormatOption = Annotated[MatrixFormat, typer.Option("--format", "-f", help="Output format.")]
MatrixDirOption = Annotated[
    Path | None,
    typer.Option(
        "--matrix",
        envvar="DLENV_MATRIX",
        help="A directory of matrix YAML files layered over the shipped matrix (in-house packages, corrections).",
    ),
]


@app.command()
def show(
    query: Annotated[
        str, typer.Argument(metavar="NAME[==VERSION]", help="pytorch, torch==2.4.1, cuda==12.4, 'RTX 4090'.")
    ],
    output_format: FormatOption = MatrixFormat.text,
    matrix_dir: MatrixDirOption = None,
) -> None:
    """Show a framework's releases or one release's builds, CUDA toolkits, GPU architectures, a GPU, or images."""
    from dlenv.matrix.load import load_matrix
    from dlenv.matrix.queries import show as show_query

    result = show_query(load_matrix(matrix_dir), query)
    _print("show", output_format, result)


@app.command()
def validate(
    directory: Annotated[
        Path | None,
        typer.Argument(help="Matrix files to check (default: the --matrix overlay, else the source tree's matrices/)."),
    ] = None,
    standalone: Annotated[
        bool, typer.Option("--standalone", help="Check DIRECTORY on its own, not layered over the shipped matrix.")
    ] = False,
    output_format: FormatOption = MatrixFormat.text,
    matrix_dir: MatrixDirOption = None,
) -> None:
    """Check matrix YAML files (schema and invariants); print every problem in one line each; exit 2 if any."""
    report = _validation_report(directory if directory is not None else matrix_dir, standalone=standalone)
    if output_format is MatrixFormat.json:
        from dlenv.render.matrix import validation_to_json

        sys.stdout.write(validation_to_json(report.files, report.problems))
    else:
        for problem in report.problems:
            sys.stderr.write(f"{problem}\n")
        if report.ok:
            sys.stderr.write(f"matrix OK: {len(report.files)} file(s) checked\n")
    if not report.ok:
        from dlenv.errors import EXIT_BAD_INPUT

        raise typer.Exit(EXIT_BAD_INPUT)


@app.command()
def stats(output_format: FormatOption = MatrixFormat.text, matrix_dir: MatrixDirOption = None) -> None:
    """Rows per subject, the newest release of each framework, and how old the data is."""
    from dlenv.matrix.load import load_matrix
    from dlenv.matrix.queries import stats as compute_stats

    value = compute_stats(load_matrix(matrix_dir))
    _print("stats", output_format, value)


@app.command()
def diff(
    old: Annotated[Path, typer.Argument(help="The older matrix: a directory of YAML files or a matrix.json.")],
    new: Annotated[Path, typer.Argument(help="The newer matrix: a directory of YAML files or a matrix.json.")],
    output_format: FormatOption = MatrixFormat.text,
) -> None:
    """Rows added, removed and changed between two matrices."""
    from dlenv.matrix.load import read_documents_at
    from dlenv.matrix.queries import diff as compute_diff

    value = compute_diff(read_documents_at(old), read_documents_at(new))
    _print("diff", output_format, value)


def _validation_report(target: Path | None, *, standalone: bool) -> ValidationReport:
    """TARGET over the shipped matrix (or alone); without one, the source tree's matrices/ or the shipped data."""
    from dlenv.matrix.load import compiled_documents, load_compiled, validate_overlay
    from dlenv.matrix.schemas import source_matrix_dir
    from dlenv.matrix.validate import validate_directory, validate_documents

    source = source_matrix_dir()
    if target is not None and source is not None and target.resolve() == source.resolve():
        target = None  # the shipped sources themselves: layering them over their own compiled form says nothing
    if target is not None:
        return validate_directory(target) if standalone else validate_overlay(target)
    if source is not None:
        return validate_directory(source)
    compiled = load_compiled()  # an installed dlenv without its sources: re-check the shipped data
    files = compiled.get("files", {})
    documents = [
        (f"matrices/{files.get(subject, [subject + '.yaml'])[0]}", doc)
        for subject, doc in compiled_documents(compiled).items()
    ]
    return validate_documents(documents, schemas=compiled["schemas"])


def _print(command: str, output_format: MatrixFormat, value: object) -> None:
    from dlenv.cli.options import OutputTarget
    from dlenv.render.formats import emit

    emit(f"matrix {command}", output_format.value, value, OutputTarget())
