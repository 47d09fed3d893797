"""One refresh of one framework file: read the file, read the index, merge, and the text to write.

`refresh_subject` wires the reading half (facts.py) to the pure merge (merge.py): it merges, reads what the merge
wanted, and merges again until nothing is wanted. The policy is the file's own `family.refresh` block, else the
loaded matrix's (a file that does not exist yet, or a copy without the block). Writing is atomic; a merge that
would add schema problems is never written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dlenv.errors import InputError
from dlenv.files import write_atomically
from dlenv.matrix.canonical import dump_yaml, leading_comments, load_yaml_text
from dlenv.matrix.model import FrameworkFamily, RefreshPolicy
from dlenv.matrix.refresh.facts import read_index, read_wanted, summarise
from dlenv.matrix.refresh.merge import Changes, Coverage, MergeResult, coverage, merge
from dlenv.records import field, record

if TYPE_CHECKING:
    import datetime
    from collections.abc import Iterator, Mapping, Sequence
    from pathlib import Path
    from typing import TextIO

    from dlenv.index.simple import SimpleClient
    from dlenv.matrix.model import Matrix


@record(frozen=False)
class MatrixFile:
    """A framework file as read: its text ("" when it does not exist yet) and its document."""

    path: Path
    original: str
    document: dict[str, Any]


@record(frozen=False)
class Outcome:
    subject: str
    path: Path
    coverage: Coverage = field(default_factory=Coverage)
    changes: Changes = field(default_factory=Changes)
    absent_projects: list[str] = field(default_factory=list)
    schema_problems: int = 0  # problems the merge would add (the file is not written while any remain)
    original: str = ""
    new_text: str = ""

    @property
    def changed(self) -> bool:
        return self.new_text != self.original


def refresh_policies(matrix: Matrix) -> dict[str, RefreshPolicy]:
    """subject -> refresh policy, for every framework whose `family` block has a `refresh` key."""
    return {
        subject: framework.family.refresh
        for subject, framework in matrix.frameworks.items()
        if framework.family.refresh is not None
    }


def read_matrix_file(path: Path, subject: str, today: datetime.date, log: TextIO) -> MatrixFile:
    if not path.exists():
        print(f"{path}: absent; every release in scope counts as missing", file=log)
        skeleton = {"schema_version": 1, "matrix_version": today.strftime("%Y.%m.%d"), "subject": subject}
        return MatrixFile(path, "", skeleton)
    try:
        original = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"cannot read the file: {error}", path=path, fix="check the file") from None
    return MatrixFile(path, original, load_yaml_text(original, path))


def policy_for(matrix_file: MatrixFile, shipped: RefreshPolicy) -> RefreshPolicy:
    """The file's own `family.refresh` block where it has one (it may be newer than the compiled matrix).

    The block is checked against the schema first: the file has not been compiled, and a policy read wrong would
    send the refresh to the wrong projects. A problem is an InputError naming the file and the field.
    """
    family = matrix_file.document.get("family")
    if not isinstance(family, dict) or not family.get("refresh"):
        return shipped
    from dlenv.matrix.schemas import default_schemas
    from dlenv.matrix.validate import schema_problems

    problems = schema_problems(matrix_file.document, str(matrix_file.path), default_schemas())
    for problem in problems:
        if (problem.where or "").startswith("family.refresh"):
            raise problem
    return FrameworkFamily.from_dict(family).refresh or shipped


def refresh_subject(
    subject: str,
    path: Path,
    client: SimpleClient,
    shipped: RefreshPolicy,
    *,
    missing_only: bool,
    today: datetime.date,
    log: TextIO,
) -> Outcome:
    """Refresh matrices/SUBJECT.yaml (at `path`) from the index: what is missing, what changed, the new text."""
    matrix_file = read_matrix_file(path, subject, today, log)
    policy = policy_for(matrix_file, shipped)
    reading = read_index(client, policy, log, missing_only=missing_only)
    facts = summarise(reading, policy)
    outcome = Outcome(subject, path, absent_projects=reading.absent, original=matrix_file.original)
    if missing_only:
        outcome.coverage = coverage(matrix_file.document, facts, policy)
        outcome.new_text = outcome.original
        return outcome
    result = merge(matrix_file.document, facts, policy, today)
    while result.wanted:  # each pass reads only what the previous one lacked, so this ends after the second
        facts = read_wanted(client, reading, policy, facts, result.wanted, log)
        result = merge(matrix_file.document, facts, policy, today)
    outcome.coverage, outcome.changes = result.coverage, result.changes
    outcome.schema_problems = added_schema_problems(matrix_file, result)
    outcome.new_text = new_text(matrix_file, result)
    return outcome


def refresh_each(
    subjects: Sequence[str],
    matrices: Path,
    client: SimpleClient,
    policies: Mapping[str, RefreshPolicy],
    *,
    missing_only: bool,
    today: datetime.date,
    log: TextIO,
) -> Iterator[Outcome]:
    """One outcome per subject, in order, as each is done (matrices/SUBJECT.yaml)."""
    for subject in subjects:
        path = matrices / f"{subject}.yaml"
        yield refresh_subject(subject, path, client, policies[subject], missing_only=missing_only, today=today, log=log)


def new_text(matrix_file: MatrixFile, result: MergeResult) -> str:
    """The canonical text of the merged document; the file's own text, byte for byte, when nothing changed."""
    if not result.changes.updated and matrix_file.original:
        return matrix_file.original
    return leading_comments(matrix_file.original) + dump_yaml(result.document)


def added_schema_problems(matrix_file: MatrixFile, result: MergeResult) -> int:
    from dlenv.matrix.schemas import default_schemas
    from dlenv.matrix.validate import schema_problems

    schemas = default_schemas()
    after = len(schema_problems(result.document, str(matrix_file.path), schemas))
    if not matrix_file.original:
        return after
    before = load_yaml_text(matrix_file.original, matrix_file.path)
    return after - len(schema_problems(before, str(matrix_file.path), schemas))


def write_outcomes(outcomes: Sequence[Outcome], log: TextIO) -> bool:
    """Write every changed file; False (nothing written) when one of them would break the schema."""
    changed = [outcome for outcome in outcomes if outcome.changed]
    invalid = [outcome for outcome in changed if outcome.schema_problems > 0]
    for outcome in invalid:
        print(f"error: {outcome.path}: the refreshed file would break the schema; not written", file=log)
    if invalid:
        return False
    for outcome in changed:
        write_atomically(outcome.path, outcome.new_text)  # one writer for every file dlenv writes
        print(f"wrote {outcome.path}", file=log)
    return True


def summary_lines(outcome: Outcome, *, missing_only: bool) -> list[str]:
    lines = [f"{outcome.subject} ({outcome.path.name}):"]

    def listing(title: str, items: list[str]) -> None:
        shown = ", ".join(items[:40]) + (f", ... ({len(items) - 40} more)" if len(items) > 40 else "")
        lines.append(f"  {title}: {len(items)}" + (f" ({shown})" if items else ""))

    listing("on the index, missing from the matrix", outcome.coverage.missing)
    listing("in the matrix, not on the index", outcome.coverage.not_on_index)
    if outcome.absent_projects:
        listing("projects not on this index", outcome.absent_projects)
    if not missing_only:
        listing("releases added", outcome.changes.added)
        listing("default builds added", outcome.changes.added_builds)
        listing("field changes", outcome.changes.updated)
        if outcome.changes.needs_curation:
            listing("need curation", outcome.changes.needs_curation)
    return lines
