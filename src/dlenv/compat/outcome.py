"""What `dlenv check` answers as a whole: the requirements' report, each image's result and how the input was
read, with the one verdict and exit code renderers and the CLI read (neither computes them)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dlenv.errors import verdict_exit_code
from dlenv.host.model import has_warnings
from dlenv.records import record

if TYPE_CHECKING:
    from dlenv.compat.check import CheckReport
    from dlenv.compat.images import ImageResult
    from dlenv.compat.sources.reading import Reading


@record
class CheckOutcome:
    report: CheckReport
    images: tuple[ImageResult, ...] = ()
    reading: Reading | None = None

    @property
    def compatible(self) -> bool:
        return self.report.compatible and all(image.compatible for image in self.images)

    @property
    def has_warnings(self) -> bool:
        return self.report.has_warnings or any(has_warnings(image.findings) for image in self.images)

    def exit_code(self, *, strict: bool = False) -> int:
        """0 compatible, 1 incompatible (or, with strict, compatible with a warning): the documented exit codes."""
        return verdict_exit_code(self.compatible, self.has_warnings, strict=strict)
